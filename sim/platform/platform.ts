import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { BASELINE } from '../model/catalog';
import { startControlServer, type ControlServer } from './control-server';
import { GroundTruthLog } from './ground-truth';
import { agent } from './http';
import type { Baseline } from '../model/catalog';
import type { FromService, ToService } from './ipc';
import { resolveScenario, type ActiveScenario, type ScenarioName, type ScenarioRequest } from './scenarios';
import { TrafficGenerator } from './traffic';
import { gatewayHostsEnv, isGateway, SERVICES, type Addresses, type Channel, type Service } from './topology';

/**
 * Starts the simulated payment platform: every service in its own Node process, traced by
 * `node --import @payscope/instrumentation/register` and exporting to `otlpEndpoint`; the traffic
 * generator; the scenario switch; the ground-truth log; the control endpoint. `stop()` ends
 * traffic, lets every service flush its spans and leaves no process behind.
 *
 * Each service runs in its own process group (so a Ctrl-C reaches only whoever started the
 * platform, which then stops the services in order) and watches its IPC channel, so it exits
 * even when the platform's process is killed outright.
 */

export const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');
const SERVICE_MAIN = path.join(import.meta.dirname, 'service-main.ts');
const INSTRUMENTATION = path.join(REPO_ROOT, 'instrumentation');

export interface PlatformOptions {
  /** payscope's OTLP/HTTP base URL, e.g. `http://127.0.0.1:4318`. */
  otlpEndpoint: string;
  /** Where this run's `ground-truth.jsonl` goes. */
  dataDir: string;
  /** Payments per second. @default 4 */
  rate?: number;
  /** @default 'baseline' */
  scenario?: ScenarioName | ScenarioRequest;
  /** Control endpoint port on 127.0.0.1; 0 picks a free one; null runs none. @default 4700 */
  controlPort?: number | null;
  /** Services listen on basePort, basePort + 1, ... (in `SERVICES` order); 0 picks free ports. @default 0 */
  basePort?: number;
  /** Multiplies provider latency, callback delays and adapter timeouts (tests use < 1). @default 1 */
  timeScale?: number;
  /** Overrides of the baseline rates (sim/model/catalog.ts `BASELINE`). */
  baseline?: Partial<Baseline>;
  /** Channel weights of the traffic. @default the shares of sim/model/catalog.ts */
  mix?: Partial<Record<Channel, number>>;
  /** Start the traffic right away. @default true */
  traffic?: boolean;
  /** Extra environment for the service processes. */
  env?: NodeJS.ProcessEnv;
  /** The platform's own messages. @default console.log */
  log?: (line: string) => void;
  /** Each line a service prints. @default log(`[service] line`) */
  output?: (service: Service, line: string) => void;
  /** @default 90 s */
  startTimeoutMs?: number;
}

export interface ServiceProcess {
  service: Service;
  pid: number;
  port: number;
  exited: boolean;
}

export interface Platform {
  readonly services: readonly ServiceProcess[];
  readonly addresses: Addresses;
  readonly controlUrl: string | undefined;
  readonly truthFile: string;
  readonly truth: GroundTruthLog;
  readonly traffic: TrafficGenerator;
  scenario(): ActiveScenario;
  setScenario(request: ScenarioName | ScenarioRequest): ActiveScenario;
  /** Spans the services' exporters delivered (payscope acknowledged them as stored). */
  exportedSpans(): number;
  stop(): Promise<void>;
}

interface Child {
  info: ServiceProcess;
  proc: ChildProcess;
  exit: Promise<void>;
  exportedSpans: number;
  quiet?: () => void;
}

