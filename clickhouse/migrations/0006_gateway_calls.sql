-- Outbound calls that may reach a payment gateway: client/producer spans with payment.gateway set
-- or a peer host that is a domain name (every public provider host has a dot; in-cluster service
-- names mostly do not). Which host belongs to which gateway is decided at query time from the host
-- table (built-in + PAYSCOPE_GATEWAY_HOSTS), so adding a host applies to history too. A few percent
-- of all spans: gateway health over days reads this instead of otel_traces.
CREATE TABLE IF NOT EXISTS {{TABLE:gateway_calls}} {{ON_CLUSTER}} (
    Timestamp DateTime64(9) CODEC(Delta, ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    PeerHost LowCardinality(String) CODEC(ZSTD(1)),
    PaymentGateway LowCardinality(String) CODEC(ZSTD(1)),
    PaymentChannel LowCardinality(String) CODEC(ZSTD(1)),
    PaymentErrorCode LowCardinality(String) CODEC(ZSTD(1)),
    PaymentOrderId String CODEC(ZSTD(1)),
    Duration UInt64 CODEC(T64, ZSTD(1)),
    IsError UInt8 CODEC(ZSTD(1)),
    ErrorType LowCardinality(String) CODEC(ZSTD(1)),
    TimeoutFlag LowCardinality(String) CODEC(ZSTD(1)),
    TraceId String CODEC(ZSTD(1)),
    SpanId String CODEC(ZSTD(1))
) ENGINE = {{MERGE_TREE:gateway_calls}}
PARTITION BY toDate(Timestamp)
ORDER BY (toStartOfHour(Timestamp), PaymentGateway, PeerHost, Timestamp)
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;

{{DISTRIBUTED:gateway_calls:cityHash64(TraceId)}};

CREATE MATERIALIZED VIEW IF NOT EXISTS gateway_calls_mv {{ON_CLUSTER}}
TO {{TABLE:gateway_calls}}
AS SELECT
    Timestamp, ServiceName, PeerHost, PaymentGateway, PaymentChannel, PaymentErrorCode, PaymentOrderId,
    Duration, IsError,
    SpanAttributes['error.type'] AS ErrorType,
    SpanAttributes['payment.timeout'] AS TimeoutFlag,
    TraceId, SpanId
FROM {{TABLE:otel_traces}}
WHERE Kind IN ('client', 'producer') AND (PaymentGateway != '' OR position(PeerHost, '.') > 0);
