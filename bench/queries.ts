/**
 * Query benchmark: seeds ~10 million spans into a temp embedded store (sim/seed), then measures the
 * p50/p95 latency of each query the JSON API serves (the lib/queries functions, called directly)
 * over many calls with varied parameters, and the bytes stored per span. Before timing, the hourly
 * partials (lib/queries/partials.ts) are brought up to date as the `partials` job would leave them
 * at the data's end, and what that cost is reported per kind (CPU seconds per day of spans). Ranged
 * queries are timed over random windows inside the history and over the last 24 h, which ends at
 * the data's end: its newest hours have no partial yet and are read from the spans, as in a live
 * store. Prints nothing; returns `{ summary, ... }` for bench/run.ts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { migrate } from '../clickhouse/migrate';
import { DEFAULT_CHECKOUT_FUNNEL } from '../lib/analytics/funnel';
import { quantiles } from '../lib/analytics/percentiles';
import { loadConfig } from '../lib/config';
import { getFunnel } from '../lib/queries/funnel';
import { getGatewayHealth } from '../lib/queries/gateway-health';
import { getImpact } from '../lib/queries/impact';
import { getSlowestHops } from '../lib/queries/hops';
import { computePartials, partialKinds } from '../lib/queries/partials';
// Registers every partial kind (lib/queries/partials-job.ts).
import '../lib/queries/partials-job';
import { getStageLatency } from '../lib/queries/stage-latency';
import { getDeltas } from '../lib/queries/deltas';
import { getRetries, listDoubleCharges } from '../lib/queries/retries';
import { listInconsistentPayments, listStuckPayments } from '../lib/queries/stuck';
import { listTransactionAnomalies } from '../lib/queries/transactions';
import { getPayment, getTrace, searchTraces } from '../lib/queries/traces';
import { ident, sql } from '../lib/store/sql';
import { traceHintOf } from '../lib/ui/links';
import { openStore, type Store } from '../lib/store/store';
import { Rng } from '../sim/seed/random';
import { seedStore } from '../sim/seed/seed';
import { SCALES } from './scale';

export interface BenchQueriesOptions {
  /** Payments to seed (about 21 spans each). @default SCALES['10m'] (≈ 10 million spans) */
  payments?: number;
  /** Days of history. @default 7 */
  days?: number;
  /** Timed calls per query and range. @default 40 */
  calls?: number;
  /** Range lengths to measure, hours. @default [1, 24] */
  rangeHours?: number[];
  /** Keep (or reuse, when it already holds spans) the store in this directory instead of a temp one. */
  dataDir?: string;
  seed?: string;
  /** Progress lines (the function itself prints nothing). */
  onProgress?: (line: string) => void;
}

export interface QueryTiming {
  query: string;
  /** e.g. '1h', '24h', 'last 24h', 'by id'. */
  range: string;
  calls: number;
  p50Ms: number;
  p95Ms: number;
  /**
   * Median CPU time of a call, ms: the process's (the embedded engine runs in it), so it counts the
   * query's own work whatever else shares the machine, unlike the wall time.
   */
  cpuP50Ms: number;
  /** The goal for this query, when it has one. */
  goalP95Ms: number | null;
  meetsGoal: boolean | null;
}

export interface BenchQueriesResult {
  summary: QueryTiming[];
  seed: { payments: number; spans: number; traces: number; seconds: number; spansPerSec: number; reused: boolean; optimizeSeconds: number };
  /** Bringing each kind of hourly partial up to date before timing (a backfill of the whole history). */
  partials: { kind: string; hours: number; cpuSeconds: number; cpuSecondsPerDay: number; wallSeconds: number }[];
  storage: {
    /** otel_traces bytes on disk / spans (goal ≤ 40). */
    bytesPerSpan: number;
    /** Every payscope table (rollups and lookups included) / spans. */
    bytesPerSpanAllTables: number;
    tables: { table: string; rows: number; bytesOnDisk: number; bytesPerSpan: number }[];
    /** otel_traces per column, largest first. */
    columns: { column: string; compressedBytes: number; uncompressedBytes: number; bytesPerSpan: number }[];
  };
  machine: { cpus: number; loadAverage: number[] };
}

