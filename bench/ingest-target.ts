/**
 * Benchmark target process: `payscope` (the real server, OTLP/HTTP only, embedded store in a temp
 * dir) or `null-sink` (reads each body and answers 200: the ceiling of HTTP on this machine).
 * Prints `ready <otlpPort> <controlPort>`; the control port answers GET /count with stored spans and,
 * for the payscope variant, GET /events with the engine's cumulative counters (system.events) and GET
 * /parts with the active parts per table.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../lib/config';
import { startServer } from '../server/payscope-server';
import { sql } from '../lib/store/sql';

const variant = process.argv[2];
let count: () => Promise<number>;
let rows: (q: string) => Promise<unknown[]> = async () => [];
let otlpPort: number;
let close = async () => {};

if (variant === 'payscope') {
  // The parent removes this directory after the process exits (removing it while the engine runs races it).
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'payscope-bench-'));
  console.log(`dir ${dir}`);
  const config = { ...loadConfig({ ...process.env, PAYSCOPE_DATA_DIR: dir, CLICKHOUSE_URL: '' }), host: '127.0.0.1' };
  const server = await startServer({ config, dashboard: false, ports: { dashboard: null, otlpHttp: 0, grpc: null }, log: process.env.PAYSCOPE_INGEST_DEBUG === '1' ? (l) => console.error(l) : () => {} });
  otlpPort = server.ports.otlpHttp!;
  close = () => server.close();
  count = async () => Number((await server.store.query<{ n: string }>(sql`SELECT count() AS n FROM otel_traces`))[0].n);
  rows = (q) => server.store.query(q === '/events'
    ? sql`SELECT event, value FROM system.events`
    : sql`SELECT table, count() AS parts, sum(rows) AS rows, sum(bytes_on_disk) AS bytes FROM system.parts WHERE active AND database = currentDatabase() GROUP BY table ORDER BY table`);
} else if (variant === 'null-sink') {
  const srv = http.createServer((req, res) => {
    req.on('data', () => {});
    req.on('end', () => { res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': '0' }); res.end(); });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  otlpPort = (srv.address() as AddressInfo).port;
  count = async () => 0;
} else {
  throw new Error(`unknown variant ${variant}`);
}

const control = http.createServer(async (req, res) => {
  res.end(JSON.stringify(req.url === '/count' ? { count: await count() } : await rows(req.url ?? '')));
});
await new Promise<void>((r) => control.listen(0, '127.0.0.1', r));
console.log(`ready ${otlpPort} ${(control.address() as AddressInfo).port}`);
process.on('SIGTERM', () => void close().finally(() => process.exit(0)));
