import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const fixturesDir = fileURLToPath(new URL('../fixtures/', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const distRegister = fileURLToPath(new URL('../../dist/register.js', import.meta.url));

export interface ServiceProcess {
  child: ChildProcess;
  /** Port printed by the fixture as `listening <port>`, or 0 for a script. */
  port: number;
  url: string;
  stdout(): string;
  stderr(): string;
  /** Resolves when the process exits. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

export interface StartOptions {
  env?: Record<string, string | undefined>;
  /** Preload flags; default `--import @payscope/instrumentation/register`. `[]` runs uninstrumented. */
  preload?: string[];
  /** Wait for `listening <port>` on stdout (servers) or not (scripts). @default true */
  waitForPort?: boolean;
  /** Command-line arguments after the fixture's path. */
  args?: string[];
}

/** Starts a fixture the way a service team would: `node --import @payscope/instrumentation/register <file>`. */
export async function startService(file: string, options: StartOptions = {}): Promise<ServiceProcess> {
  if (!existsSync(distRegister)) {
    throw new Error('dist/ is missing: run `npm run build -w @payscope/instrumentation` before these tests');
  }
  const env: Record<string, string | undefined> = { ...process.env };
  // The test runner's own OTel / payscope settings must not leak into the fixture.
  for (const key of Object.keys(env)) if (key.startsWith('OTEL_') || key.startsWith('PAYSCOPE_') || key === 'NODE_OPTIONS') delete env[key];
  Object.assign(env, options.env);
  const child = spawn(process.execPath, [...(options.preload ?? ['--import', '@payscope/instrumentation/register']), `${fixturesDir}${file}`, ...(options.args ?? [])], {
    cwd: repoRoot,
    env: env as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  let port = 0;
  if (options.waitForPort !== false) {
    port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${file} did not start: ${err}`)), 20_000);
      const check = () => {
        const m = /listening (\d+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      };
      child.stdout!.on('data', check);
      void exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`${file} exited before listening: ${err}`));
      });
    });
  }
  return { child, port, url: `http://127.0.0.1:${port}`, stdout: () => out, stderr: () => err, exited };
}
