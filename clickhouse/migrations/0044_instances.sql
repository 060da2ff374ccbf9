-- Heartbeats of the payscope instances that can run cluster-wide jobs (docs/jobs.md): the leader of
-- a job is the lowest instance id with a recent heartbeat. Rows of instances gone are dropped by TTL.
CREATE TABLE IF NOT EXISTS payscope_instances {{ON_CLUSTER}} (
    Instance String,
    Job String,
    Seen DateTime64(3)
) ENGINE = {{REPLACING_MERGE_TREE:payscope_instances:all_shards}}
ORDER BY (Job, Instance)
TTL toDateTime(Seen) + INTERVAL 1 HOUR;
