-- Hourly partial results of funnels (lib/queries/funnel.ts, lib/queries/partials.ts): one row per
-- funnel entry (a flow's first step matched in the hour), with each step's time (0: not reached) and
-- the channel and gateway columns the funnel's filters and splits read. Kind names the funnel
-- definition and gateway host table it was computed for; Hour, Covers which computation (partial_hours).
CREATE TABLE IF NOT EXISTS {{TABLE:funnel_partials}} {{ON_CLUSTER}} (
    Kind LowCardinality(String),
    Hour DateTime('UTC'),
    Covers DateTime64(6, 'UTC'),
    -- The first channel and gateway among the entry's spans (split=channel|gateway) ...
    Channel LowCardinality(String),
    Gateway LowCardinality(String),
    -- ... and all of them (the channel= and gateway= filters: a flow through a gateway).
    Channels Array(LowCardinality(String)),
    Gateways Array(LowCardinality(String)),
    -- Step times, Unix nanoseconds; Ts[1] the entry.
    Ts Array(Int64) CODEC(Delta, ZSTD(1))
) ENGINE = {{MERGE_TREE:funnel_partials}}
PARTITION BY toDate(Hour)
ORDER BY (Kind, Hour)
SETTINGS ttl_only_drop_parts = 1;

{{DISTRIBUTED:funnel_partials:rand()}};
