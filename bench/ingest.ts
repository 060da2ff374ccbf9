/**
 * Ingest benchmark: real OTLP/protobuf requests (official serializer) posted by a separate load
 * process to a separate payscope process; spans/s counted in the store, request p50/p99/max, server
 * RSS and CPU, and where the server's CPU went (per thread name, and the engine's own counters).
 * Three client shapes: 32 connections × 1,000-span requests, a Collector's 10 × 8,192 (its batch
 * processor's default), and 128 SDK exporters × 512 (the BatchSpanProcessor's default). Baseline in
 * the same run, per shape: a null sink that only reads bodies (the HTTP ceiling here).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';

export interface IngestShape { name: string; concurrency: number; spansPerRequest: number; payloads: number }

export const INGEST_SHAPES: readonly IngestShape[] = [
  { name: '32 × 1,000', concurrency: 32, spansPerRequest: 1000, payloads: 96 },
  { name: 'Collector 10 × 8,192', concurrency: 10, spansPerRequest: 8192, payloads: 12 },
  { name: 'SDK 128 × 512', concurrency: 128, spansPerRequest: 512, payloads: 192 },
];

export interface IngestRun {
  shape: string; variant: string; spansPerSec: number; storedSpans: number; okSpans: number; requests: number;
  p50Ms: number; p99Ms: number; maxMs: number; peakRssMb: number; cpuCores: number; statuses: Record<string, number>;
  /** CPU seconds per thread name (digits dropped): `node main` (the event loop), `node`, the engine's `ThreadPool`, `MergeMutate`... */
  threadCpuSec: Record<string, number>;
  /** Engine counters (system.events) that grew during the run. */
  engineEvents: Record<string, number>;
  /** Active parts per table at the end of the run. */
  parts: { table: string; parts: string; rows: string; bytes: string }[];
}

const root = path.resolve(import.meta.dirname, '..');
const tsx = ['--import', 'tsx'];

function startTarget(variant: string, nodeArgs: string[]): Promise<{ child: ChildProcess; otlpPort: number; controlPort: number; dir?: string }> {
  const child = spawn(process.execPath, [...nodeArgs, ...tsx, path.join(root, 'bench/ingest-target.ts'), variant], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const rl = readline.createInterface({ input: child.stdout! });
    let dir: string | undefined;
    rl.on('line', (line) => {
      if (line.startsWith('dir ')) dir = line.slice(4);
      const m = /^ready (\d+) (\d+)/.exec(line);
      if (m) resolve({ child, otlpPort: Number(m[1]), controlPort: Number(m[2]), dir });
    });
    child.on('exit', (code) => reject(new Error(`${variant} target exited with ${code}`)));
  });
}

function procStat(pid: number): { cpuTicks: number; rssMb: number } {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { cpuTicks: Number(fields[11]) + Number(fields[12]), rssMb: (Number(fields[21]) * 4096) / 1048576 };
}

/** CPU ticks per thread id, with the thread's name. */
function threadTicks(pid: number): Map<string, { name: string; ticks: number }> {
  const out = new Map<string, { name: string; ticks: number }>();
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      // Node's own threads (libuv's pool, decode workers, V8 helpers) are all called `node`.
      const name = tid === String(pid) ? 'node main' : stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replace(/[\d:]+$/, '');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(tid, { name, ticks: Number(f[11]) + Number(f[12]) });
    } catch { /* the thread ended */ }
  }
  return out;
}

/** CPU seconds per thread name between two samples; threads born in between count from zero. */
function threadCpu(before: Map<string, { name: string; ticks: number }>, after: Map<string, { name: string; ticks: number }>): Record<string, number> {
  const byName: Record<string, number> = {};
  for (const [tid, t] of after) byName[t.name] = (byName[t.name] ?? 0) + (t.ticks - (before.get(tid)?.ticks ?? 0)) / 100;
  return Object.fromEntries(Object.entries(byName).filter(([, s]) => s > 0).sort((a, b) => b[1] - a[1]));
}

async function control<T>(port: number, route: string): Promise<T> {
  return (await fetch(`http://127.0.0.1:${port}${route}`)).json() as Promise<T>;
}

