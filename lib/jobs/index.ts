export { JobRunner, type ScheduledJob, type ScheduledJobStats, type ServiceJob } from './runner';
export { SingleInstanceLease, type Lease } from './lease';
export { ClickHouseLease } from './clickhouse-lease';
