import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import { parseArgs } from 'node:util';
import { SERVICES } from '../sim/model/catalog';
import { ensureInstrumentationBuilt, REPO_ROOT, startPlatform, type Platform } from '../sim/platform/platform';
import { parseScenarioArg, resolveScenario, SCENARIO_NAMES, type ScenarioRequest } from '../sim/platform/scenarios';

const HELP = `Usage: npm run demo [-- options]

Starts payscope (dashboard, JSON API and OTLP receivers on the embedded store), a simulated payment
platform of 15 Node services traced by @payscope/instrumentation (checkout, order, inventory, risk,
payment, account, four channel adapters and five mock gateways: alipay, wechatpay, stripe, adyen,
paypal), and
shoppers paying through it. Within a minute the dashboard shows payments across channels and
gateways. Ctrl-C (or SIGTERM) stops everything; no process is left behind.

Options:
  --rate N             payments per second (default 4)
  --scenario S         fault scenario to start with (default baseline): ${SCENARIO_NAMES.join(', ')}
                       with parameters: --scenario gateway-degraded,gateway=stripe,extraErrorRate=0.5
  --duration SEC       stop after SEC seconds (default: run until Ctrl-C)
  --port N             dashboard and API port (default PORT or 3000)
  --otlp-port N        OTLP/HTTP port (default PAYSCOPE_OTLP_HTTP_PORT or 4318)
  --grpc-port N        OTLP/gRPC port (default PAYSCOPE_OTLP_GRPC_PORT or 4317)
  --control-port N     the platform's control endpoint (default 4700; 0 = any free port)
  --base-port N        services listen on N..N+14 (default 4701; 0 = any free ports)
  --data-dir DIR       payscope's data directory (default PAYSCOPE_DATA_DIR or ./.payscope-data);
                       each run's ground truth goes to DIR/sim/run-<time>/ground-truth.jsonl
  --time-scale X       multiply the gateways' latency, callback delays and timeouts (default 1)
  --no-dashboard       start only payscope's OTLP receivers (no Next.js build or dashboard)
  --payscope URL       send spans to a payscope already running at this OTLP/HTTP URL
                       (e.g. http://localhost:4318) instead of starting one
  -h, --help           this text

While it runs, switch scenarios on the control endpoint:
  curl -X POST localhost:4700/scenario -d '{"name":"gateway-degraded","gateway":"stripe"}'
  curl -X POST localhost:4700/rate -d '{"rate":10}'
  curl localhost:4700/ground-truth
See sim/platform/README.md.`;

function fail(message: string): never {
  console.error(`demo: ${message}\n\n${HELP}`);
  process.exit(2);
}

let args: ReturnType<typeof parse>;
function parse() {
  return parseArgs({
    options: {
      rate: { type: 'string' },
      scenario: { type: 'string' },
      duration: { type: 'string' },
      port: { type: 'string' },
      'otlp-port': { type: 'string' },
      'grpc-port': { type: 'string' },
      'control-port': { type: 'string' },
      'base-port': { type: 'string' },
      'data-dir': { type: 'string' },
      'time-scale': { type: 'string' },
      'no-dashboard': { type: 'boolean' },
      payscope: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  }).values;
}
try {
  args = parse();
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}
if (args.help) {
  console.log(HELP);
  process.exit(0);
}

function num(name: string, raw: string | undefined, fallback: number, min: number, integer = false): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) fail(`--${name} must be ${integer ? 'an integer' : 'a number'} >= ${min}, got ${JSON.stringify(raw)}`);
  return n;
}

const rate = num('rate', args.rate, 4, 0);
const durationSec = num('duration', args.duration, 0, 0);
const dashboardPort = num('port', args.port ?? process.env.PORT, 3000, 1, true);
const otlpPort = num('otlp-port', args['otlp-port'] ?? process.env.PAYSCOPE_OTLP_HTTP_PORT, 4318, 1, true);
const grpcPort = num('grpc-port', args['grpc-port'] ?? process.env.PAYSCOPE_OTLP_GRPC_PORT, 4317, 1, true);
const controlPort = num('control-port', args['control-port'], 4700, 0, true);
const basePort = num('base-port', args['base-port'], 4701, 0, true);
const timeScale = num('time-scale', args['time-scale'], 1, 0.001);
const dashboard = !args['no-dashboard'];
const dataDir = path.resolve(args['data-dir'] ?? process.env.PAYSCOPE_DATA_DIR ?? '.payscope-data');
let scenario: ScenarioRequest = { name: 'baseline' };
try {
  if (args.scenario !== undefined) scenario = parseScenarioArg(args.scenario);
  resolveScenario(scenario);
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}

