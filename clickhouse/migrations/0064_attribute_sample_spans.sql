-- The attributes of every span of a fixed sixteenth of all traces (trace ids below '1': OTLP trace ids
-- are random lowercase hex), for What's different (lib/queries/deltas.ts): its sample is the payments
-- with the smallest checkout trace ids, so whenever those all lie below '1' (a range with more than
-- about 16,000 payments), their spans are read here instead of from otel_traces. Ordered by trace, so
-- the sample's spans are a few granules; otel_traces is ordered by hour first, so there the sample
-- costs at least one granule of attribute maps per hour of the range.
CREATE TABLE IF NOT EXISTS {{TABLE:attribute_sample_spans}} {{ON_CLUSTER}} (
    Timestamp DateTime64(9) CODEC(Delta, ZSTD(1)),
    TraceId String CODEC(ZSTD(1)),
    SpanAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1))
) ENGINE = {{MERGE_TREE:attribute_sample_spans}}
PARTITION BY toDate(Timestamp)
ORDER BY (TraceId, Timestamp)
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;

{{DISTRIBUTED:attribute_sample_spans:cityHash64(TraceId)}};

CREATE MATERIALIZED VIEW IF NOT EXISTS attribute_sample_spans_mv {{ON_CLUSTER}}
TO {{TABLE:attribute_sample_spans}}
AS SELECT Timestamp, TraceId, SpanAttributes, ResourceAttributes
FROM {{TABLE:otel_traces}}
WHERE TraceId < '1';

-- Existing history. The view exists first, so a span stored meanwhile may be here twice: What's
-- different counts distinct traces per attribute value, so a doubled span changes nothing, and a
-- re-run of this statement is harmless for the same reason. On a cluster this fills the shard the
-- migrations run on; each other shard needs the same statement run on it (docs/deploy.md), else the
-- sample misses that shard's spans stored before the upgrade.
INSERT INTO {{TABLE:attribute_sample_spans}}
SELECT Timestamp, TraceId, SpanAttributes, ResourceAttributes
FROM {{TABLE:otel_traces}}
WHERE TraceId < '1';
