-- 0001_otel_traces
CREATE TABLE IF NOT EXISTS otel_traces_local ON CLUSTER `prod` (
    Timestamp DateTime64(9) CODEC(Delta, ZSTD(1)),
    TraceId String CODEC(ZSTD(3)),
    SpanId String CODEC(ZSTD(3)),
    ParentSpanId String CODEC(ZSTD(3)),
    TraceState String CODEC(ZSTD(1)),
    SpanName LowCardinality(String) CODEC(ZSTD(1)),
    SpanKind LowCardinality(String) CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(3)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion String CODEC(ZSTD(1)),
    SpanAttributes Map(LowCardinality(String), String) CODEC(ZSTD(3)),
    Duration UInt64 CODEC(ZSTD(1)),
    StatusCode LowCardinality(String) CODEC(ZSTD(1)),
    StatusMessage String CODEC(ZSTD(1)),
    Events Nested (
        Timestamp DateTime64(9),
        Name LowCardinality(String),
        Attributes Map(LowCardinality(String), String)
    ) CODEC(ZSTD(1)),
    Links Nested (
        TraceId String,
        SpanId String,
        TraceState String,
        Attributes Map(LowCardinality(String), String)
    ) CODEC(ZSTD(1)),
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_duration Duration TYPE minmax GRANULARITY 1
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/otel_traces_local', '{replica}')
PARTITION BY toDate(Timestamp)
ORDER BY (toStartOfHour(Timestamp), TraceId, Timestamp)
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;

CREATE TABLE IF NOT EXISTS otel_traces ON CLUSTER `prod` AS otel_traces_local
ENGINE = Distributed('prod', 'payscope', 'otel_traces_local', cityHash64(TraceId));

ALTER TABLE otel_traces_local ON CLUSTER `prod` MODIFY SETTING non_replicated_deduplication_window = 10000;

-- 0002_trace_id_ts
CREATE TABLE IF NOT EXISTS otel_traces_trace_id_ts_local ON CLUSTER `prod` (
    TraceId String CODEC(ZSTD(1)),
    Start DateTime CODEC(Delta, ZSTD(1)),
    End DateTime CODEC(Delta, ZSTD(1)),
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.01) GRANULARITY 1
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/otel_traces_trace_id_ts_local', '{replica}')
PARTITION BY toDate(Start)
ORDER BY (TraceId, Start)
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;

CREATE TABLE IF NOT EXISTS otel_traces_trace_id_ts ON CLUSTER `prod` AS otel_traces_trace_id_ts_local
ENGINE = Distributed('prod', 'payscope', 'otel_traces_trace_id_ts_local', cityHash64(TraceId));

CREATE MATERIALIZED VIEW IF NOT EXISTS otel_traces_trace_id_ts_mv ON CLUSTER `prod`
TO otel_traces_trace_id_ts_local
AS SELECT
    TraceId,
    min(Timestamp) AS Start,
    max(Timestamp) AS End
FROM otel_traces_local
WHERE TraceId != ''
GROUP BY TraceId;

-- 0003_payment_columns
ALTER TABLE otel_traces_local ON CLUSTER `prod`
    ADD COLUMN IF NOT EXISTS PaymentOrderId String MATERIALIZED SpanAttributes['payment.order_id'] CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS PaymentStage LowCardinality(String) MATERIALIZED SpanAttributes['payment.stage'] CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS PaymentChannel LowCardinality(String) MATERIALIZED SpanAttributes['payment.channel'] CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS PaymentGateway LowCardinality(String) MATERIALIZED SpanAttributes['payment.gateway'] CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS PaymentOutcome LowCardinality(String) MATERIALIZED SpanAttributes['payment.outcome'] CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS PaymentErrorCode LowCardinality(String) MATERIALIZED SpanAttributes['payment.error_code'] CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS PeerHost LowCardinality(String) MATERIALIZED lower(multiIf(
        SpanAttributes['server.address'] != '', SpanAttributes['server.address'],
        SpanAttributes['url.full'] != '', domain(SpanAttributes['url.full']),
        SpanAttributes['http.url'] != '', domain(SpanAttributes['http.url']),
        SpanAttributes['net.peer.name'])) CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS IsError UInt8 MATERIALIZED StatusCode IN ('Error', 'STATUS_CODE_ERROR') CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS Kind LowCardinality(String) MATERIALIZED multiIf(
        SpanKind IN ('Server', 'SPAN_KIND_SERVER'), 'server',
        SpanKind IN ('Client', 'SPAN_KIND_CLIENT'), 'client',
        SpanKind IN ('Producer', 'SPAN_KIND_PRODUCER'), 'producer',
        SpanKind IN ('Consumer', 'SPAN_KIND_CONSUMER'), 'consumer',
        SpanKind IN ('Internal', 'SPAN_KIND_INTERNAL'), 'internal',
        'unspecified') CODEC(ZSTD(1));

ALTER TABLE otel_traces ON CLUSTER `prod`
    ADD COLUMN IF NOT EXISTS PaymentOrderId String MATERIALIZED SpanAttributes['payment.order_id'] CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS PaymentStage LowCardinality(String) MATERIALIZED SpanAttributes['payment.stage'] CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS PaymentChannel LowCardinality(String) MATERIALIZED SpanAttributes['payment.channel'] CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS PaymentGateway LowCardinality(String) MATERIALIZED SpanAttributes['payment.gateway'] CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS PaymentOutcome LowCardinality(String) MATERIALIZED SpanAttributes['payment.outcome'] CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS PaymentErrorCode LowCardinality(String) MATERIALIZED SpanAttributes['payment.error_code'] CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS PeerHost LowCardinality(String) MATERIALIZED lower(multiIf(
        SpanAttributes['server.address'] != '', SpanAttributes['server.address'],
        SpanAttributes['url.full'] != '', domain(SpanAttributes['url.full']),
        SpanAttributes['http.url'] != '', domain(SpanAttributes['http.url']),
        SpanAttributes['net.peer.name'])) CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS IsError UInt8 MATERIALIZED StatusCode IN ('Error', 'STATUS_CODE_ERROR') CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS Kind LowCardinality(String) MATERIALIZED multiIf(
        SpanKind IN ('Server', 'SPAN_KIND_SERVER'), 'server',
        SpanKind IN ('Client', 'SPAN_KIND_CLIENT'), 'client',
        SpanKind IN ('Producer', 'SPAN_KIND_PRODUCER'), 'producer',
        SpanKind IN ('Consumer', 'SPAN_KIND_CONSUMER'), 'consumer',
        SpanKind IN ('Internal', 'SPAN_KIND_INTERNAL'), 'internal',
        'unspecified') CODEC(ZSTD(1));

ALTER TABLE otel_traces_local ON CLUSTER `prod`
    ADD INDEX IF NOT EXISTS idx_payment_order_id PaymentOrderId TYPE bloom_filter(0.001) GRANULARITY 1;

-- 0004_payment_stage_events
CREATE TABLE IF NOT EXISTS payment_stage_events_local ON CLUSTER `prod` (
    Timestamp DateTime64(9) CODEC(Delta, ZSTD(1)),
    PaymentOrderId String CODEC(ZSTD(1)),
    PaymentStage LowCardinality(String) CODEC(ZSTD(1)),
    PaymentChannel LowCardinality(String) CODEC(ZSTD(1)),
    PaymentGateway LowCardinality(String) CODEC(ZSTD(1)),
    PaymentOutcome LowCardinality(String) CODEC(ZSTD(1)),
    PaymentErrorCode LowCardinality(String) CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    SpanName LowCardinality(String) CODEC(ZSTD(1)),
    Kind LowCardinality(String) CODEC(ZSTD(1)),
    PeerHost LowCardinality(String) CODEC(ZSTD(1)),
    Duration UInt64 CODEC(T64, ZSTD(1)),
    IsError UInt8 CODEC(ZSTD(1)),
    ErrorType LowCardinality(String) CODEC(ZSTD(1)),
    TimeoutFlag LowCardinality(String) CODEC(ZSTD(1)),
    TraceId String CODEC(ZSTD(1)),
    SpanId String CODEC(ZSTD(1))
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/payment_stage_events_local', '{replica}')
PARTITION BY toDate(Timestamp)
ORDER BY (PaymentStage, Timestamp)
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;

CREATE TABLE IF NOT EXISTS payment_stage_events ON CLUSTER `prod` AS payment_stage_events_local
ENGINE = Distributed('prod', 'payscope', 'payment_stage_events_local', cityHash64(TraceId));

CREATE MATERIALIZED VIEW IF NOT EXISTS payment_stage_events_mv ON CLUSTER `prod`
TO payment_stage_events_local
AS SELECT
    Timestamp, PaymentOrderId, PaymentStage, PaymentChannel, PaymentGateway, PaymentOutcome, PaymentErrorCode,
    ServiceName, SpanName, Kind, PeerHost, Duration, IsError,
    SpanAttributes['error.type'] AS ErrorType,
    SpanAttributes['payment.timeout'] AS TimeoutFlag,
    TraceId, SpanId
FROM otel_traces_local
WHERE PaymentStage != '';

-- 0005_payment_order_traces
CREATE TABLE IF NOT EXISTS payment_order_traces_local ON CLUSTER `prod` (
    PaymentOrderId String CODEC(ZSTD(1)),
    TraceId String CODEC(ZSTD(1)),
    Start DateTime CODEC(Delta, ZSTD(1)),
    End DateTime CODEC(Delta, ZSTD(1))
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/payment_order_traces_local', '{replica}')
PARTITION BY toDate(Start)
ORDER BY (PaymentOrderId, TraceId)
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;

CREATE TABLE IF NOT EXISTS payment_order_traces ON CLUSTER `prod` AS payment_order_traces_local
ENGINE = Distributed('prod', 'payscope', 'payment_order_traces_local', cityHash64(TraceId));

CREATE MATERIALIZED VIEW IF NOT EXISTS payment_order_traces_mv ON CLUSTER `prod`
TO payment_order_traces_local
AS SELECT
    PaymentOrderId,
    TraceId,
    min(Timestamp) AS Start,
    max(Timestamp) AS End
FROM otel_traces_local
WHERE PaymentOrderId != '' AND TraceId != ''
GROUP BY PaymentOrderId, TraceId;

-- 0006_gateway_calls
CREATE TABLE IF NOT EXISTS gateway_calls_local ON CLUSTER `prod` (
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
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/gateway_calls_local', '{replica}')
PARTITION BY toDate(Timestamp)
ORDER BY (toStartOfHour(Timestamp), PaymentGateway, PeerHost, Timestamp)
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;

CREATE TABLE IF NOT EXISTS gateway_calls ON CLUSTER `prod` AS gateway_calls_local
ENGINE = Distributed('prod', 'payscope', 'gateway_calls_local', cityHash64(TraceId));

CREATE MATERIALIZED VIEW IF NOT EXISTS gateway_calls_mv ON CLUSTER `prod`
TO gateway_calls_local
AS SELECT
    Timestamp, ServiceName, PeerHost, PaymentGateway, PaymentChannel, PaymentErrorCode, PaymentOrderId,
    Duration, IsError,
    SpanAttributes['error.type'] AS ErrorType,
    SpanAttributes['payment.timeout'] AS TimeoutFlag,
    TraceId, SpanId
FROM otel_traces_local
WHERE Kind IN ('client', 'producer') AND (PaymentGateway != '' OR position(PeerHost, '.') > 0);

-- 0007_hop_spans
CREATE TABLE IF NOT EXISTS hop_spans_local ON CLUSTER `prod` (
    Timestamp DateTime64(9) CODEC(Delta, ZSTD(1)),
    Kind LowCardinality(String) CODEC(ZSTD(1)),
    SpanKey UInt64 CODEC(ZSTD(1)),
    ParentKey UInt64 CODEC(ZSTD(1)),
    TraceKey UInt64 CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    PeerHost LowCardinality(String) CODEC(ZSTD(1)),
    PaymentGateway LowCardinality(String) CODEC(ZSTD(1)),
    Duration UInt64 CODEC(T64, ZSTD(1)),
    IsError UInt8 CODEC(ZSTD(1))
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/hop_spans_local', '{replica}')
PARTITION BY toDate(Timestamp)
ORDER BY (Kind, Timestamp)
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;

CREATE TABLE IF NOT EXISTS hop_spans ON CLUSTER `prod` AS hop_spans_local
ENGINE = Distributed('prod', 'payscope', 'hop_spans_local', TraceKey);

CREATE MATERIALIZED VIEW IF NOT EXISTS hop_spans_mv ON CLUSTER `prod`
TO hop_spans_local
AS SELECT
    Timestamp, Kind,
    cityHash64(TraceId, SpanId) AS SpanKey,
    cityHash64(TraceId, ParentSpanId) AS ParentKey,
    cityHash64(TraceId) AS TraceKey,
    ServiceName, PeerHost, PaymentGateway, Duration, IsError
FROM otel_traces_local;

-- 0008_funnels
CREATE TABLE IF NOT EXISTS payscope_funnels ON CLUSTER `prod` (
    Id String,
    Name String,
    Definition String,
    UpdatedAt DateTime64(3),
    Deleted UInt8
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/all/{database}/payscope_funnels', '{shard}-{replica}')
ORDER BY Id;

-- 0009_otel_traces_storage
ALTER TABLE otel_traces_local ON CLUSTER `prod` DROP INDEX IF EXISTS idx_payment_order_id, DROP INDEX IF EXISTS idx_duration;

ALTER TABLE otel_traces_local ON CLUSTER `prod`
    MODIFY COLUMN Duration UInt64 CODEC(T64, ZSTD(1)),
    MODIFY COLUMN ScopeName String CODEC(ZSTD(3)),
    MODIFY COLUMN ScopeVersion String CODEC(ZSTD(3)),
    MODIFY COLUMN PaymentOrderId String MATERIALIZED SpanAttributes['payment.order_id'] CODEC(ZSTD(3));

-- 0010_otel_traces_merges
ALTER TABLE otel_traces_local ON CLUSTER `prod` MODIFY SETTING merge_selector_base = 10;

-- 0020_payment_money_and_http_status
ALTER TABLE gateway_calls_local ON CLUSTER `prod`
    ADD COLUMN IF NOT EXISTS HttpStatus UInt16 DEFAULT 0 CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS PaymentAmount String DEFAULT '' CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS PaymentCurrency LowCardinality(String) DEFAULT '' CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS PaymentAttempt UInt16 DEFAULT 0 CODEC(ZSTD(1));

ALTER TABLE gateway_calls ON CLUSTER `prod`
    ADD COLUMN IF NOT EXISTS HttpStatus UInt16 DEFAULT 0 CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS PaymentAmount String DEFAULT '' CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS PaymentCurrency LowCardinality(String) DEFAULT '' CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS PaymentAttempt UInt16 DEFAULT 0 CODEC(ZSTD(1));

ALTER TABLE payment_stage_events_local ON CLUSTER `prod`
    ADD COLUMN IF NOT EXISTS HttpStatus UInt16 DEFAULT 0 CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS PaymentAmount String DEFAULT '' CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS PaymentCurrency LowCardinality(String) DEFAULT '' CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS PaymentAttempt UInt16 DEFAULT 0 CODEC(ZSTD(1));

ALTER TABLE payment_stage_events ON CLUSTER `prod`
    ADD COLUMN IF NOT EXISTS HttpStatus UInt16 DEFAULT 0 CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS PaymentAmount String DEFAULT '' CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS PaymentCurrency LowCardinality(String) DEFAULT '' CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS PaymentAttempt UInt16 DEFAULT 0 CODEC(ZSTD(1));

ALTER TABLE gateway_calls_mv ON CLUSTER `prod` MODIFY QUERY
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
FROM otel_traces_local
WHERE Kind IN ('client', 'producer') AND (PaymentGateway != '' OR position(PeerHost, '.') > 0);

ALTER TABLE payment_stage_events_mv ON CLUSTER `prod` MODIFY QUERY
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
FROM otel_traces_local
WHERE PaymentStage != '';

-- 0030_payment_attempts
CREATE TABLE IF NOT EXISTS payment_attempts_local ON CLUSTER `prod` (
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
    Attempt UInt32 CODEC(ZSTD(1)),
    Amount String CODEC(ZSTD(1)),
    Currency LowCardinality(String) CODEC(ZSTD(1)),
    ProviderRef String CODEC(ZSTD(1)),
    Duplicate UInt8 CODEC(ZSTD(1)),
    TraceId String CODEC(ZSTD(1)),
    SpanId String CODEC(ZSTD(1))
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/payment_attempts_local', '{replica}')
PARTITION BY toDate(Timestamp)
ORDER BY (Timestamp, PaymentOrderId)
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;

CREATE TABLE IF NOT EXISTS payment_attempts ON CLUSTER `prod` AS payment_attempts_local
ENGINE = Distributed('prod', 'payscope', 'payment_attempts_local', cityHash64(TraceId));

CREATE MATERIALIZED VIEW IF NOT EXISTS payment_attempts_mv ON CLUSTER `prod`
TO payment_attempts_local
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
FROM otel_traces_local
WHERE PaymentStage IN ('gateway.request', 'gateway.callback') AND PaymentOrderId != '';

-- 0035_transaction_phases
CREATE TABLE IF NOT EXISTS transaction_phases_local ON CLUSTER `prod` (
    Timestamp DateTime64(9) CODEC(Delta, ZSTD(1)),
    TxId String CODEC(ZSTD(1)),
    Branch LowCardinality(String) CODEC(ZSTD(1)),
    Phase LowCardinality(String) CODEC(ZSTD(1)),
    Duration UInt64 CODEC(T64, ZSTD(1)),
    IsError UInt8 CODEC(ZSTD(1)),
    PaymentOutcome LowCardinality(String) CODEC(ZSTD(1)),
    PaymentOrderId String CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    TraceId String CODEC(ZSTD(1)),
    SpanId String CODEC(ZSTD(1))
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/transaction_phases_local', '{replica}')
PARTITION BY toDate(Timestamp)
ORDER BY (Timestamp, TxId)
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;

CREATE TABLE IF NOT EXISTS transaction_phases ON CLUSTER `prod` AS transaction_phases_local
ENGINE = Distributed('prod', 'payscope', 'transaction_phases_local', cityHash64(TraceId));

CREATE MATERIALIZED VIEW IF NOT EXISTS transaction_phases_mv ON CLUSTER `prod`
TO transaction_phases_local
AS SELECT
    Timestamp,
    SpanAttributes['payment.tx.id'] AS TxId,
    SpanAttributes['payment.tx.branch'] AS Branch,
    SpanAttributes['payment.tx.phase'] AS Phase,
    Duration, IsError, PaymentOutcome, PaymentOrderId, ServiceName, TraceId, SpanId
FROM otel_traces_local
WHERE SpanAttributes['payment.tx.id'] != '';

-- 0040_alert_rules
CREATE TABLE IF NOT EXISTS payscope_alert_rules ON CLUSTER `prod` (
    Id String,
    Definition String,
    UpdatedAt DateTime64(3),
    Deleted UInt8
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/all/{database}/payscope_alert_rules', '{shard}-{replica}')
ORDER BY Id;

-- 0041_alerts
CREATE TABLE IF NOT EXISTS payscope_alerts ON CLUSTER `prod` (
    Id String,
    Fingerprint String,
    Rule String,
    AlertName String,
    Severity LowCardinality(String),
    Labels Map(String, String),
    Annotations Map(String, String),
    State LowCardinality(String),
    ActiveAt DateTime64(3),
    StartsAt Nullable(DateTime64(3)),
    EndsAt Nullable(DateTime64(3)),
    Value Float64,
    Threshold Float64,
    UpdatedAt DateTime64(3)
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/all/{database}/payscope_alerts', '{shard}-{replica}')
ORDER BY Id;

-- 0042_alert_silences
CREATE TABLE IF NOT EXISTS payscope_alert_silences ON CLUSTER `prod` (
    Id String,
    Matchers String,
    StartsAt DateTime64(3),
    EndsAt DateTime64(3),
    Comment String,
    UpdatedAt DateTime64(3),
    Deleted UInt8
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/all/{database}/payscope_alert_silences', '{shard}-{replica}')
ORDER BY Id;

-- 0043_alert_notifications
CREATE TABLE IF NOT EXISTS payscope_alert_notifications ON CLUSTER `prod` (
    Id String,
    Receiver String,
    Body String,
    CreatedAt DateTime64(3),
    State LowCardinality(String),
    Attempts UInt32,
    NextAttemptAt DateTime64(3),
    LastError String,
    UpdatedAt DateTime64(3)
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/all/{database}/payscope_alert_notifications', '{shard}-{replica}')
ORDER BY Id;

-- 0044_instances
CREATE TABLE IF NOT EXISTS payscope_instances ON CLUSTER `prod` (
    Instance String,
    Job String,
    Seen DateTime64(3)
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/all/{database}/payscope_instances', '{shard}-{replica}')
ORDER BY (Job, Instance)
TTL toDateTime(Seen) + INTERVAL 1 HOUR;

-- 0050_span_hours
CREATE TABLE IF NOT EXISTS span_hours_local ON CLUSTER `prod` (
    Hour DateTime('UTC'),
    InsertedAt DateTime64(6, 'UTC')
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/span_hours_local', '{replica}')
PARTITION BY toDate(Hour)
ORDER BY Hour
SETTINGS ttl_only_drop_parts = 1;

CREATE TABLE IF NOT EXISTS span_hours ON CLUSTER `prod` AS span_hours_local
ENGINE = Distributed('prod', 'payscope', 'span_hours_local', rand());

CREATE MATERIALIZED VIEW IF NOT EXISTS span_hours_mv ON CLUSTER `prod`
TO span_hours_local
AS SELECT toStartOfHour(toDateTime(Timestamp, 'UTC')) AS Hour, now64(6, 'UTC') AS InsertedAt
FROM otel_traces_local
GROUP BY Hour;

CREATE TABLE IF NOT EXISTS partial_hours_local ON CLUSTER `prod` (
    Kind LowCardinality(String),
    Hour DateTime('UTC'),
    Covers DateTime64(6, 'UTC')
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/partial_hours_local', '{replica}')
PARTITION BY toDate(Hour)
ORDER BY (Kind, Hour)
SETTINGS ttl_only_drop_parts = 1;

CREATE TABLE IF NOT EXISTS partial_hours ON CLUSTER `prod` AS partial_hours_local
ENGINE = Distributed('prod', 'payscope', 'partial_hours_local', rand());

-- 0051_stage_latency_partials
CREATE TABLE IF NOT EXISTS stage_latency_partials_local ON CLUSTER `prod` (
    Kind LowCardinality(String),
    Hour DateTime('UTC'),
    Covers DateTime64(6, 'UTC'),
    Start Int64 CODEC(Delta, ZSTD(1)),
    Stage LowCardinality(String),
    Channel LowCardinality(String),
    Duration Int64 CODEC(T64, ZSTD(1)),
    IsError UInt8,
    HasWait UInt8,
    Wait Int64 CODEC(T64, ZSTD(1))
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/stage_latency_partials_local', '{replica}')
PARTITION BY toDate(Hour)
ORDER BY (Kind, Hour, Start)
SETTINGS ttl_only_drop_parts = 1;

CREATE TABLE IF NOT EXISTS stage_latency_partials ON CLUSTER `prod` AS stage_latency_partials_local
ENGINE = Distributed('prod', 'payscope', 'stage_latency_partials_local', rand());

-- 0052_funnel_partials
CREATE TABLE IF NOT EXISTS funnel_partials_local ON CLUSTER `prod` (
    Kind LowCardinality(String),
    Hour DateTime('UTC'),
    Covers DateTime64(6, 'UTC'),
    Channel LowCardinality(String),
    Gateway LowCardinality(String),
    Channels Array(LowCardinality(String)),
    Gateways Array(LowCardinality(String)),
    Ts Array(Int64) CODEC(Delta, ZSTD(1))
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/funnel_partials_local', '{replica}')
PARTITION BY toDate(Hour)
ORDER BY (Kind, Hour)
SETTINGS ttl_only_drop_parts = 1;

CREATE TABLE IF NOT EXISTS funnel_partials ON CLUSTER `prod` AS funnel_partials_local
ENGINE = Distributed('prod', 'payscope', 'funnel_partials_local', rand());

-- 0054_hop_edges_partials
CREATE TABLE IF NOT EXISTS hop_edges_partials_local ON CLUSTER `prod` (
    Kind LowCardinality(String),
    Hour DateTime('UTC'),
    Covers DateTime64(6, 'UTC'),
    FromService LowCardinality(String),
    PaymentGateway LowCardinality(String),
    PeerHost LowCardinality(String),
    Callee LowCardinality(String),
    Calls UInt64,
    Errors UInt64,
    SelfSum Int64,
    Durations AggregateFunction(quantilesExact(0.5, 0.95, 0.99), UInt64)
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/hop_edges_partials_local', '{replica}')
PARTITION BY toDate(Hour)
ORDER BY (Kind, Hour, FromService, PaymentGateway, PeerHost, Callee)
SETTINGS ttl_only_drop_parts = 1;

CREATE TABLE IF NOT EXISTS hop_edges_partials ON CLUSTER `prod` AS hop_edges_partials_local
ENGINE = Distributed('prod', 'payscope', 'hop_edges_partials_local', rand());

-- 0055_hop_sample_spans
CREATE TABLE IF NOT EXISTS hop_sample_spans_local ON CLUSTER `prod` (
    Timestamp DateTime64(9) CODEC(Delta, ZSTD(1)),
    Kind LowCardinality(String) CODEC(ZSTD(1)),
    SpanKey UInt64 CODEC(ZSTD(1)),
    ParentKey UInt64 CODEC(ZSTD(1)),
    TraceKey UInt64 CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    PeerHost LowCardinality(String) CODEC(ZSTD(1)),
    PaymentGateway LowCardinality(String) CODEC(ZSTD(1)),
    Duration UInt64 CODEC(T64, ZSTD(1))
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/hop_sample_spans_local', '{replica}')
PARTITION BY toDate(Timestamp)
ORDER BY (TraceKey, SpanKey)
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;

CREATE TABLE IF NOT EXISTS hop_sample_spans ON CLUSTER `prod` AS hop_sample_spans_local
ENGINE = Distributed('prod', 'payscope', 'hop_sample_spans_local', TraceKey);

CREATE MATERIALIZED VIEW IF NOT EXISTS hop_sample_spans_mv ON CLUSTER `prod`
TO hop_sample_spans_local
AS SELECT Timestamp, Kind, SpanKey, ParentKey, TraceKey, ServiceName, PeerHost, PaymentGateway, Duration
FROM hop_spans_local
WHERE TraceKey < 1152921504606846976;

INSERT INTO hop_sample_spans_local
SELECT Timestamp, Kind, SpanKey, ParentKey, TraceKey, ServiceName, PeerHost, PaymentGateway, Duration
FROM hop_spans_local
WHERE TraceKey < 1152921504606846976;

-- 0056_hop_edges_partials_bucket
ALTER TABLE hop_edges_partials_local ON CLUSTER `prod`
    ADD COLUMN IF NOT EXISTS Bucket UInt8 AFTER Covers,
    ADD COLUMN IF NOT EXISTS Channels Array(LowCardinality(String)) AFTER Callee,
    ADD COLUMN IF NOT EXISTS Gateways Array(Tuple(String, String)) AFTER Channels;

ALTER TABLE hop_edges_partials ON CLUSTER `prod`
    ADD COLUMN IF NOT EXISTS Bucket UInt8 AFTER Covers,
    ADD COLUMN IF NOT EXISTS Channels Array(LowCardinality(String)) AFTER Callee,
    ADD COLUMN IF NOT EXISTS Gateways Array(Tuple(String, String)) AFTER Channels;

-- 0057_payment_hour_partials
CREATE TABLE IF NOT EXISTS payment_hour_partials_local ON CLUSTER `prod` (
    Kind LowCardinality(String),
    Hour DateTime('UTC'),
    Covers DateTime64(6, 'UTC'),
    PaymentOrderId String CODEC(ZSTD(1)),
    Channel LowCardinality(String),
    Amount String CODEC(ZSTD(1)),
    Currency LowCardinality(String),
    Gateway LowCardinality(String),
    GatewayNs Int64,
    StuckGateway LowCardinality(String),
    AcceptedEndNs Int64,
    AcceptedNs Int64,
    AcceptedTimedOut UInt8,
    AcceptedRequests UInt64,
    Callbacks UInt64,
    SucceededNs Int64,
    FailedNs Int64,
    HardFailures UInt64,
    LastRequestNs Int64,
    LastRequestRejected UInt8,
    FailureGatewayStage UInt8,
    FailureNs Int64,
    FailureGateway LowCardinality(String),
    FailureCode LowCardinality(String),
    FailureErrorType LowCardinality(String),
    FailureHttpStatus UInt16,
    FailureTimeoutFlag LowCardinality(String)
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/payment_hour_partials_local', '{replica}')
PARTITION BY toDate(Hour)
ORDER BY (Kind, Hour)
SETTINGS ttl_only_drop_parts = 1;

CREATE TABLE IF NOT EXISTS payment_hour_partials ON CLUSTER `prod` AS payment_hour_partials_local
ENGINE = Distributed('prod', 'payscope', 'payment_hour_partials_local', rand());

-- 0058_stuck_candidate_partials
CREATE TABLE IF NOT EXISTS stuck_candidate_partials_local ON CLUSTER `prod` (
    Kind LowCardinality(String),
    Hour DateTime('UTC'),
    Covers DateTime64(6, 'UTC'),
    PaymentOrderId String CODEC(ZSTD(1))
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/stuck_candidate_partials_local', '{replica}')
PARTITION BY toDate(Hour)
ORDER BY (Kind, Hour)
SETTINGS ttl_only_drop_parts = 1;

CREATE TABLE IF NOT EXISTS stuck_candidate_partials ON CLUSTER `prod` AS stuck_candidate_partials_local
ENGINE = Distributed('prod', 'payscope', 'stuck_candidate_partials_local', rand());

-- 0060_search_attribute_columns
ALTER TABLE otel_traces_local ON CLUSTER `prod`
    ADD COLUMN IF NOT EXISTS HttpResponseStatusCode LowCardinality(String) MATERIALIZED SpanAttributes['http.response.status_code'] CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS HttpRequestMethod LowCardinality(String) MATERIALIZED SpanAttributes['http.request.method'] CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS HttpRoute LowCardinality(String) MATERIALIZED SpanAttributes['http.route'] CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS ErrorType LowCardinality(String) MATERIALIZED SpanAttributes['error.type'] CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS ResourceHttpResponseStatusCode LowCardinality(String) MATERIALIZED ResourceAttributes['http.response.status_code'] CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS ResourceHttpRequestMethod LowCardinality(String) MATERIALIZED ResourceAttributes['http.request.method'] CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS ResourceHttpRoute LowCardinality(String) MATERIALIZED ResourceAttributes['http.route'] CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS ResourceErrorType LowCardinality(String) MATERIALIZED ResourceAttributes['error.type'] CODEC(ZSTD(1));

ALTER TABLE otel_traces ON CLUSTER `prod`
    ADD COLUMN IF NOT EXISTS HttpResponseStatusCode LowCardinality(String) MATERIALIZED SpanAttributes['http.response.status_code'] CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS HttpRequestMethod LowCardinality(String) MATERIALIZED SpanAttributes['http.request.method'] CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS HttpRoute LowCardinality(String) MATERIALIZED SpanAttributes['http.route'] CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS ErrorType LowCardinality(String) MATERIALIZED SpanAttributes['error.type'] CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS ResourceHttpResponseStatusCode LowCardinality(String) MATERIALIZED ResourceAttributes['http.response.status_code'] CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS ResourceHttpRequestMethod LowCardinality(String) MATERIALIZED ResourceAttributes['http.request.method'] CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS ResourceHttpRoute LowCardinality(String) MATERIALIZED ResourceAttributes['http.route'] CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS ResourceErrorType LowCardinality(String) MATERIALIZED ResourceAttributes['error.type'] CODEC(ZSTD(1));

ALTER TABLE otel_traces_local ON CLUSTER `prod`
    MATERIALIZE COLUMN HttpResponseStatusCode,
    MATERIALIZE COLUMN HttpRequestMethod,
    MATERIALIZE COLUMN HttpRoute,
    MATERIALIZE COLUMN ErrorType,
    MATERIALIZE COLUMN ResourceHttpResponseStatusCode,
    MATERIALIZE COLUMN ResourceHttpRequestMethod,
    MATERIALIZE COLUMN ResourceHttpRoute,
    MATERIALIZE COLUMN ResourceErrorType;

-- 0064_attribute_sample_spans
CREATE TABLE IF NOT EXISTS attribute_sample_spans_local ON CLUSTER `prod` (
    Timestamp DateTime64(9) CODEC(Delta, ZSTD(1)),
    TraceId String CODEC(ZSTD(1)),
    SpanAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1))
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/attribute_sample_spans_local', '{replica}')
PARTITION BY toDate(Timestamp)
ORDER BY (TraceId, Timestamp)
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;

CREATE TABLE IF NOT EXISTS attribute_sample_spans ON CLUSTER `prod` AS attribute_sample_spans_local
ENGINE = Distributed('prod', 'payscope', 'attribute_sample_spans_local', cityHash64(TraceId));

CREATE MATERIALIZED VIEW IF NOT EXISTS attribute_sample_spans_mv ON CLUSTER `prod`
TO attribute_sample_spans_local
AS SELECT Timestamp, TraceId, SpanAttributes, ResourceAttributes
FROM otel_traces_local
WHERE TraceId < '1';

INSERT INTO attribute_sample_spans_local
SELECT Timestamp, TraceId, SpanAttributes, ResourceAttributes
FROM otel_traces_local
WHERE TraceId < '1';

-- 0068_hop_sample_payments
CREATE TABLE IF NOT EXISTS hop_sample_payments_local ON CLUSTER `prod` (
    Timestamp DateTime64(9) CODEC(Delta, ZSTD(1)),
    TraceKey UInt64 CODEC(ZSTD(1)),
    PaymentChannel LowCardinality(String) CODEC(ZSTD(1)),
    PaymentGateway LowCardinality(String) CODEC(ZSTD(1)),
    PeerHost LowCardinality(String) CODEC(ZSTD(1))
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/hop_sample_payments_local', '{replica}')
PARTITION BY toDate(Timestamp)
ORDER BY Timestamp
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;

CREATE TABLE IF NOT EXISTS hop_sample_payments ON CLUSTER `prod` AS hop_sample_payments_local
ENGINE = Distributed('prod', 'payscope', 'hop_sample_payments_local', TraceKey);

CREATE MATERIALIZED VIEW IF NOT EXISTS hop_sample_payments_mv ON CLUSTER `prod`
TO hop_sample_payments_local
AS SELECT Timestamp, cityHash64(TraceId) AS TraceKey, PaymentChannel, PaymentGateway, PeerHost
FROM payment_stage_events_local
WHERE cityHash64(TraceId) < 1152921504606846976 AND (PaymentChannel != '' OR PaymentGateway != '' OR PeerHost != '');

INSERT INTO hop_sample_payments_local
SELECT Timestamp, cityHash64(TraceId) AS TraceKey, PaymentChannel, PaymentGateway, PeerHost
FROM payment_stage_events_local
WHERE cityHash64(TraceId) < 1152921504606846976 AND (PaymentChannel != '' OR PaymentGateway != '' OR PeerHost != '');

-- 0073_otel_traces_map_strings
ALTER TABLE otel_traces_local ON CLUSTER `prod` MODIFY SETTING propagate_types_serialization_versions_to_nested_types = 0;

-- 0074_otel_traces_scope_codecs
ALTER TABLE otel_traces_local ON CLUSTER `prod`
    MODIFY COLUMN TraceId String CODEC(ZSTD(1)),
    MODIFY COLUMN ScopeName String CODEC(ZSTD(5)),
    MODIFY COLUMN ScopeVersion String CODEC(ZSTD(5));

-- 0075_derived_tables_merges
ALTER TABLE payment_stage_events_local ON CLUSTER `prod` MODIFY SETTING merge_selector_base = 10;

ALTER TABLE payment_order_traces_local ON CLUSTER `prod` MODIFY SETTING merge_selector_base = 10;

ALTER TABLE gateway_calls_local ON CLUSTER `prod` MODIFY SETTING merge_selector_base = 10;

ALTER TABLE hop_spans_local ON CLUSTER `prod` MODIFY SETTING merge_selector_base = 10;

ALTER TABLE hop_sample_spans_local ON CLUSTER `prod` MODIFY SETTING merge_selector_base = 10;

ALTER TABLE payment_attempts_local ON CLUSTER `prod` MODIFY SETTING merge_selector_base = 10;

ALTER TABLE transaction_phases_local ON CLUSTER `prod` MODIFY SETTING merge_selector_base = 10;

ALTER TABLE otel_traces_trace_id_ts_local ON CLUSTER `prod` MODIFY SETTING merge_selector_base = 10;

ALTER TABLE span_hours_local ON CLUSTER `prod` MODIFY SETTING merge_selector_base = 10;

ALTER TABLE attribute_sample_spans_local ON CLUSTER `prod` MODIFY SETTING merge_selector_base = 10;

ALTER TABLE hop_sample_payments_local ON CLUSTER `prod` MODIFY SETTING merge_selector_base = 10;
