-- One row per span of a distributed transaction's phase (payment.tx.id set): what the TCC/Saga
-- anomalies (lib/analytics/transactions.ts) are judged on. Such spans are rare, so a range of a day
-- reads a few thousand narrow rows instead of the attribute maps of otel_traces. A transaction's
-- branches may lie in different traces and services; the query groups them by TxId. Failure is kept
-- raw (status, outcome) so the rule can change without rewriting rows.
CREATE TABLE IF NOT EXISTS {{TABLE:transaction_phases}} {{ON_CLUSTER}} (
    Timestamp DateTime64(9) CODEC(Delta, ZSTD(1)),
    TxId String CODEC(ZSTD(1)),
    Branch LowCardinality(String) CODEC(ZSTD(1)),
    Phase LowCardinality(String) CODEC(ZSTD(1)),
    Duration UInt64 CODEC(T64, ZSTD(1)),
    IsError UInt8 CODEC(ZSTD(1)),
    PaymentOutcome LowCardinality(String) CODEC(ZSTD(1)),
    PaymentOrderId String CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    TraceId String CODEC(ZSTD(1)),
    SpanId String CODEC(ZSTD(1))
) ENGINE = {{MERGE_TREE:transaction_phases}}
PARTITION BY toDate(Timestamp)
ORDER BY (Timestamp, TxId)
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;

{{DISTRIBUTED:transaction_phases:cityHash64(TraceId)}};

CREATE MATERIALIZED VIEW IF NOT EXISTS transaction_phases_mv {{ON_CLUSTER}}
TO {{TABLE:transaction_phases}}
AS SELECT
    Timestamp,
    SpanAttributes['payment.tx.id'] AS TxId,
    SpanAttributes['payment.tx.branch'] AS Branch,
    SpanAttributes['payment.tx.phase'] AS Phase,
    Duration, IsError, PaymentOutcome, PaymentOrderId, ServiceName, TraceId, SpanId
FROM {{TABLE:otel_traces}}
WHERE SpanAttributes['payment.tx.id'] != '';