export async function runIngestOnce(shape: IngestShape, variant: string, opts: { seconds: number; cpuProfDir?: string }): Promise<IngestRun> {
  const nodeArgs = opts.cpuProfDir && variant === 'payscope' ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`] : [];
  const { child, otlpPort, controlPort, dir } = await startTarget(variant, nodeArgs);
  const pid = child.pid!;
  try {
    const load = spawn(process.execPath, [...tsx, path.join(root, 'bench/ingest-load.ts'), `http://127.0.0.1:${otlpPort}/v1/traces`,
      String(shape.concurrency), String(opts.seconds), String(shape.payloads), String(shape.spansPerRequest)], { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] });
    const lines: string[] = [];
    const loaded = new Promise<void>((resolve) => readline.createInterface({ input: load.stdout! }).on('line', (l) => { lines.push(l); if (l === 'loaded') resolve(); }));
    const exited = new Promise((r) => load.on('exit', r));
    // CPU is measured from the moment the load process has built its payloads and starts sending.
    await Promise.race([loaded, exited]);
    const events0 = variant === 'payscope' ? await control<{ event: string; value: string }[]>(controlPort, '/events') : [];
    const warmedUp = (await control<{ count: number }>(controlPort, '/count')).count;
    const before = procStat(pid);
    const threads0 = threadTicks(pid);
    load.stdin!.end('go\n');
    let peakRss = before.rssMb;
    const sampler = setInterval(() => { peakRss = Math.max(peakRss, procStat(pid).rssMb); }, 200);
    const t0 = Date.now();
    await exited;
    const wall = (Date.now() - t0) / 1000;
    clearInterval(sampler);
    const after = procStat(pid);
    const threads1 = threadTicks(pid);
    const result = JSON.parse(lines[lines.length - 1]);
    const stored = (await control<{ count: number }>(controlPort, '/count')).count - warmedUp;
    const engineEvents: Record<string, number> = {};
    if (variant === 'payscope') {
      const start = new Map(events0.map((e) => [e.event, Number(e.value)]));
      for (const e of await control<{ event: string; value: string }[]>(controlPort, '/events')) {
        const d = Number(e.value) - (start.get(e.event) ?? 0);
        if (d > 0) engineEvents[e.event] = d;
      }
    }
    return {
      shape: shape.name,
      variant,
      // Spans stored by the time the load stops, over the load's time: what was acknowledged is stored.
      spansPerSec: (variant === 'null-sink' ? result.okSpans : stored) / result.elapsed,
      storedSpans: stored,
      okSpans: result.okSpans,
      requests: result.requests,
      p50Ms: result.p50Ms,
      p99Ms: result.p99Ms,
      maxMs: result.maxMs,
      peakRssMb: peakRss,
      cpuCores: (after.cpuTicks - before.cpuTicks) / 100 / wall,
      statuses: result.statuses,
      threadCpuSec: threadCpu(threads0, threads1),
      engineEvents,
      parts: variant === 'payscope' ? await control(controlPort, '/parts') : [],
    };
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

export interface IngestBenchOptions { seconds: number; repeats: number; shapes?: readonly IngestShape[]; cpuProfDir?: string; log?: (line: string) => void }

export async function benchIngest(opts: IngestBenchOptions) {
  const shapes = opts.shapes ?? INGEST_SHAPES;
  const log = opts.log ?? ((l) => console.error(l));
  const runs: IngestRun[] = [];
  // Shapes and variants interleave within each repeat, so a busy spell of the machine hits all alike.
  for (let r = 0; r < opts.repeats; r++) {
    for (const shape of shapes) {
      for (const variant of ['null-sink', 'payscope']) {
        const run = await runIngestOnce(shape, variant, opts);
        log(`  ${shape.name} ${variant} run ${r + 1}: ${Math.round(run.spansPerSec)} spans/s, p50 ${run.p50Ms.toFixed(1)} ms, p99 ${run.p99Ms.toFixed(1)} ms, max ${run.maxMs.toFixed(0)} ms, ${run.cpuCores.toFixed(2)} cores, statuses ${JSON.stringify(run.statuses)}`);
        runs.push(run);
      }
    }
  }
  const summary = shapes.flatMap((shape) => {
    const rows = ['null-sink', 'payscope'].map((variant) => {
      const rs = runs.filter((x) => x.shape === shape.name && x.variant === variant);
      return {
        shape: shape.name,
        variant,
        spansPerSec: median(rs.map((x) => x.spansPerSec)),
        p50Ms: median(rs.map((x) => x.p50Ms)),
        p99Ms: median(rs.map((x) => x.p99Ms)),
        maxMs: Math.max(...rs.map((x) => x.maxMs)),
        peakRssMb: median(rs.map((x) => x.peakRssMb)),
        cpuCores: median(rs.map((x) => x.cpuCores)),
        lostSpans: variant === 'payscope' ? Math.max(0, ...rs.map((x) => x.okSpans - x.storedSpans)) : 0,
        // Stored although the client gave up waiting (10 s): an exporter would send them again.
        storedAfterTimeout: variant === 'payscope' ? Math.max(0, ...rs.map((x) => x.storedSpans - x.okSpans)) : 0,
      };
    });
    return rows.map((s) => ({ ...s, ratioToNullSink: s.spansPerSec / rows[0].spansPerSec }));
  });
  return { opts: { seconds: opts.seconds, repeats: opts.repeats }, summary, runs, goalSpansPerSec: 150_000 };
}
