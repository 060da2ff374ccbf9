/**
 * Crash safety: under ingest load, `kill -9` the payscope process, restart it on the same data
 * directory, and check that every span answered 200 is stored exactly once.
 *
 *   node --import tsx scripts/crash-trials.ts [--trials N]
 *
 * Each request carries spans of its own fresh trace ids (OTLP/JSON, built here), so stored spans can
 * be matched to the requests that were acknowledged. Spans of requests that were not acknowledged may
 * or may not be stored (the exporter would retry them); none may be stored twice.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../lib/config';
import { openStore } from '../lib/store/store';
import { sql } from '../lib/store/sql';
import { startPayscopeProcess } from '../test/helpers/payscope-process';

const SPANS_PER_REQUEST = 50;

export interface TrialResult { trial: number; killedAfterMs: number; acked: number; ackedSpans: number; lostSpans: number; duplicatedSpans: number; storedSpans: number }

function request(traceId: string): string {
  const now = BigInt(Date.now()) * 1_000_000n;
  const spans = Array.from({ length: SPANS_PER_REQUEST }, (_, i) => ({
    traceId,
    spanId: crypto.randomBytes(8).toString('hex'),
    name: `span ${i}`,
    kind: 2,
    startTimeUnixNano: String(now + BigInt(i)),
    endTimeUnixNano: String(now + BigInt(i) + 1000n),
    attributes: [{ key: 'payment.order_id', value: { stringValue: `ord-${traceId.slice(0, 8)}` } }],
  }));
  return JSON.stringify({ resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'crash-trial' } }] }, scopeSpans: [{ scope: { name: 't' }, spans }] }] });
}

export async function runCrashTrial(trial: number, dataDir: string): Promise<TrialResult> {
  const server = await startPayscopeProcess(dataDir);
  const port = server.port;
  const acked: string[] = [];
  const sent: string[] = [];
  let stop = false;
  const clients = Array.from({ length: 8 }, async () => {
    while (!stop) {
      const traceId = crypto.randomBytes(16).toString('hex');
      sent.push(traceId);
      try {
        const res = await fetch(`http://127.0.0.1:${port}/v1/traces`, { method: 'POST', body: request(traceId), headers: { 'content-type': 'application/json' } });
        if (res.status === 200) acked.push(traceId);
        await res.arrayBuffer();
      } catch {
        // connection reset by the kill: not acknowledged
      }
    }
  });
  // Killed at a random moment once requests are being acknowledged (a trial with nothing
  // acknowledged proves nothing, and how soon that is depends on the machine).
  const t0 = performance.now();
  while (acked.length < 5 && server.alive()) await new Promise((r) => setTimeout(r, 10));
  await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 1500)));
  const killedAfterMs = Math.round(performance.now() - t0);
  const dead = new Promise((r) => server.child.once('exit', r));
  server.child.kill('SIGKILL');
  await dead;
  stop = true;
  await Promise.all(clients);

  // Restart on the same directory: the spool is replayed; then stop cleanly and count.
  const again = await startPayscopeProcess(dataDir);
  await again.stop();
  const store = await openStore(loadConfig({ ...process.env, PAYSCOPE_DATA_DIR: dataDir, CLICKHOUSE_URL: '' }));
  try {
    const rows = await store.query<{ TraceId: string; n: string; distinct: string }>(sql`
      SELECT TraceId, count() AS n, uniqExact(SpanId) AS distinct FROM otel_traces WHERE ServiceName = 'crash-trial' GROUP BY TraceId`);
    const stored = new Map(rows.map((r) => [r.TraceId, { n: Number(r.n), distinct: Number(r.distinct) }]));
    let lostSpans = 0;
    for (const t of acked) lostSpans += SPANS_PER_REQUEST - Math.min(SPANS_PER_REQUEST, stored.get(t)?.distinct ?? 0);
    let duplicatedSpans = 0;
    let storedSpans = 0;
    for (const { n, distinct } of stored.values()) { duplicatedSpans += n - distinct; storedSpans += n; }
    // Start the next trial from an empty table (keeps each trial's counts its own).
    await store.command(sql`TRUNCATE TABLE otel_traces`);
    return { trial, killedAfterMs, acked: acked.length, ackedSpans: acked.length * SPANS_PER_REQUEST, lostSpans, duplicatedSpans, storedSpans };
  } finally {
    await store.close();
  }
}

export async function runCrashTrials(trials: number, log: (l: string) => void = () => {}): Promise<TrialResult[]> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'payscope-crash-'));
  try {
    const results: TrialResult[] = [];
    for (let i = 1; i <= trials; i++) {
      const r = await runCrashTrial(i, dataDir);
      log(`trial ${i}: killed after ${r.killedAfterMs} ms, ${r.acked} requests (${r.ackedSpans} spans) acknowledged, ${r.storedSpans} stored, lost ${r.lostSpans}, duplicated ${r.duplicatedSpans}`);
      results.push(r);
    }
    return results;
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  if (args.includes('--help')) {
    console.log('Usage: node --import tsx scripts/crash-trials.ts [--trials N]\nkill -9 payscope under ingest load N times (default 10); report acknowledged spans lost or duplicated.');
    process.exit(0);
  }
  const trials = args.includes('--trials') ? Number(args[args.indexOf('--trials') + 1]) : 10;
  const results = await runCrashTrials(trials, (l) => console.log(l));
  const sum = (k: keyof TrialResult) => results.reduce((a, r) => a + (r[k] as number), 0);
  console.log(`${results.length} trials: ${sum('ackedSpans')} acknowledged spans, ${sum('lostSpans')} lost, ${sum('duplicatedSpans')} duplicated`);
  process.exitCode = sum('lostSpans') + sum('duplicatedSpans') > 0 ? 1 : 0;
}
