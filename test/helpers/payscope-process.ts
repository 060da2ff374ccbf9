/**
 * A payscope ingest process for the reliability scripts (crash trials, overload, fuzz): started the
 * way a user starts it (`scripts/start.ts --no-dashboard`) on the embedded store in its own data
 * directory and free port, so a crash, a hang or memory growth is the real process's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** Resident set size of a process, MB (Linux /proc). */
export function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

export interface PayscopeProcess {
  child: ChildProcess;
  port: number;
  /** Everything the process printed so far. */
  output(): string;
  alive(): boolean;
  /** SIGTERM and wait for the exit (payscope stores what it acknowledged first). */
  stop(): Promise<void>;
}

/**
 * Starts payscope's ingest on the embedded store in `dataDir`, OTLP/HTTP on `port` (a free one if
 * omitted), gRPC off; `env` adds or overrides configuration. Resolves once it listens.
 */
export async function startPayscopeProcess(dataDir: string, opts: { port?: number; env?: Record<string, string> } = {}): Promise<PayscopeProcess> {
  const port = opts.port ?? await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts', '--no-dashboard'], {
    cwd: root,
    env: { ...process.env, PAYSCOPE_DATA_DIR: dataDir, CLICKHOUSE_URL: '', HOST: '127.0.0.1', PAYSCOPE_OTLP_HTTP_PORT: String(port), PAYSCOPE_OTLP_GRPC_PORT: '0', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let alive = true;
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<void>((r) => child.once('exit', () => { alive = false; r(); }));
  for (let i = 0; i < 300 && alive && !out.includes('OTLP/HTTP listening'); i++) await new Promise((r) => setTimeout(r, 100));
  if (!out.includes('OTLP/HTTP listening')) {
    child.kill('SIGKILL');
    throw new Error(`payscope did not start:\n${out}`);
  }
  return {
    child,
    port,
    output: () => out,
    alive: () => alive,
    stop: async () => { if (alive) child.kill('SIGTERM'); await exited; },
  };
}
