-- Order id → traces: every trace a payment touched (the callback comes in a trace of its own) and
-- where in time it lies, so one payment's spans are fetched by trace id from one time slice instead
-- of scanning otel_traces for the order id. Filled by a materialized view, whoever writes the spans.
CREATE TABLE IF NOT EXISTS {{TABLE:payment_order_traces}} {{ON_CLUSTER}} (
    PaymentOrderId String CODEC(ZSTD(1)),
    TraceId String CODEC(ZSTD(1)),
    Start DateTime CODEC(Delta, ZSTD(1)),
    End DateTime CODEC(Delta, ZSTD(1))
) ENGINE = {{MERGE_TREE:payment_order_traces}}
PARTITION BY toDate(Start)
ORDER BY (PaymentOrderId, TraceId)
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;

{{DISTRIBUTED:payment_order_traces:cityHash64(TraceId)}};

CREATE MATERIALIZED VIEW IF NOT EXISTS payment_order_traces_mv {{ON_CLUSTER}}
TO {{TABLE:payment_order_traces}}
AS SELECT
    PaymentOrderId,
    TraceId,
    min(Timestamp) AS Start,
    max(Timestamp) AS End
FROM {{TABLE:otel_traces}}
WHERE PaymentOrderId != '' AND TraceId != ''
GROUP BY PaymentOrderId, TraceId;
