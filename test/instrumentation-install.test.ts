import { spawn } from 'node:child_process';
import { lstatSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { GET } from '../app/instrumentation.tgz/route';
import { sql } from '../lib/store/sql';
import { dashboardHandler } from '../server/payscope-server';
import { startTestServer } from './helpers/server';

// The documented install, as a service team does it: a fresh app directory outside the repository,
// `npm install http://<payscope>/instrumentation.tgz`, then `node --import
// @payscope/instrumentation/register app.mjs`; its spans must arrive in a real payscope. The
// tarball is served over real HTTP by the dashboard port's handler (with an API token set, which
// npm cannot send) and the route handler behind it, without the rest of Next.js.
// The package's own dependencies come from the npm cache, or the registry the first time.
const root = path.resolve(import.meta.dirname, '..');
const { version } = JSON.parse(readFileSync(path.join(root, 'instrumentation/package.json'), 'utf8')) as { version: string };

let payscope: Awaited<ReturnType<typeof startTestServer>>;
let tarballServer: Server;
let appDir: string;

function run(command: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<{ code: number | null; out: string }> {
  const clean: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('OTEL_') && !k.startsWith('PAYSCOPE_') && k !== 'NODE_OPTIONS' && !k.startsWith('VITEST')) clean[k] = v;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { ...clean, ...env } as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}

beforeAll(async () => {
  // Pack the package as built now (dist/), as `npm install` in the checkout does.
  const packed = await run(process.execPath, ['scripts/build-dist.mjs', 'tarball'], path.join(root, 'instrumentation'));
  expect(packed.code, packed.out).toBe(0);
  payscope = await startTestServer({ apiToken: 'api-s3cret' });
  const nextjs = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.url !== '/instrumentation.tgz') return void res.writeHead(404).end();
    const answer = await GET();
    res.writeHead(answer.status, Object.fromEntries(answer.headers));
    res.end(Buffer.from(await answer.arrayBuffer()));
  };
  tarballServer = createServer(dashboardHandler(payscope.config, () => {}, payscope.metrics, (req, res) => void nextjs(req, res)));
  await new Promise<void>((resolve) => tarballServer.listen(0, '127.0.0.1', resolve));
  appDir = mkdtempSync(path.join(os.tmpdir(), 'payscope-service-'));
});

afterAll(async () => {
  await new Promise((resolve) => tarballServer?.close(resolve));
  await payscope?.stop();
  if (appDir) rmSync(appDir, { recursive: true, force: true });
});

it('npm install <payscope>/instrumentation.tgz, then node --import @payscope/instrumentation/register: spans arrive', { timeout: 600_000 }, async () => {
  writeFileSync(path.join(appDir, 'package.json'), JSON.stringify({ name: 'installed-service', version: '1.0.0', type: 'module', private: true }));
  writeFileSync(
    path.join(appDir, 'app.mjs'),
    `import http from 'node:http';
const server = http.createServer((_req, res) => res.end('pong'));
server.listen(0, '127.0.0.1', async () => {
  const answer = await fetch('http://127.0.0.1:' + server.address().port + '/ping');
  console.log(await answer.text());
  server.close();
});
`,
  );
  const base = `http://127.0.0.1:${(tarballServer.address() as AddressInfo).port}`;
  expect((await fetch(`${base}/`)).status).toBe(401); // the rest of the dashboard port keeps its token
  const url = `${base}/instrumentation.tgz`;
  const install = await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', url], appDir);
  expect(install.code, install.out).toBe(0);

  // A real copy of the package, not a link into the repository.
  const installed = path.join(appDir, 'node_modules/@payscope/instrumentation');
  expect(lstatSync(installed).isSymbolicLink()).toBe(false);
  expect(JSON.parse(readFileSync(path.join(installed, 'package.json'), 'utf8')).version).toBe(version);
  expect(JSON.parse(readFileSync(path.join(appDir, 'package.json'), 'utf8')).dependencies['@payscope/instrumentation']).toBe(url);

  const app = await run(process.execPath, ['--import', '@payscope/instrumentation/register', 'app.mjs'], appDir, {
    OTEL_SERVICE_NAME: 'installed-service',
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${payscope.ports.otlpHttp}`,
  });
  expect(app, app.out).toMatchObject({ code: 0 });
  expect(app.out).toContain('pong');

  let kinds: string[] = [];
  for (let i = 0; i < 300 && !(kinds.includes('Server') && kinds.includes('Client')); i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 100));
    const rows = await payscope.store.query<{ SpanKind: string }>(sql`SELECT SpanKind FROM otel_traces WHERE ServiceName = ${'installed-service'}`);
    kinds = rows.map((r) => r.SpanKind);
  }
  expect(kinds.sort()).toEqual(['Client', 'Server']);
});

it('the route answers 404 with the command to run when the tarball is not packed', async () => {
  const cwd = process.cwd();
  process.chdir(appDir); // no instrumentation/ here
  try {
    const answer = await GET();
    expect(answer.status).toBe(404);
    expect(await answer.text()).toContain('npm run pack:instrumentation');
  } finally {
    process.chdir(cwd);
  }
});
