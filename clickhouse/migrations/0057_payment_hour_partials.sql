-- Hourly partial results of the per-payment queries (lib/queries/payments-rollup.ts,
-- lib/queries/partials.ts): one row per payment (order id) per hour, with the facts money at stake
-- (lib/queries/impact.ts) judges a payment on, aggregated over that hour's stage spans only. A query
-- merges a payment's rows across the hours of its range (min, max, sum, the value at the latest
-- time), so a range's answer is the one its spans give. Times are Unix nanoseconds, 0 for none.
-- Kind names the gateway host table and timeout types it was computed with; Hour, Covers which
-- computation (partial_hours).
CREATE TABLE IF NOT EXISTS {{TABLE:payment_hour_partials}} {{ON_CLUSTER}} (
    Kind LowCardinality(String),
    Hour DateTime('UTC'),
    Covers DateTime64(6, 'UTC'),
    PaymentOrderId String CODEC(ZSTD(1)),
    -- A non-empty channel, amount and currency of the hour's spans.
    Channel LowCardinality(String),
    Amount String CODEC(ZSTD(1)),
    Currency LowCardinality(String),
    -- The gateway of the latest request with one, and that request's start.
    Gateway LowCardinality(String),
    GatewayNs Int64,
    -- The stuck rule's inputs (lib/queries/stuck.ts stuckRuleSql): a gateway of a request, the latest
    -- end of an accepted request and its start, whether that one timed out, and the counts.
    StuckGateway LowCardinality(String),
    AcceptedEndNs Int64,
    AcceptedNs Int64,
    AcceptedTimedOut UInt8,
    AcceptedRequests UInt64,
    Callbacks UInt64,
    -- The first gateway success, the latest failure, the hard failures, and the latest request (was it rejected).
    SucceededNs Int64,
    FailedNs Int64,
    HardFailures UInt64,
    LastRequestNs Int64,
    LastRequestRejected UInt8,
    -- The latest hard failure (a gateway stage's before any other's): the raw inputs of its error class.
    FailureGatewayStage UInt8,
    FailureNs Int64,
    FailureGateway LowCardinality(String),
    FailureCode LowCardinality(String),
    FailureErrorType LowCardinality(String),
    FailureHttpStatus UInt16,
    FailureTimeoutFlag LowCardinality(String)
) ENGINE = {{MERGE_TREE:payment_hour_partials}}
PARTITION BY toDate(Hour)
ORDER BY (Kind, Hour)
SETTINGS ttl_only_drop_parts = 1;

{{DISTRIBUTED:payment_hour_partials:rand()}};