const t0 = Date.now();
const since = () => ((Date.now() - t0) / 1000).toFixed(1);
const log = (line: string) => console.log(`[demo] ${line}`);

function pipeLines(child: ChildProcess, prefix: string): void {
  for (const stream of [child.stdout, child.stderr]) {
    if (stream) readline.createInterface({ input: stream }).on('line', (line) => console.log(`${prefix} ${line}`));
  }
}

/** payscope itself (scripts/start.ts), in its own process group; it exits if the demo dies. */
function startPayscope(): { child: ChildProcess; exited: Promise<number | null> } {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--import', path.join(REPO_ROOT, 'sim', 'platform', 'exit-with-parent.ts'), path.join(REPO_ROOT, 'scripts', 'start.ts'), ...(dashboard ? [] : ['--no-dashboard'])],
    {
      cwd: REPO_ROOT,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: {
        ...process.env,
        PORT: String(dashboardPort),
        PAYSCOPE_OTLP_HTTP_PORT: String(otlpPort),
        PAYSCOPE_OTLP_GRPC_PORT: String(grpcPort),
        PAYSCOPE_DATA_DIR: dataDir,
      },
    },
  );
  pipeLines(child, '[payscope]');
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited };
}

/** Any HTTP answer from the port means the server listens. */
async function answers(url: string): Promise<Response | undefined> {
  try {
    return await fetch(url, { signal: AbortSignal.timeout(2000) });
  } catch {
    return undefined;
  }
}

