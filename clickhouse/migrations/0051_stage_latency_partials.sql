-- Hourly partial results of the stage latency (lib/queries/stage-latency.ts, lib/queries/partials.ts):
-- per hour, stage and channel, the stage spans' count, errors, and exact-quantile states of their
-- durations and waits (every value, so merged percentiles are exact). Kind, Hour, Covers: which
-- computation a row belongs to (partial_hours, migration 0050).
CREATE TABLE IF NOT EXISTS {{TABLE:stage_latency_partials}} {{ON_CLUSTER}} (
    Kind LowCardinality(String),
    Hour DateTime('UTC'),
    Covers DateTime64(6, 'UTC'),
    Stage LowCardinality(String),
    Channel LowCardinality(String),
    N UInt64,
    Errors UInt64,
    NWait UInt64,
    Dur AggregateFunction(quantilesExact(0.5, 0.95, 0.99), Int64),
    Wait AggregateFunction(quantilesExact(0.5, 0.95, 0.99), Int64)
) ENGINE = {{MERGE_TREE:stage_latency_partials}}
PARTITION BY toDate(Hour)
ORDER BY (Kind, Hour, Stage, Channel)
SETTINGS ttl_only_drop_parts = 1;

{{DISTRIBUTED:stage_latency_partials:rand()}};
