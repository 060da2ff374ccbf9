import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureInstrumentationBuilt, REPO_ROOT } from './platform';

/**
 * `npm run demo` as a user runs it: the real script in its own process, payscope's receivers
 * (no dashboard, so no Next.js build) and the 15 platform services. Every process the demo starts
 * inherits a marker in its environment; after the demo ends, /proc must hold none of them, whether
 * it was stopped with Ctrl-C (SIGINT to its process group), SIGTERM, or killed outright.
 */

const DEMO = path.join(REPO_ROOT, 'scripts', 'demo.ts');
const linux = fs.existsSync('/proc/self/environ');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Live (not zombie) processes whose environment holds `marker`. */
function processesWith(marker: string): number[] {
  const found: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      if (fs.readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0').includes(marker)) found.push(Number(entry));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}

async function waitFor<T>(what: string, check: () => T | null | undefined | false, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

interface DemoRun {
  child: ChildProcess;
  marker: string;
  output: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  dataDir: string;
}

const runs: DemoRun[] = [];

async function startDemo(): Promise<DemoRun> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'payscope-demo-test-'));
  const marker = `PAYSCOPE_DEMO_TEST_RUN=${path.basename(dataDir)}`;
  const [otlp, grpc, dashboard] = [await freePort(), await freePort(), await freePort()];
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', DEMO, '--no-dashboard', '--rate', '3', '--time-scale', '0.25', '--otlp-port', String(otlp), '--grpc-port', String(grpc), '--port', String(dashboard), '--control-port', '0', '--base-port', '0', '--data-dir', dataDir],
    { cwd: REPO_ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, [marker.split('=')[0]]: marker.split('=')[1] } },
  );
  let text = '';
  child.stdout?.on('data', (d) => (text += String(d)));
  child.stderr?.on('data', (d) => (text += String(d)));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const run = { child, marker, output: () => text, exit, dataDir };
  runs.push(run);
  return run;
}

afterEach(async () => {
  // Whatever happened, leave nothing running.
  for (const run of runs.splice(0)) {
    for (const pid of linux ? processesWith(run.marker) : []) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    fs.rmSync(run.dataDir, { recursive: true, force: true });
  }
});

describe('npm run demo', () => {
  it('prints its options with --help, and rejects unknown ones', () => {
    const help = spawnSync(process.execPath, ['--import', 'tsx', DEMO, '--help'], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(help.status).toBe(0);
    for (const option of ['--rate', '--scenario', '--duration', '--port', '--otlp-port', '--control-port', '--base-port', '--no-dashboard']) {
      expect(help.stdout).toContain(option);
    }
    const bad = spawnSync(process.execPath, ['--import', 'tsx', DEMO, '--scenario', 'meteor-strike'], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('unknown scenario');
  });

  it.runIf(linux)('stores payments, then Ctrl-C stops every process it started', async () => {
    ensureInstrumentationBuilt();
    const run = await startDemo();
    await waitFor('first spans stored', () => /first spans stored in payscope ([\d.]+) s/.exec(run.output()), 120_000);
    const started = processesWith(run.marker);
    // The demo, payscope, and the 15 services.
    expect(started.length).toBeGreaterThanOrEqual(17);

    process.kill(-run.child.pid!, 'SIGINT');
    const exit = await Promise.race([run.exit, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no exit after SIGINT:\n${run.output()}`)), 45_000))]);
    expect(exit.code, run.output()).toBe(0);
    expect(run.output()).toContain('[demo] stopped');
    await waitFor('no stray processes', () => processesWith(run.marker).length === 0, 5000);
    // The run's ground truth was written.
    const runs = fs.readdirSync(path.join(run.dataDir, 'sim'));
    expect(fs.readFileSync(path.join(run.dataDir, 'sim', runs[0], 'ground-truth.jsonl'), 'utf8')).toContain('"type":"payment"');
  }, 180_000);

  it.runIf(linux)('SIGTERM stops everything too', async () => {
    const run = await startDemo();
    await waitFor('services up', () => /services up after/.test(run.output()), 120_000);
    process.kill(run.child.pid!, 'SIGTERM');
    const exit = await Promise.race([run.exit, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no exit after SIGTERM:\n${run.output()}`)), 45_000))]);
    expect(exit.code, run.output()).toBe(0);
    await waitFor('no stray processes', () => processesWith(run.marker).length === 0, 5000);
  }, 180_000);

  it.runIf(linux)('killed outright, it still leaves no process behind', async () => {
    const run = await startDemo();
    await waitFor('services up', () => /services up after/.test(run.output()), 120_000);
    expect(processesWith(run.marker).length).toBeGreaterThanOrEqual(15);
    process.kill(run.child.pid!, 'SIGKILL');
    await run.exit;
    // Services notice their IPC channel closing; payscope stops as on SIGTERM.
    await waitFor('no stray processes', () => processesWith(run.marker).length === 0, 30_000);
  }, 180_000);
});