/** The span table and the tables its materialized views fill. */
const SPAN_TABLES = ['otel_traces', 'otel_traces_trace_id_ts', 'payment_stage_events', 'payment_order_traces', 'gateway_calls', 'hop_spans', 'payment_attempts', 'transaction_phases'];

const GOALS: Record<string, number> = {
  'trace by id': 20,
  'trace by id, hinted': 20,
  'traces search': 200,
  stages: 200,
  inconsistent: 200,
  funnel: 200,
  gateways: 200,
  hops: 200,
  stuck: 200,
  deltas: 200,
  retries: 200,
  'double charges': 200,
  impact: 200,
  transactions: 200,
  'traces search by attribute': 200,
};

async function tableStats(store: Store, spans: number) {
  const tables = await store.query<{ table: string; rows: string; bytes: string }>(sql`
    SELECT table, sum(rows) AS rows, sum(bytes_on_disk) AS bytes
    FROM system.parts WHERE active AND database = currentDatabase()
    GROUP BY table ORDER BY bytes DESC`);
  const columns = await store.query<{ name: string; c: string; u: string }>(sql`
    SELECT name, data_compressed_bytes AS c, data_uncompressed_bytes AS u
    FROM system.columns WHERE database = currentDatabase() AND table = 'otel_traces' ORDER BY data_compressed_bytes DESC`);
  const otel = tables.find((t) => t.table === 'otel_traces');
  const total = tables.reduce((a, t) => a + Number(t.bytes), 0);
  return {
    bytesPerSpan: otel ? Number(otel.bytes) / Number(otel.rows) : 0,
    bytesPerSpanAllTables: spans ? total / spans : 0,
    tables: tables.map((t) => ({ table: t.table, rows: Number(t.rows), bytesOnDisk: Number(t.bytes), bytesPerSpan: spans ? Number(t.bytes) / spans : 0 })),
    columns: columns.map((c) => ({ column: c.name, compressedBytes: Number(c.c), uncompressedBytes: Number(c.u), bytesPerSpan: spans ? Number(c.c) / spans : 0 })),
  };
}

