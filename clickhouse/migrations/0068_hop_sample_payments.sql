-- The payment stage spans of the critical-path sample's traces (TraceKey below 2^60, the traces of
-- hop_sample_spans) with the inputs of the hops' channel and gateway filters: a filtered sample finds
-- its traces among a sixteenth of the range's stage spans, instead of hashing the trace id of every
-- stage span in the range (lib/queries/hops.ts). Only spans carrying a channel or a gateway input:
-- the filters match nothing else. Filled from payment_stage_events by a view, and from existing
-- history by this migration.
CREATE TABLE IF NOT EXISTS {{TABLE:hop_sample_payments}} {{ON_CLUSTER}} (
    Timestamp DateTime64(9) CODEC(Delta, ZSTD(1)),
    TraceKey UInt64 CODEC(ZSTD(1)),
    PaymentChannel LowCardinality(String) CODEC(ZSTD(1)),
    PaymentGateway LowCardinality(String) CODEC(ZSTD(1)),
    PeerHost LowCardinality(String) CODEC(ZSTD(1))
) ENGINE = {{MERGE_TREE:hop_sample_payments}}
PARTITION BY toDate(Timestamp)
ORDER BY Timestamp
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;

{{DISTRIBUTED:hop_sample_payments:TraceKey}};

CREATE MATERIALIZED VIEW IF NOT EXISTS hop_sample_payments_mv {{ON_CLUSTER}}
TO {{TABLE:hop_sample_payments}}
AS SELECT Timestamp, cityHash64(TraceId) AS TraceKey, PaymentChannel, PaymentGateway, PeerHost
FROM {{TABLE:payment_stage_events}}
WHERE cityHash64(TraceId) < 1152921504606846976 AND (PaymentChannel != '' OR PaymentGateway != '' OR PeerHost != '');

-- Existing history. The view exists first, so a span stored meanwhile may be here twice: the filter
-- asks only whether a trace has such a span. On a cluster this fills the shard the migrations run
-- on; each other shard needs the same statement run on it (docs/deploy.md), as for hop_sample_spans.
INSERT INTO {{TABLE:hop_sample_payments}}
SELECT Timestamp, cityHash64(TraceId) AS TraceKey, PaymentChannel, PaymentGateway, PeerHost
FROM {{TABLE:payment_stage_events}}
WHERE cityHash64(TraceId) < 1152921504606846976 AND (PaymentChannel != '' OR PaymentGateway != '' OR PeerHost != '');
