-- Payment context as real columns, computed by ClickHouse at insert from the span attributes, so they
-- are filled whoever wrote the span (payscope's ingest, a Collector, any SDK). Queries filter and
-- group on these instead of reading the whole SpanAttributes map. On a cluster the columns are added
-- to otel_traces_local and to the Distributed otel_traces, which reads them from the shards.
ALTER TABLE {{LOCAL_AND_DISTRIBUTED:otel_traces}} {{ON_CLUSTER}}
    ADD COLUMN IF NOT EXISTS PaymentOrderId String MATERIALIZED SpanAttributes['payment.order_id'] CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS PaymentStage LowCardinality(String) MATERIALIZED SpanAttributes['payment.stage'] CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS PaymentChannel LowCardinality(String) MATERIALIZED SpanAttributes['payment.channel'] CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS PaymentGateway LowCardinality(String) MATERIALIZED SpanAttributes['payment.gateway'] CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS PaymentOutcome LowCardinality(String) MATERIALIZED SpanAttributes['payment.outcome'] CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS PaymentErrorCode LowCardinality(String) MATERIALIZED SpanAttributes['payment.error_code'] CODEC(ZSTD(1)),
    -- The host an outbound call went to, from the attribute each semantic-convention generation uses.
    ADD COLUMN IF NOT EXISTS PeerHost LowCardinality(String) MATERIALIZED lower(multiIf(
        SpanAttributes['server.address'] != '', SpanAttributes['server.address'],
        SpanAttributes['url.full'] != '', domain(SpanAttributes['url.full']),
        SpanAttributes['http.url'] != '', domain(SpanAttributes['http.url']),
        SpanAttributes['net.peer.name'])) CODEC(ZSTD(1)),
    -- Both spellings the Collector has used over time: `Error` and `STATUS_CODE_ERROR`.
    ADD COLUMN IF NOT EXISTS IsError UInt8 MATERIALIZED StatusCode IN ('Error', 'STATUS_CODE_ERROR') CODEC(ZSTD(1)),
    -- `Client` and `SPAN_KIND_CLIENT` read as one kind.
    ADD COLUMN IF NOT EXISTS Kind LowCardinality(String) MATERIALIZED multiIf(
        SpanKind IN ('Server', 'SPAN_KIND_SERVER'), 'server',
        SpanKind IN ('Client', 'SPAN_KIND_CLIENT'), 'client',
        SpanKind IN ('Producer', 'SPAN_KIND_PRODUCER'), 'producer',
        SpanKind IN ('Consumer', 'SPAN_KIND_CONSUMER'), 'consumer',
        SpanKind IN ('Internal', 'SPAN_KIND_INTERNAL'), 'internal',
        'unspecified') CODEC(ZSTD(1));

ALTER TABLE {{TABLE:otel_traces}} {{ON_CLUSTER}}
    ADD INDEX IF NOT EXISTS idx_payment_order_id PaymentOrderId TYPE bloom_filter(0.001) GRANULARITY 1;
