-- The span table's storage (issue 13): ScopeName and ScopeVersion (one of a few strings each, ~58
-- bytes a span before compression) take ZSTD(5) instead of ZSTD(3), and TraceId ZSTD(1): on one day
-- of the query benchmark's store (1.45M spans, one part each) 0.59 + 0.32 → 0.33 + 0.28 B/span and
-- TraceId 1.87 → 1.79, for about 0.05 µs more CPU per span per write (docs/schema.md). Applies to
-- parts written from now on; stored parts keep their codecs until a merge rewrites them.
ALTER TABLE {{TABLE:otel_traces}} {{ON_CLUSTER}}
    MODIFY COLUMN TraceId String CODEC(ZSTD(1)),
    MODIFY COLUMN ScopeName String CODEC(ZSTD(5)),
    MODIFY COLUMN ScopeVersion String CODEC(ZSTD(5));
