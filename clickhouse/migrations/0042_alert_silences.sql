-- Silences: label matchers that keep matching alerts from notifying until EndsAt. Versioned like
-- payscope_alert_rules (argMax on UpdatedAt; Deleted = expired early).
CREATE TABLE IF NOT EXISTS payscope_alert_silences {{ON_CLUSTER}} (
    Id String,
    Matchers String,
    StartsAt DateTime64(3),
    EndsAt DateTime64(3),
    Comment String,
    UpdatedAt DateTime64(3),
    Deleted UInt8
) ENGINE = {{REPLACING_MERGE_TREE:payscope_alert_silences:all_shards}}
ORDER BY Id;
