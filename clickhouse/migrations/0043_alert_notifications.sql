-- The notification outbox: a notification is written here in the same evaluation that changes the
-- alert, before any delivery is tried, so a restart loses none. One row per (notification, receiver);
-- each attempt appends a version (latest per Id by UpdatedAt). Receiver is a hash of the receiver's
-- URL: the URL itself (a secret for Slack) stays in the configuration.
CREATE TABLE IF NOT EXISTS payscope_alert_notifications {{ON_CLUSTER}} (
    Id String,
    Receiver String,
    Body String,
    CreatedAt DateTime64(3),
    State LowCardinality(String),
    Attempts UInt32,
    NextAttemptAt DateTime64(3),
    LastError String,
    UpdatedAt DateTime64(3)
) ENGINE = {{REPLACING_MERGE_TREE:payscope_alert_notifications:all_shards}}
ORDER BY Id;