async function waitForPayscope(payscope: { exited: Promise<number | null> }): Promise<void> {
  const url = dashboard ? `http://127.0.0.1:${dashboardPort}/api/health` : `http://127.0.0.1:${otlpPort}/v1/traces`;
  let exitCode: number | null | undefined;
  void payscope.exited.then((code) => (exitCode = code));
  for (;;) {
    if (exitCode !== undefined) throw new Error(`payscope exited (code ${exitCode}) before it was ready`);
    const res = await answers(url);
    if (res !== undefined && (!dashboard || res.ok)) return;
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** The ports among `ports` that something already listens on (another payscope, an earlier demo...). */
async function portsInUse(ports: Array<[string, number]>): Promise<string[]> {
  const busy: string[] = [];
  for (const [name, port] of ports) {
    if (port === 0) continue;
    const free = await new Promise<boolean>((resolve) => {
      const srv = net.createServer();
      srv.once('error', () => resolve(false));
      srv.listen(port, () => srv.close(() => resolve(true)));
    });
    if (!free) busy.push(`${name} ${port}`);
  }
  return busy;
}

let payscope: ReturnType<typeof startPayscope> | undefined;
let platform: Platform | undefined;
let stopping: Promise<void> | undefined;

function killGroup(child: ChildProcess | undefined, signal: NodeJS.Signals): void {
  if (child?.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

async function stop(reason: string, code: number): Promise<void> {
  stopping ??= (async () => {
    log(`${reason}: stopping traffic, services and payscope...`);
    await platform?.stop();
    if (payscope !== undefined) {
      killGroup(payscope.child, 'SIGTERM');
      const done = await Promise.race([payscope.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 20_000))]);
      if (!done) {
        log('payscope did not stop within 20 s: killing it');
        killGroup(payscope.child, 'SIGKILL');
      }
    }
    log('stopped');
    process.exit(code);
  })();
  return stopping;
}

let firstSignalAt = 0;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    // Under `npm run`, one Ctrl-C can arrive twice (from the terminal and forwarded by npm).
    if (firstSignalAt !== 0 && Date.now() - firstSignalAt < 1000) return;
    if (firstSignalAt !== 0) {
      // A second Ctrl-C: do not wait for flushes.
      for (const s of platform?.services ?? []) {
        try {
          process.kill(-s.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      killGroup(payscope?.child, 'SIGKILL');
      process.exit(130);
    }
    firstSignalAt = Date.now();
    void stop(signal, 0);
  });
}

async function main(): Promise<void> {
  const ownPorts: Array<[string, number]> = [
    ['--control-port', controlPort],
    ...Array.from({ length: basePort === 0 ? 0 : SERVICES.length }, (_, i): [string, number] => ['--base-port range', basePort + i]),
  ];
  if (args.payscope === undefined) {
    ownPorts.unshift(['--otlp-port', otlpPort], ['--grpc-port', grpcPort]);
    if (dashboard) ownPorts.unshift(['--port', dashboardPort]);
  }
  const busy = [...new Set((await portsInUse(ownPorts)).map((b) => b.replace(/^--base-port range \d+$/, `--base-port ${basePort}-${basePort + 12}`)))];
  if (busy.length > 0) {
    throw new Error(`already in use: ${busy.join(', ')}. Is another payscope or demo running? Pick other ports (see --help), or send to a running payscope with --payscope http://localhost:4318`);
  }
  ensureInstrumentationBuilt({ ifStale: true, log });
  let otlpEndpoint = args.payscope;
  if (otlpEndpoint === undefined) {
    log(`starting payscope (${dashboard ? `dashboard on port ${dashboardPort}, ` : ''}OTLP/HTTP ${otlpPort}, OTLP/gRPC ${grpcPort}, data in ${dataDir})`);
    payscope = startPayscope();
    void payscope.exited.then((code) => {
      if (stopping === undefined) void stop(`payscope exited unexpectedly (code ${code})`, 1);
    });
    await waitForPayscope(payscope);
    log(`payscope is up (${since()} s)`);
    otlpEndpoint = `http://127.0.0.1:${otlpPort}`;
  }
  if (stopping !== undefined) return;

  const runDir = path.join(dataDir, 'sim', `run-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  platform = await startPlatform({
    otlpEndpoint,
    dataDir: runDir,
    rate,
    scenario,
    controlPort,
    basePort,
    timeScale,
    log: (line) => console.log(line),
  });
  const p = platform;
  if (stopping !== undefined) return;
  const active = p.scenario();
  console.log(
    [
      '',
      `payscope demo: ${p.services.length} services up after ${since()} s, ${rate} payments/s, scenario ${active.name}`,
      dashboard && args.payscope === undefined ? `  dashboard     http://localhost:${dashboardPort}` : undefined,
      `  OTLP/HTTP     ${otlpEndpoint}/v1/traces`,
      p.controlUrl ? `  control       ${p.controlUrl}   e.g. curl -X POST ${p.controlUrl}/scenario -d '{"name":"gateway-degraded"}'` : undefined,
      `  ground truth  ${p.truthFile}`,
      `  checkout API  http://127.0.0.1:${p.addresses.checkout}/api/checkout`,
      'Ctrl-C stops everything.',
      '',
    ]
      .filter((line) => line !== undefined)
      .join('\n'),
  );

  // First data: the services' exporters count spans payscope acknowledged (ingest answers only once
  // spans are stored); with the dashboard, also wait until its API lists a trace.
  let firstStored = false;
  let firstVisible = !(dashboard && args.payscope === undefined);
  const watch = setInterval(async () => {
    if (!firstStored && p.exportedSpans() > 0) {
      firstStored = true;
      log(`first spans stored in payscope ${since()} s after start`);
    }
    if (!firstVisible) {
      const res = await answers(`http://127.0.0.1:${dashboardPort}/api/traces?limit=1`);
      if (res === undefined || res.status === 404) return;
      const body = (await res.json().catch(() => ({}))) as { traces?: unknown[] };
      if (Array.isArray(body.traces) && body.traces.length > 0) {
        firstVisible = true;
        log(`payments visible in the dashboard's API ${since()} s after start`);
      }
    }
    if (firstStored && firstVisible) clearInterval(watch);
  }, 500);
  watch.unref();

  setInterval(() => {
    const t = p.traffic.stats();
    const statuses = Object.entries(t.byStatus)
      .map(([status, n]) => `${status}: ${n}`)
      .join(', ');
    log(`${t.completed} payments (${statuses || 'none yet'}), ${p.exportedSpans()} spans stored, scenario ${p.scenario().name}`);
  }, 30_000).unref();

  if (durationSec > 0) setTimeout(() => void stop(`${durationSec} s elapsed`, 0), durationSec * 1000);
}

main().catch((error: unknown) => {
  console.error(`[demo] ${error instanceof Error ? error.message : String(error)}`);
  if (payscope === undefined && platform === undefined) process.exit(1);
  void stop('error', 1);
});
