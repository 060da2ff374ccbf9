-- Alerts: one row per version of an alert (a rule's label set from the moment it turns pending until
-- it resolves). Evaluation appends a version when the alert changes; reads take the latest version
-- per Id. Open alerts (pending, firing) are what the next evaluation continues from, so a restart or
-- another instance taking over keeps `for` and `startsAt`. Resolved ones are the history.
CREATE TABLE IF NOT EXISTS payscope_alerts {{ON_CLUSTER}} (
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
) ENGINE = {{REPLACING_MERGE_TREE:payscope_alerts:all_shards}}
ORDER BY Id;
