// Overhead of tracing on a payment endpoint that makes three downstream HTTP calls.
//
//   node --import tsx instrumentation/bench/overhead.ts
//
// Processes: the payment app (one per variant), a mock of its three downstream services, an OTLP
// sink answering 200 at once (one per variant), and a closed-loop load generator — each its own process.
// Variants: no instrumentation; plain upstream NodeSDK + getNodeAutoInstrumentations() + OTLP
// proto exporter; payscope via `--import @payscope/instrumentation/register` opening a payment
// context per request, and the same without the payment API (like for like with upstream). Scenarios:
//   io-bound  — the downstream services take 5 / 30 / 5 ms (risk check, gateway charge, ledger
//               write), as real hops do: the app waits on I/O, as the handler does;
//   cpu-bound — the mock answers at once: the app's CPU is the limit, the worst case for tracing.
// All variants' apps run side by side for a whole scenario and take the load in turn, in rotating
// order, round after round; the median round counts, and each variant is also compared with
// upstream's run of the same round (thr/up, CPU/up: medians of the per-round ratios), so a change
// in the machine's load hits both sides of a comparison alike. Besides throughput and latency, the
// app's CPU time per request (from /proc, counted from the start of its turn to the start of its
// next one, so spans exported after a turn count with it) is reported.
// Writes bench/results/overhead.json at the repo root.
//
// Env: ROUNDS (5), CONCURRENCY (32), WARMUP_MS (2000), DURATION_MS (6000), SCENARIOS (io-bound,cpu-bound),
// BASELINE_BUILD (a directory holding another build of the package's dist/, e.g. the one before a
// change: adds the variant `payscope-baseline`, payment context on, measured in the same rounds),
// CPU_PROF_DIR (V8 CPU profiles of each app process go to DIR/<scenario>-<variant>/; profiling costs CPU, so
// do not compare those runs' figures with unprofiled ones), CPU_PROF_INTERVAL (their sampling interval in µs,
// V8's default 1000; a smaller one resolves functions of a few µs per request).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';

const benchDir = fileURLToPath(new URL('.', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const resultsDir = `${repoRoot}bench/results`;

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 32);
const WARMUP_MS = Number(process.env.WARMUP_MS ?? 2000);
const DURATION_MS = Number(process.env.DURATION_MS ?? 6000);
const CPU_PROF_DIR = process.env.CPU_PROF_DIR;
const CPU_PROF_INTERVAL = process.env.CPU_PROF_INTERVAL;
const CLOCK_TICKS_PER_SECOND = 100; // Linux USER_HZ

interface Scenario {
  name: string;
  description: string;
  mockLatency: string;
}

const SCENARIOS: Scenario[] = [
  { name: 'io-bound', description: 'downstream calls take 5 / 30 / 5 ms', mockLatency: 'risk=5,gateway=30,ledger=5' },
  { name: 'cpu-bound', description: 'downstream answers at once; app CPU-saturated', mockLatency: '' },
].filter((s) => (process.env.SCENARIOS ?? 'io-bound,cpu-bound').split(',').includes(s.name));

const BASELINE_BUILD = process.env.BASELINE_BUILD;

interface Variant {
  name: 'none' | 'upstream' | 'payscope' | 'payscope-bare' | 'payscope-baseline';
  label: string;
  preload: string[];
  env: (sink: string) => Record<string, string>;
}

const VARIANTS: Variant[] = [
  { name: 'none', label: 'no instrumentation', preload: [], env: () => ({}) },
  {
    name: 'upstream',
    label: 'upstream NodeSDK + auto-instr.',
    preload: ['--import', `${benchDir}upstream-otel.mjs`],
    env: (sink) => ({ OTEL_EXPORTER_OTLP_ENDPOINT: sink, OTEL_SERVICE_NAME: 'bench-upstream' }),
  },
  {
    name: 'payscope',
    label: '@payscope/instrumentation',
    preload: ['--import', '@payscope/instrumentation/register'],
    env: (sink) => ({ OTEL_EXPORTER_OTLP_ENDPOINT: sink, OTEL_SERVICE_NAME: 'bench-payscope', PAYSCOPE_PAYMENT_CONTEXT: '1' }),
  },
  {
    // The same app as the upstream variant, without the payment context API: like for like.
    name: 'payscope-bare',
    label: '@payscope/instr., no payment API',
    preload: ['--import', '@payscope/instrumentation/register'],
    env: (sink) => ({ OTEL_EXPORTER_OTLP_ENDPOINT: sink, OTEL_SERVICE_NAME: 'bench-payscope-bare' }),
  },
];
if (BASELINE_BUILD !== undefined) {
  VARIANTS.push({
    name: 'payscope-baseline',
    label: `payscope, ${BASELINE_BUILD}`,
    preload: ['--import', pathToFileURL(`${BASELINE_BUILD}/register.js`).href],
    env: (sink) => ({
      OTEL_EXPORTER_OTLP_ENDPOINT: sink,
      OTEL_SERVICE_NAME: 'bench-payscope-baseline',
      PAYSCOPE_PAYMENT_CONTEXT: '1',
      PAYSCOPE_MODULE: pathToFileURL(`${BASELINE_BUILD}/index.js`).href,
    }),
  });
}

interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  totalRequests: number;
}

