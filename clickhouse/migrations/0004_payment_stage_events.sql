-- One row per span that performs a payment stage (payment.stage set): the few spans of a trace that
-- funnels, stage latency and stuck/inconsistent payments read, with the columns they need. Filled by
-- a materialized view from otel_traces, whoever writes the spans; ordered by stage and time so a
-- funnel over a time range reads only its steps' rows.
CREATE TABLE IF NOT EXISTS {{TABLE:payment_stage_events}} {{ON_CLUSTER}} (
    Timestamp DateTime64(9) CODEC(Delta, ZSTD(1)),
    PaymentOrderId String CODEC(ZSTD(1)),
    PaymentStage LowCardinality(String) CODEC(ZSTD(1)),
    PaymentChannel LowCardinality(String) CODEC(ZSTD(1)),
    PaymentGateway LowCardinality(String) CODEC(ZSTD(1)),
    PaymentOutcome LowCardinality(String) CODEC(ZSTD(1)),
    PaymentErrorCode LowCardinality(String) CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    SpanName LowCardinality(String) CODEC(ZSTD(1)),
    Kind LowCardinality(String) CODEC(ZSTD(1)),
    PeerHost LowCardinality(String) CODEC(ZSTD(1)),
    Duration UInt64 CODEC(T64, ZSTD(1)),
    IsError UInt8 CODEC(ZSTD(1)),
    -- Raw inputs of the timeout classification (lib/analytics/gateways.ts), kept raw so the rule can change.
    ErrorType LowCardinality(String) CODEC(ZSTD(1)),
    TimeoutFlag LowCardinality(String) CODEC(ZSTD(1)),
    TraceId String CODEC(ZSTD(1)),
    SpanId String CODEC(ZSTD(1))
) ENGINE = {{MERGE_TREE:payment_stage_events}}
PARTITION BY toDate(Timestamp)
ORDER BY (PaymentStage, Timestamp)
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;

{{DISTRIBUTED:payment_stage_events:cityHash64(TraceId)}};

CREATE MATERIALIZED VIEW IF NOT EXISTS payment_stage_events_mv {{ON_CLUSTER}}
TO {{TABLE:payment_stage_events}}
AS SELECT
    Timestamp, PaymentOrderId, PaymentStage, PaymentChannel, PaymentGateway, PaymentOutcome, PaymentErrorCode,
    ServiceName, SpanName, Kind, PeerHost, Duration, IsError,
    SpanAttributes['error.type'] AS ErrorType,
    SpanAttributes['payment.timeout'] AS TimeoutFlag,
    TraceId, SpanId
FROM {{TABLE:otel_traces}}
WHERE PaymentStage != '';
