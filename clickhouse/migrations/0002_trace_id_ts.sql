-- The Collector's trace-id lookup table: where in time a trace lies, so fetching one trace reads
-- one time slice of otel_traces instead of the whole table. Filled by a materialized view, whoever
-- writes the spans.
CREATE TABLE IF NOT EXISTS {{TABLE:otel_traces_trace_id_ts}} {{ON_CLUSTER}} (
    TraceId String CODEC(ZSTD(1)),
    Start DateTime CODEC(Delta, ZSTD(1)),
    End DateTime CODEC(Delta, ZSTD(1)),
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.01) GRANULARITY 1
) ENGINE = {{MERGE_TREE:otel_traces_trace_id_ts}}
PARTITION BY toDate(Start)
ORDER BY (TraceId, Start)
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;

{{DISTRIBUTED:otel_traces_trace_id_ts:cityHash64(TraceId)}};

CREATE MATERIALIZED VIEW IF NOT EXISTS otel_traces_trace_id_ts_mv {{ON_CLUSTER}}
TO {{TABLE:otel_traces_trace_id_ts}}
AS SELECT
    TraceId,
    min(Timestamp) AS Start,
    max(Timestamp) AS End
FROM {{TABLE:otel_traces}}
WHERE TraceId != ''
GROUP BY TraceId;