export async function benchQueries(opts: BenchQueriesOptions = {}): Promise<BenchQueriesResult> {
  const log = opts.onProgress ?? (() => {});
  const payments = opts.payments ?? SCALES['10m'].payments;
  const days = opts.days ?? 7;
  const calls = opts.calls ?? 40;
  const rangeHours = opts.rangeHours ?? [1, 24];
  const ownDir = opts.dataDir === undefined;
  const base = opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'payscope-bench-queries-'));
  const config = { ...loadConfig({ ...process.env, PAYSCOPE_DATA_DIR: base, CLICKHOUSE_URL: '' }), host: '127.0.0.1' };
  const store = await openStore(config);
  try {
    await migrate(store, { retentionDays: 0 });
    const [existing] = await store.query<{ n: string; hi: string }>(sql`SELECT count() AS n, toUnixTimestamp64Milli(max(Timestamp)) AS hi FROM otel_traces`);
    let seedInfo: BenchQueriesResult['seed'];
    let endMs: number;
    if (Number(existing.n) > 0) {
      endMs = Number(existing.hi) + 1;
      const [t] = await store.query<{ t: string }>(sql`SELECT uniq(TraceId) AS t FROM otel_traces_trace_id_ts`);
      seedInfo = { payments: 0, spans: Number(existing.n), traces: Number(t.t), seconds: 0, spansPerSec: 0, reused: true, optimizeSeconds: 0 };
      log(`queries: reusing ${Number(existing.n).toLocaleString('en')} spans in ${base}`);
    } else {
      endMs = Date.now();
      log(`queries: seeding ${payments.toLocaleString('en')} payments over ${days} days...`);
      const r = await seedStore(store, {
        payments, days, endMs, seed: opts.seed ?? 'bench', scenario: 'gateway-degraded',
        onProgress: (p) => log(`queries: seeded ${p.storedSpans.toLocaleString('en')} spans`),
      });
      // Measure the steady state: parts merged as the background merges would leave them.
      const t0 = performance.now();
      for (const table of SPAN_TABLES) await store.command(sql`OPTIMIZE TABLE ${ident(table, SPAN_TABLES)} FINAL`);
      seedInfo = {
        payments: r.payments, spans: r.spans, traces: r.traces, seconds: r.seconds, spansPerSec: r.spans / r.seconds, reused: false,
        optimizeSeconds: (performance.now() - t0) / 1000,
      };
      log(`queries: seeded ${r.spans.toLocaleString('en')} spans in ${r.seconds.toFixed(1)} s; merged in ${seedInfo.optimizeSeconds.toFixed(1)} s`);
    }
    // A reused store may hold another history than `days`: take its own.
    const [first] = await store.query<{ lo: string }>(sql`SELECT toUnixTimestamp64Milli(min(Timestamp)) AS lo FROM otel_traces`);
    const startMs = seedInfo.reused ? Number(first.lo) : endMs - days * 86_400_000;

    // Hourly partials as the partials job leaves them when the data ends: every closed hour computed.
    const historyDays = (endMs - startMs) / 86_400_000;
    const partials: BenchQueriesResult['partials'] = [];
    for (const kind of await partialKinds(store)) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      let hours = 0;
      for (;;) {
        const r = await computePartials(store, { now: endMs, horizonHours: Math.ceil(historyDays * 24) + 1, settleMs: 0, maxHours: 200, only: [kind.name] });
        hours += r.computed[kind.name] ?? 0;
        if (r.remaining === 0) break;
      }
      const c1 = process.cpuUsage(c0);
      const cpuSeconds = (c1.user + c1.system) / 1e6;
      partials.push({ kind: kind.name, hours, cpuSeconds, cpuSecondsPerDay: cpuSeconds / historyDays, wallSeconds: (performance.now() - t0) / 1000 });
      log(`queries: partials ${kind.name}: ${hours} hours in ${cpuSeconds.toFixed(1)} CPU s (${(cpuSeconds / historyDays).toFixed(2)} CPU s per day of spans)`);
    }

    // Ids to fetch by: a spread of traces and orders over the whole history.
    const ids = await store.query<{ traceId: string; orderId: string; atMs: string }>(sql`
      SELECT TraceId AS traceId, PaymentOrderId AS orderId, toUnixTimestamp64Milli(Timestamp) AS atMs FROM payment_stage_events
      WHERE PaymentStage = 'gateway.request' ORDER BY cityHash64(TraceId) LIMIT 500`);
    // The hint a page passes when it knows when the trace started (lib/ui/links.ts traceHintOf).
    const hintOf = (x: { atMs: string }) => traceHintOf({ at: x.atMs })!;
    const rng = new Rng(opts.seed ?? 'bench');
    const pick = <T>(xs: readonly T[]) => xs[rng.int(xs.length)];
    const windowOf = (hours: number) => {
      // Any window inside the history, ending on a random second.
      const len = hours * 3_600_000;
      const to = startMs + len + rng.next() * Math.max(0, endMs - startMs - len);
      return { from: new Date(to - len), to: new Date(to) };
    };
    const channels = ['alipay', 'wechatpay', 'card', 'paypal'];

    const cases: { query: string; ranged: boolean; run: (r: { from: Date; to: Date }) => Promise<unknown> }[] = [
      { query: 'trace by id', ranged: false, run: () => getTrace(store, pick(ids).traceId) },
      { query: 'trace by id, hinted', ranged: false, run: () => { const x = pick(ids); return getTrace(store, x.traceId, hintOf(x)); } },
      { query: 'payment by id', ranged: false, run: () => getPayment(store, pick(ids).orderId) },
      { query: 'payment by id, hinted', ranged: false, run: () => { const x = pick(ids); return getPayment(store, x.orderId, hintOf(x)); } },
      {
        query: 'traces search', ranged: true,
        run: (r) => searchTraces(store, { ...r, ...pick([{}, { service: 'payment' }, { status: 'error' as const }, { channel: pick(channels) }, { minDurationMs: 1000 }]) }),
      },
      {
        // by any attribute (issue 16): a payment attribute with its own column, attributes read from
        // the span and resource maps, and all filters on one span (match=span)
        query: 'traces search by attribute', ranged: true,
        run: (r) => searchTraces(store, { ...r, ...pick([
          { attr: [{ key: 'payment.channel', value: pick(channels) }] },
          { attr: [{ key: 'http.response.status_code', value: '500' }] },
          { attr: [{ key: 'http.request.method', value: 'POST' }, { key: 'service.name', value: 'payment' }] },
          { service: 'payment', attr: [{ key: 'http.request.method', value: 'POST' }], minDurationMs: 100, match: 'span' as const },
        ]) }),
      },
      {
        query: 'funnel', ranged: true,
        run: (r) => getFunnel(store, {
          ...r, funnel: DEFAULT_CHECKOUT_FUNNEL,
          ...pick([{}, { split: 'channel' as const }, { channel: pick(channels) }, { compare: { from: new Date(r.from.getTime() - 86_400_000), to: new Date(r.to.getTime() - 86_400_000) } }]),
        }),
      },
      { query: 'stages', ranged: true, run: (r) => getStageLatency(store, { ...r, ...pick([{}, { channel: pick(channels) }]) }) },
      { query: 'gateways', ranged: true, run: (r) => getGatewayHealth(store, { ...r, ...pick([{}, { splitByChannel: true }, { channel: pick(channels) }]) }) },
      { query: 'hops', ranged: true, run: (r) => getSlowestHops(store, { ...r, ...pick([{}, {}, { channel: pick(channels) }]) }) },
      { query: 'stuck', ranged: true, run: (r) => listStuckPayments(store, r) },
      { query: 'inconsistent', ranged: true, run: (r) => listInconsistentPayments(store, r) },
      {
        query: 'deltas', ranged: true,
        run: (r) => getDeltas(store, { ...r, ...pick([{ cohort: 'failed' as const }, { cohort: 'slow' as const }, { cohort: 'stuck' as const }, { cohort: 'failed' as const, channel: pick(channels) }]) }),
      },
      { query: 'retries', ranged: true, run: (r) => getRetries(store, { ...r, ...pick([{}, { channel: pick(channels) }]) }) },
      { query: 'double charges', ranged: true, run: (r) => listDoubleCharges(store, r) },
      { query: 'impact', ranged: true, run: (r) => getImpact(store, { ...r, ...pick([{}, { channel: pick(channels) }, { gateway: pick(['stripe', 'alipay', 'wechatpay', 'paypal']) }]) }) },
      { query: 'transactions', ranged: true, run: (r) => listTransactionAnomalies(store, { ...r, slaSec: pick([60, 300]) }) },
    ];

    const summary: QueryTiming[] = [];
    const last24h = { from: new Date(endMs - 86_400_000), to: new Date(endMs) };
    for (const c of cases) {
      for (const hours of c.ranged ? [...rangeHours, 'last 24h' as const] : [0]) {
        const times: number[] = [];
        const cpu: number[] = [];
        for (let i = 0; i < calls + 2; i++) {
          const r = hours === 'last 24h' ? last24h : windowOf(hours || 1);
          const t = performance.now();
          const c0 = process.cpuUsage();
          await c.run(r);
          const c1 = process.cpuUsage(c0);
          if (i >= 2) { // two warm-up calls
            times.push(performance.now() - t);
            cpu.push((c1.user + c1.system) / 1000);
          }
        }
        const [p50, p95] = quantiles(times, [0.5, 0.95]) as number[];
        const [cpuP50] = quantiles(cpu, [0.5]) as number[];
        const goal = GOALS[c.query] ?? null;
        const range = hours === 'last 24h' ? hours : c.ranged ? `${hours}h` : 'by id';
        summary.push({ query: c.query, range, calls, p50Ms: p50, p95Ms: p95, cpuP50Ms: cpuP50, goalP95Ms: goal, meetsGoal: goal === null ? null : p95 <= goal });
        log(`queries: ${c.query} (${range}) p50 ${p50.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms, CPU p50 ${cpuP50.toFixed(1)} ms`);
      }
    }
    const storage = await tableStats(store, seedInfo.spans);
    return { summary, seed: seedInfo, partials, storage, machine: { cpus: os.cpus().length, loadAverage: os.loadavg() } };
  } finally {
    await store.close();
    if (ownDir) fs.rmSync(base, { recursive: true, force: true });
  }
}