interface Run extends LoadResult {
  cpuMsPerRequest: number;
  traceBytes: number;
  loadAverage: number;
}

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = {} as NodeJS.ProcessEnv;
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('OTEL_') && !k.startsWith('PAYSCOPE_') && k !== 'NODE_OPTIONS') env[k] = v;
  return { ...env, ...extra };
}

function startProcess(args: string[], env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, args, { cwd: repoRoot, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening (\d+)/.exec(out);
      if (m) resolve({ child, url: `http://127.0.0.1:${m[1]}` });
    });
    child.on('exit', (code) => reject(new Error(`${args.join(' ')} exited (${code}): ${err}`)));
  });
}

/** User + system CPU time of a process so far, in ms. */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
}

function runLoad(url: string): Promise<LoadResult> {
  const child = spawn(process.execPath, [`${benchDir}load-generator.mjs`], {
    cwd: repoRoot,
    env: cleanEnv({ TARGET_URL: url, CONCURRENCY: String(CONCURRENCY), WARMUP_MS: String(WARMUP_MS), DURATION_MS: String(DURATION_MS) }),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) =>
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as LoadResult) : reject(new Error(`load generator exited ${code}`)))),
  );
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function runScenario(scenario: Scenario): Promise<Record<Variant['name'], Run[]>> {
  const mock = await startProcess([`${benchDir}mock-downstream.mjs`], { MOCK_LATENCY_MS: scenario.mockLatency });
  const runs: Record<Variant['name'], Run[]> = { none: [], upstream: [], payscope: [], 'payscope-bare': [], 'payscope-baseline': [] };
  // Every variant's app (and its own sink) runs for the whole scenario and takes the load in turn, round after
  // round: a change in the machine's load hits all variants alike instead of whichever ran at the time.
  const apps: Array<{ variant: Variant; app: { child: ChildProcess; url: string }; sink: { child: ChildProcess; url: string } }> = [];
  try {
    for (const variant of VARIANTS) {
      // The loader-hook thread writes a profile of its own (thread id in the name, main is 0).
      const profile =
        CPU_PROF_DIR === undefined
          ? []
          : [
              '--cpu-prof',
              '--cpu-prof-dir',
              `${CPU_PROF_DIR}/${scenario.name}-${variant.name}`,
              ...(CPU_PROF_INTERVAL === undefined ? [] : ['--cpu-prof-interval', CPU_PROF_INTERVAL]),
            ];
      const sink = await startProcess([`${benchDir}otlp-sink.mjs`], {});
      const app = await startProcess([...profile, ...variant.preload, `${benchDir}payment-app.mjs`], { DOWNSTREAM_URL: mock.url, ...variant.env(sink.url) });
      apps.push({ variant, app, sink });
    }
    // One turn each, not counted: a process's first requests run while V8 still compiles and sizes its heap.
    for (const { app } of apps) await runLoad(app.url);
    // A run's CPU and trace bytes are counted from the start of its turn to the start of the variant's next turn,
    // so spans still queued when a turn ends (exported later on the exporter's timer) are counted with it.
    const cpuAt = apps.map(({ app }) => cpuMs(app.child.pid!));
    for (const { sink } of apps) await fetch(`${sink.url}/stats`); // the uncounted turns' bytes are not the first round's
    const pending: Array<{ index: number; result: LoadResult; loadAverage: number } | undefined> = apps.map(() => undefined);
    const settle = async (index: number): Promise<void> => {
      const p = pending[index];
      if (p === undefined) return;
      const { variant, app, sink } = apps[index];
      const cpu = cpuMs(app.child.pid!);
      const sinkStats = (await (await fetch(`${sink.url}/stats`)).json()) as Record<string, { bytes: number }>;
      const run: Run = {
        ...p.result,
        cpuMsPerRequest: (cpu - cpuAt[index]) / p.result.totalRequests,
        traceBytes: sinkStats['/v1/traces']?.bytes ?? 0,
        loadAverage: p.loadAverage,
      };
      cpuAt[index] = cpu;
      pending[index] = undefined;
      runs[variant.name].push(run);
      console.error(
        `${scenario.name} round ${runs[variant.name].length}/${ROUNDS} ${variant.name.padEnd(17)} ${run.rps.toFixed(0).padStart(6)} req/s  ` +
          `p50 ${run.p50Ms.toFixed(2)} ms  p99 ${run.p99Ms.toFixed(2)} ms  cpu ${run.cpuMsPerRequest.toFixed(3)} ms/req  ` +
          `errors ${run.errors}  load ${run.loadAverage.toFixed(1)}`,
      );
    };
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < apps.length; i++) {
        const index = (i + round) % apps.length;
        await settle(index);
        const result = await runLoad(apps[index].app.url);
        pending[index] = { index, result, loadAverage: loadavg()[0] };
      }
    }
    // Longer than either SDK's export delay (upstream's BatchSpanProcessor waits up to 5 s).
    await new Promise((resolve) => setTimeout(resolve, 6000));
    for (let index = 0; index < apps.length; index++) await settle(index);
  } finally {
    for (const { app, sink } of apps) {
      await stop(app.child);
      await stop(sink.child);
    }
    await stop(mock.child);
  }
  return runs;
}

