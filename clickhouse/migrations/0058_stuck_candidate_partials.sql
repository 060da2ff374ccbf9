-- Hourly partial results of the stuck list (lib/queries/stuck.ts, lib/queries/partials.ts): per
-- hour H, the orders with an accepted (or timed-out) gateway request in H and no callback from H to
-- the end of H + 1. An order with a request in H that is not listed had a callback within the
-- hour after, so no range holding both hours lists it as stuck: the query groups only the listed
-- orders and those with a request in hours read from the spans. Kind names the timeout types it was
-- computed with; Hour, Covers which computation (partial_hours).
CREATE TABLE IF NOT EXISTS {{TABLE:stuck_candidate_partials}} {{ON_CLUSTER}} (
    Kind LowCardinality(String),
    Hour DateTime('UTC'),
    Covers DateTime64(6, 'UTC'),
    PaymentOrderId String CODEC(ZSTD(1))
) ENGINE = {{MERGE_TREE:stuck_candidate_partials}}
PARTITION BY toDate(Hour)
ORDER BY (Kind, Hour)
SETTINGS ttl_only_drop_parts = 1;

{{DISTRIBUTED:stuck_candidate_partials:rand()}};