/** Builds the instrumentation package when its dist/ is missing (a fresh clone) or, with `ifStale`, older than its sources. */
export function ensureInstrumentationBuilt(options: { ifStale?: boolean; log?: (line: string) => void } = {}): void {
  const entry = path.join(INSTRUMENTATION, 'dist', 'register.js');
  let build = !fs.existsSync(entry);
  if (!build && options.ifStale) {
    const built = fs.statSync(entry).mtimeMs;
    const src = path.join(INSTRUMENTATION, 'src');
    build = fs.readdirSync(src).some((f) => fs.statSync(path.join(src, f)).mtimeMs > built);
  }
  if (!build) return;
  options.log?.('building @payscope/instrumentation (npm run build -w @payscope/instrumentation)...');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['run', 'build', '-w', '@payscope/instrumentation'], { cwd: REPO_ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('building @payscope/instrumentation failed');
}

export async function startPlatform(options: PlatformOptions): Promise<Platform> {
  const log = options.log ?? ((line: string) => console.log(line));
  const output = options.output ?? ((service: Service, line: string) => log(`[${service}] ${line}`));
  const timeScale = options.timeScale ?? 1;
  const baseline: Baseline = { ...BASELINE, ...options.baseline };
  const endpoint = options.otlpEndpoint.replace(/\/+$/, '').replace(/\/v1\/traces$/, '');

  const truthFile = path.join(options.dataDir, 'ground-truth.jsonl');
  const truth = new GroundTruthLog(truthFile);
  truth.append({
    type: 'run',
    at: new Date().toISOString(),
    options: { rate: options.rate ?? 4, timeScale, baseline, mix: options.mix ?? null, otlpEndpoint: endpoint },
  });

  let period = 0;
  let active: ActiveScenario = { ...resolveScenario(options.scenario ?? 'baseline'), period, startedAt: new Date().toISOString() };
  const periodStarts: Array<{ period: number; ms: number }> = [{ period, ms: Date.now() }];
  truth.append({ type: 'scenario', at: active.startedAt, period, name: active.name, description: active.description, target: active.target, scenario: active });

  const children: Child[] = [];
  let stopping = false;
  let stopped: Promise<void> | undefined;

  const sendAll = (message: ToService) => {
    for (const child of children) if (child.proc.connected) child.proc.send(message);
  };

  const spawnService = (service: Service, index: number): Promise<Child> => {
    const port = options.basePort ? options.basePort + index : 0;
    const proc = spawn(process.execPath, ['--import', '@payscope/instrumentation/register', '--import', 'tsx', SERVICE_MAIN], {
      cwd: REPO_ROOT,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: {
        ...process.env,
        ...options.env,
        SIM_SERVICE: service,
        SIM_PORT: String(port),
        OTEL_SERVICE_NAME: service,
        OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${endpoint}/v1/traces`,
        OTEL_RESOURCE_ATTRIBUTES: isGateway(service)
          ? 'service.namespace=sim-gateways,service.version=0.1.0,deployment.environment.name=demo'
          : 'service.namespace=shop,service.version=1.8.3,deployment.environment.name=demo',
        PAYSCOPE_GATEWAY_HOSTS: gatewayHostsEnv(),
        OTEL_BSP_SCHEDULE_DELAY: options.env?.OTEL_BSP_SCHEDULE_DELAY ?? '500',
        // Flushing at stop: 15 services export at once to one payscope, give them time (killAll waits 10 s).
        PAYSCOPE_SHUTDOWN_TIMEOUT_MS: options.env?.PAYSCOPE_SHUTDOWN_TIMEOUT_MS ?? '6000',
      },
    });
    for (const stream of [proc.stdout, proc.stderr]) {
      if (stream) readline.createInterface({ input: stream }).on('line', (line) => output(service, line));
    }
    const info: ServiceProcess = { service, pid: proc.pid ?? 0, port: 0, exited: false };
    const exit = new Promise<void>((resolve) => {
      proc.once('exit', (code, signal) => {
        info.exited = true;
        if (!stopping) log(`[platform] ${service} exited unexpectedly (${signal ?? `code ${code}`})`);
        resolve();
      });
    });
    const child: Child = { info, proc, exit, exportedSpans: 0 };
    children.push(child);
    return new Promise<Child>((resolve, reject) => {
      proc.once('error', reject);
      void exit.then(() => reject(new Error(`${service} exited before listening`)));
      proc.on('message', (message: FromService) => {
        if (message.type === 'listening') {
          info.port = message.port;
          resolve(child);
        } else if (message.type === 'truth') {
          truth.append(message.record);
        } else if (message.type === 'stats') {
          child.exportedSpans = message.exportedSpans;
        } else if (message.type === 'quiet') {
          child.quiet?.();
        }
      });
    });
  };

  const killAll = async (graceMs: number) => {
    stopping = true;
    const signal = (child: Child, sig: NodeJS.Signals) => {
      if (child.info.exited || !child.proc.pid) return;
      try {
        process.kill(-child.proc.pid, sig);
      } catch {
        // already gone
      }
    };
    for (const child of children) signal(child, 'SIGTERM');
    const all = Promise.all(children.map((c) => c.exit));
    const timedOut = await Promise.race([all.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), graceMs).unref())]);
    if (timedOut) {
      for (const child of children) signal(child, 'SIGKILL');
      await Promise.race([all, new Promise((r) => setTimeout(r, 2000).unref())]);
    }
  };

  const quiesce = async (maxMs: number) => {
    const quiet = children
      .filter((c) => !c.info.exited && c.proc.connected)
      .map((c) => new Promise<void>((resolve) => {
        c.quiet = resolve;
        void c.exit.then(resolve);
        c.proc.send({ type: 'quiesce' } satisfies ToService);
      }));
    await Promise.race([Promise.all(quiet), new Promise((r) => setTimeout(r, maxMs).unref())]);
  };

  let control: ControlServer | undefined;
  let traffic: TrafficGenerator;
  try {
    const deadline = options.startTimeoutMs ?? 90_000;
    const started = await withTimeout(Promise.all(SERVICES.map((s, i) => spawnService(s, i))), deadline, `the platform's services did not start within ${deadline / 1000} s`);
    const addresses: Addresses = Object.fromEntries(started.map((c) => [c.info.service, c.info.port]));
    sendAll({ type: 'configure', addresses, scenario: active, baseline, timeScale });

    traffic = new TrafficGenerator({
      rate: options.rate ?? 4,
      checkoutPort: addresses.checkout!,
      mix: options.mix,
      onPayment: (p) => {
        if (p.orderId === '') return;
        let at = periodStarts[0];
        for (const start of periodStarts) if (start.ms <= p.startedAt) at = start;
        truth.append({
          type: 'payment',
          at: new Date(p.startedAt).toISOString(),
          period: at.period,
          orderId: p.orderId,
          channel: p.channel,
          gateway: p.gateway,
          amount: p.amount,
          currency: p.currency,
          status: p.status,
        });
      },
    });

    const platform: Platform = {
      services: children.map((c) => c.info),
      addresses,
      get controlUrl() {
        return control?.url;
      },
      truthFile,
      truth,
      traffic,
      scenario: () => active,
      setScenario(request) {
        const scenario = resolveScenario(request);
        period++;
        active = { ...scenario, period, startedAt: new Date().toISOString() };
        periodStarts.push({ period, ms: Date.now() });
        truth.append({ type: 'scenario', at: active.startedAt, period, name: active.name, description: active.description, target: active.target, scenario: active });
        sendAll({ type: 'scenario', scenario: active });
        log(`[platform] scenario ${active.name}: ${active.description}`);
        return active;
      },
      exportedSpans: () => children.reduce((n, c) => n + c.exportedSpans, 0),
      stop() {
        stopped ??= (async () => {
          stopping = true;
          await traffic.stop(5000);
          await control?.close();
          // No new callbacks; those being delivered arrive before anyone stops.
          await quiesce(4000);
          await killAll(10_000);
          agent.destroy();
          await truth.close();
        })();
        return stopped;
      },
    };

    if (options.controlPort !== null) {
      control = await startControlServer(platform, options.controlPort ?? 4700);
    }
    if (options.traffic !== false) traffic.start();
    return platform;
  } catch (error) {
    await control?.close();
    await killAll(3000);
    agent.destroy();
    await truth.close();
    throw error;
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(message)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
