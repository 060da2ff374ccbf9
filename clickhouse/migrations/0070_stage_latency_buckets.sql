-- Hourly partials of the stage latency for exact percentiles in two passes (lib/queries/stage-latency.ts):
-- each stage span's duration (Metric 0) and wait (Metric 1, only when it had a predecessor) falls in a
-- value bucket (64 per power of two, exact below 128 ns). The first pass adds the buckets' counts and
-- finds the bucket holding each percentile's rank; the second reads only that bucket's values.
-- Kind, Hour, Covers: which computation a row belongs to (partial_hours, 0050).

-- Counts per bucket, one row per hour, metric, stage and channel (Buckets ascending, Counts beside).
CREATE TABLE IF NOT EXISTS {{TABLE:stage_latency_buckets}} {{ON_CLUSTER}} (
    Kind LowCardinality(String),
    Hour DateTime('UTC'),
    Covers DateTime64(6, 'UTC'),
    Metric UInt8,
    Stage LowCardinality(String),
    Channel LowCardinality(String),
    Buckets Array(Int64) CODEC(Delta, ZSTD(1)),
    Counts Array(UInt64) CODEC(ZSTD(1)),
    -- Stage spans with an error status (Metric 0 only).
    Errors UInt64
) ENGINE = {{MERGE_TREE:stage_latency_buckets}}
PARTITION BY toDate(Hour)
ORDER BY (Kind, Hour, Metric, Stage, Channel)
SETTINGS ttl_only_drop_parts = 1;

{{DISTRIBUTED:stage_latency_buckets:rand()}};

-- Every value, ordered so that one bucket of one hour is a few small granules. Start (Unix ns) lets a
-- query keep the part of an hour inside its range.
CREATE TABLE IF NOT EXISTS {{TABLE:stage_latency_values}} {{ON_CLUSTER}} (
    Kind LowCardinality(String),
    Hour DateTime('UTC'),
    Covers DateTime64(6, 'UTC'),
    Metric UInt8,
    Stage LowCardinality(String),
    Bucket Int64 CODEC(Delta, ZSTD(1)),
    Channel LowCardinality(String),
    Value Int64 CODEC(Delta, ZSTD(1)),
    Start Int64 CODEC(ZSTD(1)),
    IsError UInt8
) ENGINE = {{MERGE_TREE:stage_latency_values}}
PARTITION BY toDate(Hour)
ORDER BY (Kind, Hour, Metric, Stage, Bucket)
SETTINGS index_granularity = 256, ttl_only_drop_parts = 1;

{{DISTRIBUTED:stage_latency_values:rand()}};
