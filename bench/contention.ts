/**
 * Ingest acknowledgements while the dashboard is busy: a payscope process on a seeded store receives
 * OTLP exports at a steady rate from a separate load process, first alone, then while simulated
 * users run heavy dashboard queries in the payscope process (24 h funnel split by channel, 24 h hops,
 * 24 h slowest-traces search, a 12-step funnel on spans). Reports acknowledgement p50/p99/max per
 * phase and the queries' latencies and errors. Prints nothing; returns `{ summary, ... }`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { migrate } from '../clickhouse/migrate';
import { loadConfig } from '../lib/config';
import { openStore } from '../lib/store/store';
import { seedStore } from '../sim/seed/seed';

export interface BenchContentionOptions {
  /** A seeded data directory to use (its store gains the benchmark's spans); else a temp one is seeded. */
  dataDir?: string;
  /** Payments to seed into a temp directory. @default 260_000 (≈ 5 million spans over 7 days) */
  payments?: number;
  /** Seconds per phase. @default 30 */
  seconds?: number;
  /** Export requests per second, and spans in each. @default 20, 200 */
  rate?: number;
  spansPerRequest?: number;
  /** Simulated dashboard users querying at once. @default 4 */
  users?: number;
  /** Connections of the throughput phases, each sending 1,000-span requests back to back. @default 8 */
  saturatingConnections?: number;
  onProgress?: (line: string) => void;
}

export interface AckPhase { phase: string; requests: number; statuses: Record<string, number>; p50Ms: number; p99Ms: number; maxMs: number; ackedSpansPerSec: number }

const root = path.resolve(import.meta.dirname, '..');
const tsx = ['--import', 'tsx'];

function startTarget(dir: string): Promise<{ child: ChildProcess; otlpPort: number; controlPort: number }> {
  const child = spawn(process.execPath, [...tsx, path.join(root, 'bench/contention-target.ts'), dir], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /^ready (\d+) (\d+)/.exec(line);
      if (m) resolve({ child, otlpPort: Number(m[1]), controlPort: Number(m[2]) });
    });
    child.on('exit', (code) => reject(new Error(`contention target exited with ${code}`)));
  });
}

/** Starts the load; resolves `started` once its payloads are built and it sends, `done` with its result. */
function runLoad(url: string, rate: number | string, seconds: number, spans: number) {
  const load = spawn(process.execPath, [...tsx, path.join(root, 'bench/contention-load.ts'), url, String(rate), String(seconds), String(spans)], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  let onStart: () => void;
  const started = new Promise<void>((r) => (onStart = r));
  load.stdout!.on('data', (d) => {
    out += d;
    if (out.includes('started')) onStart();
  });
  const done = new Promise<Omit<AckPhase, 'phase'>>((resolve, reject) =>
    load.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!)) : reject(new Error(`load exited with ${code}`)))));
  return { started, done };
}

export async function benchContention(opts: BenchContentionOptions = {}) {
  const log = opts.onProgress ?? (() => {});
  const seconds = opts.seconds ?? 30;
  const rate = opts.rate ?? 20;
  const spans = opts.spansPerRequest ?? 200;
  const users = opts.users ?? 4;
  const connections = opts.saturatingConnections ?? 8;
  const ownDir = opts.dataDir === undefined;
  const dir = opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'payscope-bench-contention-'));
  if (ownDir) {
    const payments = opts.payments ?? 260_000;
    log(`contention: seeding ${payments.toLocaleString('en')} payments over 7 days...`);
    const store = await openStore({ ...loadConfig({ ...process.env, PAYSCOPE_DATA_DIR: dir, CLICKHOUSE_URL: '' }), host: '127.0.0.1' });
    try {
      await migrate(store, { retentionDays: 0 });
      await seedStore(store, { payments, days: 7, seed: 'bench', scenario: 'baseline' });
    } finally {
      await store.close();
    }
  }
  const { child, otlpPort, controlPort } = await startTarget(dir);
  try {
    const url = `http://127.0.0.1:${otlpPort}/v1/traces`;
    const phases: AckPhase[] = [];
    log(`contention: ${rate} exports/s of ${spans} spans, ${seconds} s alone...`);
    const alone = runLoad(url, rate, seconds, spans);
    phases.push({ phase: 'ingest alone', ...(await alone.done) });
    log(`contention: ... and ${seconds} s with ${users} users querying`);
    const hammer = async () => (await (await fetch(`http://127.0.0.1:${controlPort}/hammer?seconds=${seconds}&users=${users}`)).json()) as {
      query: string; ok: number; errors: number; p50Ms: number; p95Ms: number; maxMs: number; lastError: string;
    }[];
    const busy = runLoad(url, rate, seconds, spans);
    await busy.started;
    const queries = await hammer();
    phases.push({ phase: `ingest + ${users} users querying`, ...(await busy.done) });
    // Throughput: as many spans as the server takes, alone and while the users query (the issue's
    // goal: within 70% of alone, p99 under 2 s).
    log(`contention: ${connections} connections of 1,000-span requests back to back, ${seconds} s alone...`);
    phases.push({ phase: `saturating (${connections} connections) alone`, ...(await runLoad(url, `max:${connections}`, seconds, 1000).done) });
    log(`contention: ... and ${seconds} s with ${users} users querying`);
    const flood = runLoad(url, `max:${connections}`, seconds, 1000);
    await flood.started;
    const floodQueries = await hammer();
    phases.push({ phase: `saturating (${connections} connections) + ${users} users querying`, ...(await flood.done) });
    const [, , sat, satBusy] = phases;
    return {
      opts: { seconds, rate, spansPerRequest: spans, users, connections }, summary: phases, queries, floodQueries,
      throughputRatio: sat.ackedSpansPerSec ? satBusy.ackedSpansPerSec / sat.ackedSpansPerSec : 0,
      machine: { cpus: os.cpus().length, loadAverage: os.loadavg() } };
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
    if (ownDir) fs.rmSync(dir, { recursive: true, force: true });
  }
}
