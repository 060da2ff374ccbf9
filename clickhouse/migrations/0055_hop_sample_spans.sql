-- The spans of a fixed sixteenth of all traces (TraceKey below 2^60), the traces the hops' critical-path
-- share is taken over (lib/queries/hops.ts): the traces with the lowest keys among those with a span in
-- the range are the same traces whether read here or from hop_spans, as long as the range holds enough
-- of them here. Ordered by trace, so a sample's spans are a few granules instead of a scan of the
-- range's hop_spans. Filled from hop_spans (its keys are already hashed there).
CREATE TABLE IF NOT EXISTS {{TABLE:hop_sample_spans}} {{ON_CLUSTER}} (
    Timestamp DateTime64(9) CODEC(Delta, ZSTD(1)),
    Kind LowCardinality(String) CODEC(ZSTD(1)),
    SpanKey UInt64 CODEC(ZSTD(1)),
    ParentKey UInt64 CODEC(ZSTD(1)),
    TraceKey UInt64 CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    PeerHost LowCardinality(String) CODEC(ZSTD(1)),
    PaymentGateway LowCardinality(String) CODEC(ZSTD(1)),
    Duration UInt64 CODEC(T64, ZSTD(1))
) ENGINE = {{MERGE_TREE:hop_sample_spans}}
PARTITION BY toDate(Timestamp)
ORDER BY (TraceKey, SpanKey)
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;

{{DISTRIBUTED:hop_sample_spans:TraceKey}};

CREATE MATERIALIZED VIEW IF NOT EXISTS hop_sample_spans_mv {{ON_CLUSTER}}
TO {{TABLE:hop_sample_spans}}
AS SELECT Timestamp, Kind, SpanKey, ParentKey, TraceKey, ServiceName, PeerHost, PaymentGateway, Duration
FROM {{TABLE:hop_spans}}
WHERE TraceKey < 1152921504606846976;

-- Existing history. The view exists first, so a span stored meanwhile may be here twice: the critical
-- path counts a span id once, and a re-run of this statement is harmless for the same reason. On a
-- cluster this fills the shard the migrations run on; each other shard needs the same statement run
-- on it (docs/deploy.md), else its history stays out of the sample.
INSERT INTO {{TABLE:hop_sample_spans}}
SELECT Timestamp, Kind, SpanKey, ParentKey, TraceKey, ServiceName, PeerHost, PaymentGateway, Duration
FROM {{TABLE:hop_spans}}
WHERE TraceKey < 1152921504606846976;
