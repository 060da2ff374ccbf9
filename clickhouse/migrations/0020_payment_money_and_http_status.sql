-- What error classes (lib/analytics/error-taxonomy.ts), money at stake (lib/analytics/money.ts) and
-- retries need from a gateway call or a stage span: the HTTP status (http.response.status_code, else
-- the older http.status_code), the payment's amount and currency as sent (raw: parsed and converted
-- at query time, so a new rate table applies to history), and the attempt number. Rows written
-- before this migration read '' and 0: such calls are classed by their code and status alone.
ALTER TABLE {{LOCAL_AND_DISTRIBUTED:gateway_calls}} {{ON_CLUSTER}}
    ADD COLUMN IF NOT EXISTS HttpStatus UInt16 DEFAULT 0 CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS PaymentAmount String DEFAULT '' CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS PaymentCurrency LowCardinality(String) DEFAULT '' CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS PaymentAttempt UInt16 DEFAULT 0 CODEC(ZSTD(1));

ALTER TABLE {{LOCAL_AND_DISTRIBUTED:payment_stage_events}} {{ON_CLUSTER}}
    ADD COLUMN IF NOT EXISTS HttpStatus UInt16 DEFAULT 0 CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS PaymentAmount String DEFAULT '' CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS PaymentCurrency LowCardinality(String) DEFAULT '' CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS PaymentAttempt UInt16 DEFAULT 0 CODEC(ZSTD(1));

-- The views' queries change in place (no window in which spans are not rolled up).
ALTER TABLE gateway_calls_mv {{ON_CLUSTER}} MODIFY QUERY
SELECT
    Timestamp, ServiceName, PeerHost, PaymentGateway, PaymentChannel, PaymentErrorCode, PaymentOrderId,
    Duration, IsError,
    SpanAttributes['error.type'] AS ErrorType,
    SpanAttributes['payment.timeout'] AS TimeoutFlag,
    TraceId, SpanId,
    toUInt16OrZero(if(SpanAttributes['http.response.status_code'] != '', SpanAttributes['http.response.status_code'], SpanAttributes['http.status_code'])) AS HttpStatus,
    SpanAttributes['payment.amount'] AS PaymentAmount,
    upper(SpanAttributes['payment.currency']) AS PaymentCurrency,
    toUInt16OrZero(SpanAttributes['payment.attempt']) AS PaymentAttempt
FROM {{TABLE:otel_traces}}
WHERE Kind IN ('client', 'producer') AND (PaymentGateway != '' OR position(PeerHost, '.') > 0);

ALTER TABLE payment_stage_events_mv {{ON_CLUSTER}} MODIFY QUERY
SELECT
    Timestamp, PaymentOrderId, PaymentStage, PaymentChannel, PaymentGateway, PaymentOutcome, PaymentErrorCode,
    ServiceName, SpanName, Kind, PeerHost, Duration, IsError,
    SpanAttributes['error.type'] AS ErrorType,
    SpanAttributes['payment.timeout'] AS TimeoutFlag,
    TraceId, SpanId,
    toUInt16OrZero(if(SpanAttributes['http.response.status_code'] != '', SpanAttributes['http.response.status_code'], SpanAttributes['http.status_code'])) AS HttpStatus,
    SpanAttributes['payment.amount'] AS PaymentAmount,
    upper(SpanAttributes['payment.currency']) AS PaymentCurrency,
    toUInt16OrZero(SpanAttributes['payment.attempt']) AS PaymentAttempt
FROM {{TABLE:otel_traces}}
WHERE PaymentStage != '';
