import { afterEach, describe, expect, it } from 'vitest';
import { refusedEndpoint, startHangingBackend } from './helpers/trace-backend.js';
import { startService, type ServiceProcess } from './helpers/service-process.js';

// A service whose trace backend is down or hangs must answer exactly as it does untraced, never
// wait on the backend, keep memory bounded, and still stop within the shutdown bound.
const running: ServiceProcess[] = [];
afterEach(() => {
  for (const s of running.splice(0)) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
});

const SHUTDOWN_BOUND_MS = 1000;

async function load(service: ServiceProcess, requests: number, concurrency: number): Promise<{ bodies: string[]; statuses: number[]; maxMs: number }> {
  const bodies: string[] = [];
  const statuses: number[] = [];
  let maxMs = 0;
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < requests) {
        next++;
        const started = performance.now();
        const response = await fetch(`${service.url}/charge`, { method: 'POST' });
        bodies.push(await response.text());
        statuses.push(response.status);
        maxMs = Math.max(maxMs, performance.now() - started);
      }
    }),
  );
  return { bodies, statuses, maxMs };
}

async function run(env: Record<string, string>, preload?: string[]): Promise<ServiceProcess> {
  const service = await startService('ledger-app.cjs', { env, preload });
  running.push(service);
  return service;
}

const dropWarnings = (stderr: string) => stderr.split('\n').filter((line) => /^\[payscope\] dropped \d+ span\(s\): /.test(line));

describe.each([
  ['refuses connections', async () => ({ endpoint: await refusedEndpoint(), requests: () => -1, close: async () => {} })],
  ['accepts but never answers', startHangingBackend],
])('a service whose trace backend %s', (_label, makeBackend) => {
  it('answers every request as it does untraced, logs the loss once, and shuts down within the bound', async () => {
    const backend = await makeBackend();
    try {
      const untraced = await run({}, []);
      const baseline = await load(untraced, 50, 5);

      const traced = await run({
        OTEL_SERVICE_NAME: 'ledger-no-backend',
        OTEL_EXPORTER_OTLP_ENDPOINT: backend.endpoint,
        OTEL_BSP_MAX_QUEUE_SIZE: '64',
        OTEL_BSP_SCHEDULE_DELAY: '20',
        PAYSCOPE_SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_BOUND_MS),
      });
      const result = await load(traced, 300, 10);

      expect(result.statuses.every((s) => s === 200)).toBe(true);
      expect(new Set(result.bodies)).toEqual(new Set(baseline.bodies));
      expect(new Set(result.bodies).size).toBe(1);
      // Each export is stuck for 10 s (exporter timeout, with retries); no request waited on one.
      // (Not tighter: the machine running the tests may be busy.)
      expect(result.maxMs, 'slowest request, ms').toBeLessThan(5000);
      if (backend.requests() !== -1) expect(backend.requests()).toBeGreaterThan(0);
      // ~5 spans per request against a 64-span queue: spans were dropped, and said so once.
      expect(dropWarnings(traced.stderr()), traced.stderr()).toHaveLength(1);

      const signalled = Date.now();
      traced.child.kill('SIGTERM');
      const exit = await traced.exited;
      expect(exit.signal).toBe('SIGTERM');
      // The bound plus process teardown, with room for a busy machine.
      expect(exit.at - signalled, 'ms from SIGTERM to exit').toBeLessThan(SHUTDOWN_BOUND_MS + 3000);
      expect(dropWarnings(traced.stderr()), traced.stderr()).toHaveLength(1);
      expect(traced.stderr()).toMatch(/\[payscope\] dropped \d+ span\(s\) in total; exported 0\./);
    } finally {
      await backend.close();
    }
  });
});
