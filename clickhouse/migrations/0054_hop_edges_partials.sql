-- Hourly partial results of the hops query (lib/queries/hops.ts, lib/queries/partials.ts): per hour
-- of the client span and per stored edge dimension (caller, payment.gateway, peer host, answering
-- service), the calls, errors, summed self time (ns) and the exact-quantile state of the durations
-- (every value, so merged percentiles are exact). The gateway is resolved from the host table when
-- rows are merged, so these rows do not depend on configuration. Kind, Hour, Covers: which
-- computation a row belongs to (partial_hours, migration 0050).
CREATE TABLE IF NOT EXISTS {{TABLE:hop_edges_partials}} {{ON_CLUSTER}} (
    Kind LowCardinality(String),
    Hour DateTime('UTC'),
    Covers DateTime64(6, 'UTC'),
    FromService LowCardinality(String),
    PaymentGateway LowCardinality(String),
    PeerHost LowCardinality(String),
    Callee LowCardinality(String),
    Calls UInt64,
    Errors UInt64,
    SelfSum Int64,
    Durations AggregateFunction(quantilesExact(0.5, 0.95, 0.99), UInt64)
) ENGINE = {{MERGE_TREE:hop_edges_partials}}
PARTITION BY toDate(Hour)
ORDER BY (Kind, Hour, FromService, PaymentGateway, PeerHost, Callee)
SETTINGS ttl_only_drop_parts = 1;

{{DISTRIBUTED:hop_edges_partials:rand()}};