function summarize(runs: Record<Variant['name'], Run[]>) {
  const up = runs.upstream;
  const rows = VARIANTS.map((v) => {
    const rs = runs[v.name];
    return {
      variant: v.name,
      label: v.label,
      rps: median(rs.map((r) => r.rps)),
      p50Ms: median(rs.map((r) => r.p50Ms)),
      p99Ms: median(rs.map((r) => r.p99Ms)),
      cpuMsPerRequest: median(rs.map((r) => r.cpuMsPerRequest)),
      traceBytesPerRequest: median(rs.map((r) => r.traceBytes / Math.max(1, r.totalRequests))),
      errors: rs.reduce((n, r) => n + r.errors, 0),
      // 1-minute load average of the machine when each run ended (other work shares the cores).
      loadAverage: median(rs.map((r) => r.loadAverage)),
      // Against upstream's run of the same round (the two ran minutes apart at most): median of the per-round ratios.
      throughputVsUpstream: median(rs.map((r, i) => r.rps / up[i].rps)),
      cpuVsUpstream: median(rs.map((r, i) => r.cpuMsPerRequest / up[i].cpuMsPerRequest)),
    };
  });
  const base = rows[0];
  return rows.map((r) => ({
    ...r,
    throughputRatio: r.rps / base.rps,
    p50Ratio: r.p50Ms / base.p50Ms,
    p99Ratio: r.p99Ms / base.p99Ms,
    cpuRatio: r.cpuMsPerRequest / base.cpuMsPerRequest,
  }));
}

function printTable(scenario: Scenario, rows: ReturnType<typeof summarize>): void {
  const header = ['variant', 'req/s', 'p50 ms', 'p99 ms', 'CPU ms/req', 'thr/none', 'p50/none', 'p99/none', 'CPU/none', 'thr/up', 'CPU/up', 'trace B/req', 'load'];
  const cells = rows.map((r) => [
    r.label,
    r.rps.toFixed(0),
    r.p50Ms.toFixed(2),
    r.p99Ms.toFixed(2),
    r.cpuMsPerRequest.toFixed(3),
    r.throughputRatio.toFixed(3),
    r.p50Ratio.toFixed(2),
    r.p99Ratio.toFixed(2),
    r.cpuRatio.toFixed(2),
    r.throughputVsUpstream.toFixed(3),
    r.cpuVsUpstream.toFixed(3),
    r.traceBytesPerRequest.toFixed(0),
    r.loadAverage.toFixed(1),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (cs: string[]) => cs.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(`\n${scenario.name}: ${scenario.description}, ${CONCURRENCY} concurrent requests`);
  console.log(line(header));
  for (const c of cells) console.log(line(c));
}

async function main(): Promise<void> {
  const report: Record<string, unknown> = {
    benchmark: 'overhead',
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    settings: { rounds: ROUNDS, concurrency: CONCURRENCY, warmupMs: WARMUP_MS, durationMs: DURATION_MS },
    endpoint: 'POST /pay: three sequential downstream HTTP calls (keep-alive) to a local mock',
    scenarios: {},
  };
  const summaries: Array<[Scenario, ReturnType<typeof summarize>]> = [];
  for (const scenario of SCENARIOS) {
    const runs = await runScenario(scenario);
    const rows = summarize(runs);
    summaries.push([scenario, rows]);
    const payscope = rows.find((r) => r.variant === 'payscope')!;
    const upstream = rows.find((r) => r.variant === 'upstream')!;
    (report.scenarios as Record<string, unknown>)[scenario.name] = {
      description: scenario.description,
      mockLatencyMs: scenario.mockLatency,
      variants: rows,
      goals: {
        payscopeAtLeast90PercentOfUninstrumentedThroughput: payscope.throughputRatio >= 0.9,
        payscopeThroughputNotBelowUpstream: payscope.rps >= upstream.rps,
        payscopeCpuPerRequestNotAboveUpstream: payscope.cpuMsPerRequest <= upstream.cpuMsPerRequest,
      },
      runs,
    };
  }
  for (const [scenario, rows] of summaries) printTable(scenario, rows);
  for (const [name, s] of Object.entries(report.scenarios as Record<string, { goals: unknown }>)) console.log(`goals ${name}: ${JSON.stringify(s.goals)}`);
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(`${resultsDir}/overhead.json`, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`wrote ${resultsDir}/overhead.json`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
