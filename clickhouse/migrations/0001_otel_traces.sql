-- The span table, column for column the OpenTelemetry Collector clickhouseexporter's `otel_traces`,
-- so a Collector can write into it and payscope can read a table a Collector already fills.
-- On a cluster the rows live in otel_traces_local on every shard, and otel_traces is a Distributed
-- table over them, sharded by trace id: a trace's spans (and its rollup rows) live on one shard.
CREATE TABLE IF NOT EXISTS {{TABLE:otel_traces}} {{ON_CLUSTER}} (
    Timestamp DateTime64(9) CODEC(Delta, ZSTD(1)),
    TraceId String CODEC(ZSTD(3)),
    SpanId String CODEC(ZSTD(3)),
    ParentSpanId String CODEC(ZSTD(3)),
    TraceState String CODEC(ZSTD(1)),
    SpanName LowCardinality(String) CODEC(ZSTD(1)),
    SpanKind LowCardinality(String) CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(3)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion String CODEC(ZSTD(1)),
    SpanAttributes Map(LowCardinality(String), String) CODEC(ZSTD(3)),
    Duration UInt64 CODEC(ZSTD(1)),
    StatusCode LowCardinality(String) CODEC(ZSTD(1)),
    StatusMessage String CODEC(ZSTD(1)),
    Events Nested (
        Timestamp DateTime64(9),
        Name LowCardinality(String),
        Attributes Map(LowCardinality(String), String)
    ) CODEC(ZSTD(1)),
    Links Nested (
        TraceId String,
        SpanId String,
        TraceState String,
        Attributes Map(LowCardinality(String), String)
    ) CODEC(ZSTD(1)),
    -- The Collector also creates bloom filters over attribute map keys and values; payscope filters on
    -- materialized columns instead, and those four indexes cost about a fifth of insert time.
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_duration Duration TYPE minmax GRANULARITY 1
) ENGINE = {{MERGE_TREE:otel_traces}}
PARTITION BY toDate(Timestamp)
-- Sorted by hour, then trace: a trace's spans sit together, so fetching one trace reads one granule and
-- the ids compress well. (The Collector sorts by service and span name; payscope's aggregates read the
-- rollup tables, so the trace is the better key here.)
ORDER BY (toStartOfHour(Timestamp), TraceId, Timestamp)
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;

{{DISTRIBUTED:otel_traces:cityHash64(TraceId)}};

-- Replayed spool batches carry their batch id as insert_deduplication_token; a non-replicated table
-- only honours it within this window (replicated tables deduplicate by default).
ALTER TABLE {{TABLE:otel_traces}} {{ON_CLUSTER}} MODIFY SETTING non_replicated_deduplication_window = 10000;
