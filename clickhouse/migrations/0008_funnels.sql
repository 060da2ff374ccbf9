-- Saved funnel definitions (the default checkout funnel is built in). Every save appends a version;
-- reads take the latest version per id (argMax on UpdatedAt) and skip deleted ones, so no mutation
-- is ever needed and the table works the same on a cluster. There it is not sharded: a few rows that
-- every node reads, replicated to all nodes of the cluster (one replica set across all shards).
CREATE TABLE IF NOT EXISTS payscope_funnels {{ON_CLUSTER}} (
    Id String,
    Name String,
    Definition String,
    UpdatedAt DateTime64(3),
    Deleted UInt8
) ENGINE = {{REPLACING_MERGE_TREE:payscope_funnels:all_shards}}
ORDER BY Id;
