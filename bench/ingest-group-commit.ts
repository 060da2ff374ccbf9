/**
 * The batches group commit forms under closed-loop clients, without HTTP: `clients` loops each
 * decode a 1,000-span request, submit it to a real pipeline and embedded store, wait for the
 * acknowledgement, then wait 5–40 ms (the acknowledgement travelling back, the next request being
 * sent, read and decoded) and go again. Prints the inserts' sizes in order and a summary.
 *
 *   node --import tsx bench/ingest-group-commit.ts [clients 32] [requests per client 12]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { IngestPipeline } from '../lib/ingest/pipeline';
import { openStore } from '../lib/store/store';
import { migrate } from '../clickhouse/migrate';
import { loadConfig } from '../lib/config';
import { decodeTraceRequestProtobuf, SPAN_COLUMNS } from '../lib/ingest/otlp';
import { buildPayloads } from './payloads';

const [clients = 32, perClient = 12] = process.argv.slice(2).map(Number);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'payscope-group-commit-'));
const config = loadConfig({ ...process.env, PAYSCOPE_DATA_DIR: dir, CLICKHOUSE_URL: '' });
const store = await openStore(config);
try {
  await migrate(store, { retentionDays: 0, log: () => {} });
  const sizes: number[] = [];
  const pipeline = new IngestPipeline(store, {
    table: 'otel_traces', columns: SPAN_COLUMNS, spoolDir: path.join(dir, 'spool'), batchMaxBytes: config.batchMaxBytes,
    maxQueueBytes: config.maxQueueBytes, maxQueueWaitMs: 0, maxSpoolBytes: config.maxSpoolBytes, fsync: false,
    insertConcurrency: config.insertConcurrency, batchMinBytes: config.batchMinBytes, batchWaitMs: config.batchWaitMs,
    log: () => {}, observer: { inserted: (spans) => sizes.push(spans), spooled() {} },
  });
  await pipeline.start();
  const { bodies } = buildPayloads(64, 1000);
  const cpu0 = process.cpuUsage();
  await Promise.all(Array.from({ length: clients }, async (_, c) => {
    for (let i = 0; i < perClient; i++) {
      const d = decodeTraceRequestProtobuf(bodies[(c * perClient + i) % bodies.length]);
      await pipeline.submit(d.rows, d.accepted);
      await new Promise((r) => setTimeout(r, 5 + ((c * 7 + i * 13) % 36)));
    }
  }));
  const cpu = process.cpuUsage(cpu0);
  await pipeline.close();
  const spans = sizes.reduce((a, b) => a + b, 0);
  const sorted = [...sizes].sort((a, b) => a - b);
  console.log(sizes.join(' '));
  console.log(JSON.stringify({
    inserts: sizes.length, spans, medianSpansPerInsert: sorted[Math.floor(sorted.length / 2)],
    cpuUsPerSpan: +((cpu.user + cpu.system) / spans).toFixed(2),
  }));
} finally {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
}
