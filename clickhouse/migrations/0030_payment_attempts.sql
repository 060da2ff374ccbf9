-- One row per gateway attempt and per provider callback (spans with payment.stage gateway.request or
-- gateway.callback): what retries, failover and double charges are judged on. Besides the columns of
-- payment_stage_events it keeps the raw inputs of the error class (HTTP status), the service's
-- attempt number, the amount and currency, and the idempotent-duplicate flag of a callback, so none
-- of these needs the attribute maps of otel_traces. About two rows per payment.
CREATE TABLE IF NOT EXISTS {{TABLE:payment_attempts}} {{ON_CLUSTER}} (
    Timestamp DateTime64(9) CODEC(Delta, ZSTD(1)),
    PaymentOrderId String CODEC(ZSTD(1)),
    PaymentStage LowCardinality(String) CODEC(ZSTD(1)),
    PaymentChannel LowCardinality(String) CODEC(ZSTD(1)),
    PaymentGateway LowCardinality(String) CODEC(ZSTD(1)),
    PeerHost LowCardinality(String) CODEC(ZSTD(1)),
    PaymentOutcome LowCardinality(String) CODEC(ZSTD(1)),
    PaymentErrorCode LowCardinality(String) CODEC(ZSTD(1)),
    Duration UInt64 CODEC(T64, ZSTD(1)),
    IsError UInt8 CODEC(ZSTD(1)),
    ErrorType LowCardinality(String) CODEC(ZSTD(1)),
    TimeoutFlag LowCardinality(String) CODEC(ZSTD(1)),
    HttpStatus UInt16 CODEC(ZSTD(1)),
    -- payment.attempt as the service numbered it; 0 when it did not.
    Attempt UInt32 CODEC(ZSTD(1)),
    -- payment.amount as sent (a decimal string), and its currency.
    Amount String CODEC(ZSTD(1)),
    Currency LowCardinality(String) CODEC(ZSTD(1)),
    -- payment.provider_ref: the provider's charge id (the same id twice is one charge).
    ProviderRef String CODEC(ZSTD(1)),
    -- payment.callback.duplicate: a repeated delivery the service recognised and did not fulfil again.
    Duplicate UInt8 CODEC(ZSTD(1)),
    TraceId String CODEC(ZSTD(1)),
    SpanId String CODEC(ZSTD(1))
) ENGINE = {{MERGE_TREE:payment_attempts}}
PARTITION BY toDate(Timestamp)
ORDER BY (Timestamp, PaymentOrderId)
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;

{{DISTRIBUTED:payment_attempts:cityHash64(TraceId)}};

CREATE MATERIALIZED VIEW IF NOT EXISTS payment_attempts_mv {{ON_CLUSTER}}
TO {{TABLE:payment_attempts}}
AS SELECT
    Timestamp, PaymentOrderId, PaymentStage, PaymentChannel, PaymentGateway, PeerHost, PaymentOutcome, PaymentErrorCode,
    Duration, IsError,
    SpanAttributes['error.type'] AS ErrorType,
    SpanAttributes['payment.timeout'] AS TimeoutFlag,
    toUInt16OrZero(if(SpanAttributes['http.response.status_code'] != '', SpanAttributes['http.response.status_code'], SpanAttributes['http.status_code'])) AS HttpStatus,
    toUInt32OrZero(SpanAttributes['payment.attempt']) AS Attempt,
    SpanAttributes['payment.amount'] AS Amount,
    upper(SpanAttributes['payment.currency']) AS Currency,
    SpanAttributes['payment.provider_ref'] AS ProviderRef,
    SpanAttributes['payment.callback.duplicate'] IN ('true', '1') AS Duplicate,
    TraceId, SpanId
FROM {{TABLE:otel_traces}}
WHERE PaymentStage IN ('gateway.request', 'gateway.callback') AND PaymentOrderId != '';
