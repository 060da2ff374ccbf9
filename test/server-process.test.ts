import { spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../lib/store/store';
import { exposureWarning } from '../server/payscope-server';
import { sql } from '../lib/store/sql';
import { tempDataDir, testConfig } from './helpers/store';
import { makeSpans, protobufRequest } from './helpers/spans';

/** `npm start` as a user runs it: a real process, real signals. */

const root = path.resolve(import.meta.dirname, '..');
const tmp = tempDataDir();
const tmpOpen = tempDataDir();
afterAll(() => { tmp.cleanup(); tmpOpen.cleanup(); });

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

describe('the payscope process', () => {
  it('prints its options with --help', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/start.ts', '--help'], { cwd: root, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/PAYSCOPE_OTLP_HTTP_PORT/);
    expect(r.stdout).toMatch(/--no-dashboard/);
  });

  it('stores accepted spans and exits 0 on SIGTERM; the data is there after the restart', async () => {
    const [httpPort, grpcPort] = [await freePort(), await freePort()];
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts', '--no-dashboard'], {
      cwd: root,
      // every body decoded on a worker thread: the worker must load under `node --import tsx` too
      env: { ...process.env, PAYSCOPE_DATA_DIR: tmp.dir, CLICKHOUSE_URL: '', HOST: '127.0.0.1', PAYSCOPE_OTLP_HTTP_PORT: String(httpPort), PAYSCOPE_OTLP_GRPC_PORT: String(grpcPort), PAYSCOPE_DECODE_INLINE_BYTES: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    for (let i = 0; i < 100 && !out.includes('OTLP/gRPC listening'); i++) await new Promise((r) => setTimeout(r, 100));
    expect(out).toContain(`OTLP/HTTP listening on http://127.0.0.1:${httpPort}/v1/traces`);

    const body = protobufRequest(await makeSpans(9));
    const sends = await Promise.all(Array.from({ length: 5 }, () => fetch(`http://127.0.0.1:${httpPort}/v1/traces`, {
      method: 'POST', body: new Uint8Array(body), headers: { 'content-type': 'application/x-protobuf' },
    })));
    expect(sends.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    const health = await (await fetch(`http://127.0.0.1:${httpPort}/health`)).json();
    expect(health.decodedOnWorkers).toBe(5);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toMatch(/SIGTERM: storing accepted spans/);

    const store = await openStore(testConfig(tmp.dir));
    const [{ n }] = await store.query<{ n: string }>(sql`SELECT count() AS n FROM otel_traces`);
    await store.close();
    expect(Number(n)).toBe(45);
  });

  it('warns at start when it listens beyond loopback without tokens', async () => {
    const [httpPort, grpcPort] = [await freePort(), await freePort()];
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts', '--no-dashboard'], {
      cwd: root,
      env: { ...process.env, PAYSCOPE_DATA_DIR: tmpOpen.dir, CLICKHOUSE_URL: '', HOST: '0.0.0.0', PAYSCOPE_INGEST_TOKEN: '', PAYSCOPE_API_TOKEN: '', PAYSCOPE_OTLP_HTTP_PORT: String(httpPort), PAYSCOPE_OTLP_GRPC_PORT: String(grpcPort) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    for (let i = 0; i < 200 && !stderr.includes('WARNING'); i++) await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toMatch(/WARNING: payscope listens on 0\.0\.0\.0, reachable beyond this machine, without access tokens: anyone who can reach it can send spans \(set PAYSCOPE_INGEST_TOKEN\)/);
  });
});

describe('exposureWarning', () => {
  const config = testConfig('/nonexistent');
  it('is silent on loopback, or with the tokens that guard what listens', () => {
    for (const host of ['127.0.0.1', '::1', 'localhost']) expect(exposureWarning({ ...config, host }, true)).toBeUndefined();
    expect(exposureWarning({ ...config, host: '0.0.0.0', ingestToken: 'i', apiToken: 'a' }, true)).toBeUndefined();
    expect(exposureWarning({ ...config, host: '0.0.0.0', ingestToken: 'i' }, false)).toBeUndefined();
  });

  it('names each open door beyond loopback', () => {
    const both = exposureWarning({ ...config, host: '0.0.0.0' }, true)!;
    expect(both).toMatch(/PAYSCOPE_INGEST_TOKEN/);
    expect(both).toMatch(/PAYSCOPE_API_TOKEN/);
    const apiOnly = exposureWarning({ ...config, host: '10.0.0.5', ingestToken: 'i' }, true)!;
    expect(apiOnly).not.toMatch(/INGEST/);
    expect(apiOnly).toMatch(/PAYSCOPE_API_TOKEN/);
  });
});
