/**
 * Ingest benchmark: real OTLP/protobuf requests (official serializer) posted by a separate load
 * process to a separate payscope process; spans/s counted in the store, request p50/p99, server RSS
 * and CPU. Baseline in the same run: a null sink that only reads bodies (the HTTP ceiling here).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';

export interface IngestRun { variant: string; spansPerSec: number; storedSpans: number; okSpans: number; requests: number; p50Ms: number; p99Ms: number; peakRssMb: number; cpuCores: number; statuses: Record<string, number> }

const root = path.resolve(import.meta.dirname, '..');
const tsx = ['--import', 'tsx'];

function startTarget(variant: string): Promise<{ child: ChildProcess; otlpPort: number; controlPort: number; dir?: string }> {
  const child = spawn(process.execPath, [...tsx, path.join(root, 'bench/ingest-target.ts'), variant], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
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
  const cpuTicks = Number(fields[11]) + Number(fields[12]);
  const rssPages = Number(fields[21]);
  return { cpuTicks, rssMb: (rssPages * 4096) / 1048576 };
}

export async function runIngestOnce(variant: string, opts: { seconds: number; concurrency: number; payloads: number }): Promise<IngestRun> {
  const { child, otlpPort, controlPort, dir } = await startTarget(variant);
  try {
    const before = procStat(child.pid!);
    let peakRss = before.rssMb;
    const sampler = setInterval(() => { peakRss = Math.max(peakRss, procStat(child.pid!).rssMb); }, 200);
    const load = spawn(process.execPath, [...tsx, path.join(root, 'bench/ingest-load.ts'), `http://127.0.0.1:${otlpPort}/v1/traces`, String(opts.concurrency), String(opts.seconds), String(opts.payloads)], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    load.stdout!.on('data', (d) => (out += d));
    // The load process spends its first seconds building payloads; CPU is measured over the whole
    // run and divided by the load's own elapsed time, so it slightly overstates server CPU.
    const t0 = Date.now();
    await new Promise((r) => load.on('exit', r));
    const wall = (Date.now() - t0) / 1000;
    clearInterval(sampler);
    const after = procStat(child.pid!);
    const result = JSON.parse(out.trim().split('\n').pop()!);
    const stored = Number((await (await fetch(`http://127.0.0.1:${controlPort}/count`)).json()).count);
    const counted = variant === 'null-sink' ? result.okSpans : stored;
    return {
      variant,
      spansPerSec: counted / result.elapsed,
      storedSpans: stored,
      okSpans: result.okSpans,
      requests: result.requests,
      p50Ms: result.p50Ms,
      p99Ms: result.p99Ms,
      peakRssMb: peakRss,
      cpuCores: (after.cpuTicks - before.cpuTicks) / 100 / Math.max(result.elapsed, wall - 0),
      statuses: result.statuses,
    };
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

export async function benchIngest(opts = { seconds: 15, concurrency: 8, payloads: 48, repeats: 3 }) {
  const runs: IngestRun[] = [];
  for (let r = 0; r < opts.repeats; r++) {
    for (const variant of ['null-sink', 'payscope']) {
      const run = await runIngestOnce(variant, opts);
      console.error(`  ${variant} run ${r + 1}: ${Math.round(run.spansPerSec)} spans/s, p50 ${run.p50Ms.toFixed(1)} ms, p99 ${run.p99Ms.toFixed(1)} ms, statuses ${JSON.stringify(run.statuses)}`);
      runs.push(run);
    }
  }
  const summary = ['null-sink', 'payscope'].map((variant) => {
    const rs = runs.filter((x) => x.variant === variant);
    return {
      variant,
      spansPerSec: median(rs.map((x) => x.spansPerSec)),
      p50Ms: median(rs.map((x) => x.p50Ms)),
      p99Ms: median(rs.map((x) => x.p99Ms)),
      peakRssMb: median(rs.map((x) => x.peakRssMb)),
      cpuCores: median(rs.map((x) => x.cpuCores)),
      lostSpans: variant === 'payscope' ? Math.max(...rs.map((x) => x.okSpans - x.storedSpans)) : 0,
    };
  });
  const base = summary[0].spansPerSec;
  return { opts, summary: summary.map((s) => ({ ...s, ratioToNullSink: s.spansPerSec / base })), runs, goalSpansPerSec: 150_000 };
}
