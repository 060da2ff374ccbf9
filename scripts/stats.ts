import { loadConfig } from '../lib/config';
import { openStore } from '../lib/store/store';
import { getStorageStats } from '../lib/queries/storage';

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  console.log(`Usage: npm run stats [-- --json]

What the store holds: spans, time range, bytes on disk and bytes per span, per table; and the
retention in force (PAYSCOPE_RETENTION_DAYS). Opens the embedded store under PAYSCOPE_DATA_DIR (stop
a running payscope first: one process owns it; a running one serves the same figures at
GET /api/storage) or the server at CLICKHOUSE_URL.`);
  process.exit(0);
}
const config = loadConfig();
const store = await openStore(config);
try {
  const s = await getStorageStats(store);
  if (process.argv.includes('--json')) console.log(JSON.stringify({ ...s, retentionDays: config.retentionDays }, null, 2));
  else {
    const mb = (b: number) => (b / 1048576).toFixed(1);
    console.log(`spans:         ${s.spans.toLocaleString('en')} (${s.oldestSpan ?? '-'} … ${s.newestSpan ?? '-'})`);
    console.log(`otel_traces:   ${mb(s.spanTableBytes)} MB on disk, ${s.bytesPerSpan.toFixed(1)} B/span`);
    console.log(`all tables:    ${mb(s.totalBytes)} MB on disk, ${s.totalBytesPerSpan.toFixed(1)} B/span`);
    console.log(`retention:     ${config.retentionDays ? `${config.retentionDays} days` : 'forever'}`);
    console.table(s.tables.map((t) => ({ table: t.table, rows: t.rows, 'MB on disk': mb(t.bytesOnDisk), parts: t.parts })));
  }
} finally {
  await store.close();
}
