-- Dedicated columns for the OpenTelemetry semantic-convention attributes trace search is most often
-- asked for (as Tempo's dedicated attribute columns): a search on one of them reads these small columns
-- instead of the SpanAttributes and ResourceAttributes maps, which cost ~45 ms per hour of spans
-- (docs/dashboard.md, URL parameters). A search tests a key on the span and on its resource, so each key
-- has both. Computed at insert whoever wrote the span; a part stored before this migration computes
-- them from the maps on read until the mutation below has rewritten it, so answers are the same
-- throughout.
ALTER TABLE {{LOCAL_AND_DISTRIBUTED:otel_traces}} {{ON_CLUSTER}}
    ADD COLUMN IF NOT EXISTS HttpResponseStatusCode LowCardinality(String) MATERIALIZED SpanAttributes['http.response.status_code'] CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS HttpRequestMethod LowCardinality(String) MATERIALIZED SpanAttributes['http.request.method'] CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS HttpRoute LowCardinality(String) MATERIALIZED SpanAttributes['http.route'] CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS ErrorType LowCardinality(String) MATERIALIZED SpanAttributes['error.type'] CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS ResourceHttpResponseStatusCode LowCardinality(String) MATERIALIZED ResourceAttributes['http.response.status_code'] CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS ResourceHttpRequestMethod LowCardinality(String) MATERIALIZED ResourceAttributes['http.request.method'] CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS ResourceHttpRoute LowCardinality(String) MATERIALIZED ResourceAttributes['http.route'] CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS ResourceErrorType LowCardinality(String) MATERIALIZED ResourceAttributes['error.type'] CODEC(ZSTD(1));

-- Stored history: one background mutation reads each part's maps once and writes the eight columns.
-- Repeating it (an interrupted migration) only rewrites them again.
ALTER TABLE {{TABLE:otel_traces}} {{ON_CLUSTER}}
    MATERIALIZE COLUMN HttpResponseStatusCode,
    MATERIALIZE COLUMN HttpRequestMethod,
    MATERIALIZE COLUMN HttpRoute,
    MATERIALIZE COLUMN ErrorType,
    MATERIALIZE COLUMN ResourceHttpResponseStatusCode,
    MATERIALIZE COLUMN ResourceHttpRequestMethod,
    MATERIALIZE COLUMN ResourceHttpRoute,
    MATERIALIZE COLUMN ResourceErrorType;
