/**
 * `npm run bench [-- --only ingest] [-- --quick]`: runs the benchmarks, prints a table per part and
 * writes bench/results/<part>.json. Figures are medians of repeated runs, with a baseline measured
 * in the same run.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { benchIngest } from './ingest';
import { benchQueries } from './queries';
import { benchPages } from './pages';
import { benchContention } from './contention';
import { benchAlerts } from './alerts';
import { SCALES } from './scale';

const args = process.argv.slice(2);
if (args.includes('--help')) {
  console.log(`Usage: npm run bench [-- --only ingest|queries|overhead|pages|contention|alerts] [-- --quick] [-- --cpu-prof DIR] [-- --data-dir DIR]

Parts:
  ingest   OTLP/protobuf posted by a separate load process to a payscope process, three client shapes
           (32 × 1,000-span requests, Collector 10 × 8,192, SDK 128 × 512); spans/s counted in the
           store, request p50/p99/max, server RSS, CPU and its share per thread; baseline: a null sink
           in the same run (--cpu-prof DIR: V8 CPU profiles of the payscope process)
  queries  ~10M seeded spans (--quick: ~1M; --scale 50m: ~51M over 10 days, opt-in, minutes to seed;
           --scale 10m,50m: both and each query's growth; --data-dir DIR: each scale's store kept in or
           reused from DIR/<scale>; --calls N: timed calls per query, default 40); p50/p95 and CPU of
           every API query and trace by id; bytes/span of every table
  pages    time to first meaningful content of each dashboard page in Chromium on ~10M seeded spans,
           and render time of a 5,000-span trace
  contention  ingest acknowledgement p50/p99/max at a steady 20 exports/s (200 spans each), and the
           spans/s acknowledged with 8 connections sending 1,000-span requests back to back, each alone
           and while 4 simulated users run heavy dashboard queries (24 h funnel, hops, traces search,
           a 12-step funnel) in the payscope process, on ~5M seeded spans (--quick: ~1M; --data-dir:
           an already seeded PAYSCOPE_DATA_DIR, which keeps the benchmark's spans)
  alerts   every enabled default alert rule evaluated as the job does, on ~10M seeded spans (--quick:
           ~1M; --data-dir DIR: a store kept in or reused from DIR): the hour's first evaluation and the
           next ones, each rule alone (goal ≤ 1 s per evaluation)
  overhead instrumentation cost: a payment endpoint with 3 downstream calls, uninstrumented vs plain
           upstream NodeSDK vs @payscope/instrumentation, each in its own process under fixed load

Writes bench/results/<part>.json and prints a table per part.`);
  process.exit(0);
}
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
const quick = args.includes('--quick');
const outDir = path.resolve(import.meta.dirname, 'results');
fs.mkdirSync(outDir, { recursive: true });

const fmt = (n: number, d = 0) => n.toLocaleString('en', { maximumFractionDigits: d, minimumFractionDigits: d });

if (!only || only === 'ingest') {
  console.log('ingest: OTLP/protobuf → payscope → embedded ClickHouse, three client shapes (goal 150,000 spans/s)');
  // --cpu-prof DIR: the payscope target writes a V8 CPU profile of its main thread per run into DIR.
  const cpuProfDir = args.includes('--cpu-prof') ? path.resolve(args[args.indexOf('--cpu-prof') + 1]) : undefined;
  const r = await benchIngest(quick ? { seconds: 6, repeats: 1, cpuProfDir } : { seconds: 15, repeats: 3, cpuProfDir });
  console.table(r.summary.map((s) => ({
    shape: s.shape,
    variant: s.variant,
    'spans/s (median)': fmt(s.spansPerSec),
    'vs null sink': fmt(s.ratioToNullSink, 2),
    'vs goal': s.variant === 'payscope' ? fmt(s.spansPerSec / r.goalSpansPerSec, 2) : '',
    'p50 ms': fmt(s.p50Ms, 1),
    'p99 ms': fmt(s.p99Ms, 1),
    'max ms': fmt(s.maxMs),
    'peak RSS MB': fmt(s.peakRssMb),
    'CPU cores': fmt(s.cpuCores, 2),
    'acked not stored': s.lostSpans,
    'stored after client timeout': s.storedAfterTimeout,
  })));
  // Where the server's CPU went, per thread name, as shares of its CPU time (first repeat of each shape).
  for (const run of r.runs.filter((x, i, all) => x.variant === 'payscope' && all.findIndex((y) => y.shape === x.shape && y.variant === x.variant) === i)) {
    const total = Object.values(run.threadCpuSec).reduce((a, b) => a + b, 0);
    console.log(`  ${run.shape}: ${Object.entries(run.threadCpuSec).slice(0, 8).map(([n, sec]) => `${n} ${fmt((100 * sec) / total)}%`).join(', ')}`);
  }
  fs.writeFileSync(path.join(outDir, 'ingest.json'), JSON.stringify({ date: new Date().toISOString(), ...r }, null, 2));
}

if (!only || only === 'queries') {
  console.log('queries: lib/queries functions on seeded payment traces (embedded ClickHouse)');
  // --scale 10m (default), 50m (opt-in: ~51M spans over 10 days, minutes to seed), or both: 10m,50m
  // (then each query's growth from the first to the last). With --data-dir, each scale's store is
  // kept in (or reused from) DIR/<scale>.
  const scales = (args.includes('--scale') ? args[args.indexOf('--scale') + 1] : '10m').split(',');
  for (const s of scales) if (!Object.hasOwn(SCALES, s)) throw new Error(`--scale: ${s} is not one of ${Object.keys(SCALES).join(', ')}`);
  const dataDir = args.includes('--data-dir') ? path.resolve(args[args.indexOf('--data-dir') + 1]) : undefined;
  const results: Awaited<ReturnType<typeof benchQueries>>[] = [];
  for (const scale of scales) {
    const r = await benchQueries({
      ...(quick ? { payments: 52_000 } : SCALES[scale as keyof typeof SCALES]),
      ...(args.includes('--calls') ? { calls: Number(args[args.indexOf('--calls') + 1]) } : {}),
      ...(dataDir ? { dataDir: path.join(dataDir, scale) } : {}),
      onProgress: (l) => console.error(`  ${scale}: ${l}`),
    });
    results.push(r);
    console.log(`${scale}:`);
    console.table(r.summary.map((q) => ({
      query: q.query,
      range: q.range,
      calls: q.calls,
      'p50 ms': fmt(q.p50Ms, 1),
      'p95 ms': fmt(q.p95Ms, 1),
      'CPU p50 ms': fmt(q.cpuP50Ms, 1),
      'goal p95 ms': q.goalP95Ms ?? '',
      'p95 / goal': q.goalP95Ms ? fmt(q.p95Ms / q.goalP95Ms, 2) : '',
    })));
    console.log(`${r.seed.reused ? 'reused' : 'seeded'} ${fmt(r.seed.spans)} spans${r.seed.reused ? '' : ` in ${fmt(r.seed.seconds, 1)} s (${fmt(r.seed.spansPerSec)} spans/s)`}; ` +
      `otel_traces ${fmt(r.storage.bytesPerSpan, 1)} B/span (goal 40), all tables ${fmt(r.storage.bytesPerSpanAllTables, 1)} B/span`);
    console.table(r.storage.tables.map((t) => ({ table: t.table, rows: fmt(t.rows), 'MB on disk': fmt(t.bytesOnDisk / 1e6, 1), 'B/span': fmt(t.bytesPerSpan, 1) })));
    console.table(r.partials.map((x) => ({ 'partials kind': x.kind, hours: x.hours, 'CPU s': fmt(x.cpuSeconds, 1), 'CPU s per day of spans': fmt(x.cpuSecondsPerDay, 2) })));
    fs.writeFileSync(path.join(outDir, scale === '10m' ? 'queries.json' : `queries-${scale}.json`), JSON.stringify({ date: new Date().toISOString(), scale, ...r }, null, 2));
  }
  if (results.length > 1) {
    const [a, b] = [results[0], results[results.length - 1]];
    console.log(`growth from ${scales[0]} to ${scales[scales.length - 1]} (spans x${fmt(b.seed.spans / a.seed.spans, 1)}):`);
    console.table(b.summary.map((q) => {
      const base = a.summary.find((x) => x.query === q.query && x.range === q.range);
      return { query: q.query, range: q.range, 'p50 x': base ? fmt(q.p50Ms / base.p50Ms, 2) : '', 'p95 x': base ? fmt(q.p95Ms / base.p95Ms, 2) : '', 'CPU p50 x': base ? fmt(q.cpuP50Ms / base.cpuP50Ms, 2) : '' };
    }));
  }
}

if (!only || only === 'contention') {
  console.log('contention: ingest acknowledgements while the dashboard queries');
  const dataDir = args.includes('--data-dir') ? path.resolve(args[args.indexOf('--data-dir') + 1]) : undefined;
  const r = await benchContention({ dataDir, ...(quick ? { payments: 52_000, seconds: 15 } : {}), onProgress: (l) => console.error(`  ${l}`) });
  console.table(r.summary.map((p) => ({
    phase: p.phase, requests: p.requests, statuses: JSON.stringify(p.statuses), 'ack p50 ms': fmt(p.p50Ms, 1), 'ack p99 ms': fmt(p.p99Ms, 1), 'ack max ms': fmt(p.maxMs, 1),
    'acked spans/s': fmt(p.ackedSpansPerSec),
  })));
  console.log(`throughput while querying / alone: ${fmt(r.throughputRatio, 2)} (goal ≥ 0.70; ack p99 goal < 2,000 ms)`);
  const ms = (n: number | null) => (n === null || Number.isNaN(n) ? '—' : fmt(n));
  console.table(r.queries.map((q) => ({ query: q.query, ok: q.ok, errors: q.errors, 'p50 ms': ms(q.p50Ms), 'p95 ms': ms(q.p95Ms), 'max ms': ms(q.maxMs), 'last error': q.lastError })));
  fs.writeFileSync(path.join(outDir, 'contention.json'), JSON.stringify({ date: new Date().toISOString(), ...r }, null, 2));
}

if (!only || only === 'overhead') {
  console.log('overhead: @payscope/instrumentation vs plain upstream vs none');
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.resolve(import.meta.dirname, '../instrumentation/bench/overhead.ts')], { stdio: 'inherit' });
  if (r.status !== 0) process.exitCode = r.status ?? 1;
}

if (!only || only === 'pages') {
  console.log('pages: dashboard in Chromium on seeded payment traces');
  const r = await benchPages({ ...(quick ? { payments: 52_000, loads: 3 } : {}), onProgress: (l) => console.error(`  ${l}`) });
  console.table(r.summary.map((p) => ({ page: p.page, loads: p.loads, 'p50 ms': fmt(p.p50Ms), 'p95 ms': fmt(p.p95Ms), 'goal ms': p.goalMs, 'p95 / goal': fmt(p.p95Ms / p.goalMs, 2) })));
  console.log(`${r.bigTrace.spans}-span trace: render p50 ${fmt(r.bigTrace.renderP50Ms)} ms, p95 ${fmt(r.bigTrace.renderP95Ms)} ms (goal 1000); scroll frames p50 ${fmt(r.bigTrace.scrollFrameP50Ms, 1)} ms, p95 ${fmt(r.bigTrace.scrollFrameP95Ms, 1)} ms`);
  fs.writeFileSync(path.join(outDir, 'pages.json'), JSON.stringify({ date: new Date().toISOString(), ...r }, null, 2));
}

if (!only || only === 'alerts') {
  console.log('alerts: every enabled default alert rule evaluated on seeded payment traces (goal ≤ 1 s per evaluation)');
  const dataDir = args.includes('--data-dir') ? path.resolve(args[args.indexOf('--data-dir') + 1]) : undefined;
  const r = await benchAlerts({ dataDir, ...(quick ? { payments: 52_000, evaluations: 8 } : {}), onProgress: (l) => console.error(`  ${l}`) });
  console.table(r.rules.map((x) => ({ rule: x.rule, 'cold ms': fmt(x.coldMs), 'warm ms': fmt(x.warmMs), samples: x.samples })));
  console.log(`${fmt(r.spans)} spans: first evaluation of the hour ${fmt(r.coldMs)} ms; then p50 ${fmt(r.warm.p50Ms)} ms, p95 ${fmt(r.warm.p95Ms)} ms, max ${fmt(r.warm.maxMs)} ms over ${r.warm.evaluations} (goal ${r.goalMs} ms)`);
  fs.writeFileSync(path.join(outDir, 'alerts.json'), JSON.stringify({ date: new Date().toISOString(), ...r }, null, 2));
}
