import { loadConfig } from '../lib/config';
import { openStore } from '../lib/store/store';
import { migrate } from '../clickhouse/migrate';

const HELP = `Usage: npm run migrate

Creates or updates payscope's ClickHouse schema (the otel_traces span table, lookup tables, payment
columns, rollups) and applies the retention from PAYSCOPE_RETENTION_DAYS. Idempotent: a second run
changes nothing. Uses the embedded store under PAYSCOPE_DATA_DIR, or the server at CLICKHOUSE_URL.
Stop a running embedded payscope first: one process owns the embedded data directory.`;

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  console.log(HELP);
  process.exit(0);
}
const config = loadConfig();
const store = await openStore(config);
try {
  const r = await migrate(store, { retentionDays: config.retentionDays, log: (l) => console.log(l) });
  if (r.applied.length === 0 && r.ttlChanged.length === 0) console.log('schema is up to date');
} finally {
  await store.close();
}
