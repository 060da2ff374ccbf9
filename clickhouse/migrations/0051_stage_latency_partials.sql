-- Hourly partial results of the stage latency (lib/queries/stage-latency.ts, lib/queries/partials.ts):
-- one row per stage span with what the query aggregates, its wait already found (the flow's spans
-- grouped and ordered once, when the hour is computed). Start lets a query keep the part of an hour
-- inside its range. Kind, Hour, Covers: which computation a row belongs to (partial_hours, 0050).
CREATE TABLE IF NOT EXISTS {{TABLE:stage_latency_partials}} {{ON_CLUSTER}} (
    Kind LowCardinality(String),
    Hour DateTime('UTC'),
    Covers DateTime64(6, 'UTC'),
    -- Unix nanoseconds
    Start Int64 CODEC(Delta, ZSTD(1)),
    Stage LowCardinality(String),
    Channel LowCardinality(String),
    Duration Int64 CODEC(T64, ZSTD(1)),
    IsError UInt8,
    HasWait UInt8,
    Wait Int64 CODEC(T64, ZSTD(1))
) ENGINE = {{MERGE_TREE:stage_latency_partials}}
PARTITION BY toDate(Hour)
ORDER BY (Kind, Hour, Start)
SETTINGS ttl_only_drop_parts = 1;

{{DISTRIBUTED:stage_latency_partials:rand()}};
