-- Which hours each insert wrote spans into, and when (lib/queries/partials.ts): one row per insert
-- block and hour, so a partial result computed for an hour is known to be stale exactly when an
-- insert into an hour it depends on came after it. Readers ask for max(InsertedAt) per hour; merges
-- keep each hour's row of the last insert committed (the latest stamp, unless an insert took longer
-- from stamp to commit than the partials job's settle time, which the job assumes anyway), so a
-- query reads about one row per hour instead of one per insert.
CREATE TABLE IF NOT EXISTS {{TABLE:span_hours}} {{ON_CLUSTER}} (
    Hour DateTime('UTC'),
    InsertedAt DateTime64(6, 'UTC')
) ENGINE = {{REPLACING_MERGE_TREE:span_hours}}
PARTITION BY toDate(Hour)
ORDER BY Hour
SETTINGS ttl_only_drop_parts = 1;

{{DISTRIBUTED:span_hours:rand()}};

CREATE MATERIALIZED VIEW IF NOT EXISTS span_hours_mv {{ON_CLUSTER}}
TO {{TABLE:span_hours}}
AS SELECT toStartOfHour(toDateTime(Timestamp, 'UTC')) AS Hour, now64(6, 'UTC') AS InsertedAt
FROM {{TABLE:otel_traces}}
GROUP BY Hour;

-- Which hourly partial results exist (lib/queries/partials.ts): a row is written after the kind's
-- rows for the hour, so a row here means they are complete. Covers: every insert before this time
-- is in them. Each kind keeps its rows in a table of its own, tagged with the same Kind, Hour, Covers.
CREATE TABLE IF NOT EXISTS {{TABLE:partial_hours}} {{ON_CLUSTER}} (
    Kind LowCardinality(String),
    Hour DateTime('UTC'),
    Covers DateTime64(6, 'UTC')
) ENGINE = {{MERGE_TREE:partial_hours}}
PARTITION BY toDate(Hour)
ORDER BY (Kind, Hour)
SETTINGS ttl_only_drop_parts = 1;

{{DISTRIBUTED:partial_hours:rand()}};
