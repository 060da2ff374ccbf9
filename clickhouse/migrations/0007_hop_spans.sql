-- The call graph's raw material: every span, narrowed to what the hops query joins on and measures,
-- with the ids hashed to UInt64 (cityHash64 of trace id + span id). Joining a client span to its
-- server child is then an integer hash join over a few columns instead of a join on hex strings read
-- from the wide span table, and the critical paths of sampled traces are computed from these rows
-- alone. Ordered by kind then time, so each side of the join reads only its own rows of the range.
CREATE TABLE IF NOT EXISTS {{TABLE:hop_spans}} {{ON_CLUSTER}} (
    Timestamp DateTime64(9) CODEC(Delta, ZSTD(1)),
    Kind LowCardinality(String) CODEC(ZSTD(1)),
    -- cityHash64(TraceId, SpanId), cityHash64(TraceId, ParentSpanId), cityHash64(TraceId)
    SpanKey UInt64 CODEC(ZSTD(1)),
    ParentKey UInt64 CODEC(ZSTD(1)),
    TraceKey UInt64 CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    PeerHost LowCardinality(String) CODEC(ZSTD(1)),
    PaymentGateway LowCardinality(String) CODEC(ZSTD(1)),
    Duration UInt64 CODEC(T64, ZSTD(1)),
    IsError UInt8 CODEC(ZSTD(1))
) ENGINE = {{MERGE_TREE:hop_spans}}
PARTITION BY toDate(Timestamp)
ORDER BY (Kind, Timestamp)
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;

{{DISTRIBUTED:hop_spans:TraceKey}};

CREATE MATERIALIZED VIEW IF NOT EXISTS hop_spans_mv {{ON_CLUSTER}}
TO {{TABLE:hop_spans}}
AS SELECT
    Timestamp, Kind,
    cityHash64(TraceId, SpanId) AS SpanKey,
    cityHash64(TraceId, ParentSpanId) AS ParentKey,
    cityHash64(TraceId) AS TraceKey,
    ServiceName, PeerHost, PaymentGateway, Duration, IsError
FROM {{TABLE:otel_traces}};
