-- Alert rules users added or changed (the default rules are built in; a row with a default rule's id
-- overrides it). Versioned like payscope_funnels: every save appends, reads take the latest version
-- per id (argMax on UpdatedAt) and skip deleted ones. Small and read by every node: one replica set
-- across the cluster.
CREATE TABLE IF NOT EXISTS payscope_alert_rules {{ON_CLUSTER}} (
    Id String,
    Definition String,
    UpdatedAt DateTime64(3),
    Deleted UInt8
) ENGINE = {{REPLACING_MERGE_TREE:payscope_alert_rules:all_shards}}
ORDER BY Id;
