/**
 * What unauthenticated, idle and slow clients can hold of a real payscope process (started as
 * `npm start -- --no-dashboard` with an ingest token, default limits otherwise):
 *
 *   node --import tsx scripts/client-limits.ts [--connections 5000] [--grpc-seconds 20]
 *
 *   1. half-open: that many TCP connections to OTLP/HTTP that never send a byte — how many payscope
 *      closes, and when the last one went
 *   2. a body trickled at one byte per 5 s, without and with the token — how long the connection lasts
 *   3. four unauthenticated OTLP/gRPC clients sending 32 MiB messages back to back — payscope's RSS
 * Results in docs/reliability.md.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { freePort, rssMb, startPayscopeProcess } from '../test/helpers/payscope-process';

const HELP = 'Usage: node --import tsx scripts/client-limits.ts [--connections N (5000)] [--grpc-seconds S (20)]';
const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h')) {
  console.log(HELP);
  process.exit(0);
}
const arg = (name: string, fallback: number) => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const CONNECTIONS = arg('--connections', 5000);
const GRPC_SECONDS = arg('--grpc-seconds', 20);
const TOKEN = 'client-limits-token';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'payscope-limits-'));
const grpcPort = await freePort();
const server = await startPayscopeProcess(dataDir, { env: { PAYSCOPE_INGEST_TOKEN: TOKEN, PAYSCOPE_OTLP_GRPC_PORT: String(grpcPort) } });
const pid = server.child.pid!;
console.log(`payscope pid ${pid}, OTLP/HTTP :${server.port}, gRPC :${grpcPort}, RSS ${rssMb(pid).toFixed(0)} MB`);

try {
  // 1. half-open connections
  {
    const t0 = Date.now();
    const closedAt: number[] = [];
    const sockets: net.Socket[] = [];
    for (let i = 0; i < CONNECTIONS; i++) {
      const s = net.connect(server.port, '127.0.0.1');
      s.on('error', () => {});
      s.on('close', () => closedAt.push(Date.now() - t0));
      s.resume();
      sockets.push(s);
      if (i % 200 === 199) await sleep(10);
    }
    for (let i = 0; i < 600 && closedAt.length < CONNECTIONS; i++) await sleep(100);
    const sorted = [...closedAt].sort((a, b) => a - b);
    const early = sorted.filter((ms) => ms < 2000).length;
    console.log(`half-open: ${CONNECTIONS} connections, ${closedAt.length} closed by payscope (${early} within 2 s), last after ${((sorted.at(-1) ?? 0) / 1000).toFixed(1)} s; RSS ${rssMb(pid).toFixed(0)} MB`);
    for (const s of sockets) s.destroy();
  }

  // 2. a body trickled at one byte per 5 s
  for (const withToken of [false, true]) {
    const t0 = Date.now();
    const s = net.connect(server.port, '127.0.0.1');
    let answer = '';
    s.on('data', (d) => (answer ||= d.toString('latin1').split('\r\n')[0]));
    s.on('error', () => {});
    const closed = new Promise<void>((r) => s.once('close', () => r()));
    s.write(`POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Length: 1000\r\n${withToken ? `Authorization: Bearer ${TOKEN}\r\n` : ''}\r\n`);
    let open = true;
    void closed.then(() => (open = false));
    while (open && Date.now() - t0 < 400_000) {
      s.write('x');
      await Promise.race([closed, sleep(5000)]);
    }
    console.log(`trickle ${withToken ? 'with' : 'without'} the token: ${answer || 'no answer'}, connection held ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    s.destroy();
  }

  // 3. unauthenticated gRPC clients with 32 MiB messages
  {
    const before = rssMb(pid);
    let peak = before;
    const message = Buffer.alloc(32 * 1024 * 1024 - 1024, 0x0a);
    const codes = new Map<number, number>();
    const deadline = Date.now() + GRPC_SECONDS * 1000;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 200);
    await Promise.all(Array.from({ length: 4 }, async () => {
      const client = new grpc.Client(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure());
      while (Date.now() < deadline) {
        const code = await new Promise<number>((resolve) => client.makeUnaryRequest('/opentelemetry.proto.collector.trace.v1.TraceService/Export',
          (b: Buffer) => b, (b: Buffer) => b, message, new grpc.Metadata(), (err) => resolve(err ? err.code : 0)));
        codes.set(code, (codes.get(code) ?? 0) + 1);
      }
      client.close();
    }));
    clearInterval(sampler);
    const named = [...codes].map(([c, n]) => `${n} × ${grpc.status[c]}`).join(', ');
    console.log(`gRPC: 4 unauthenticated clients, 32 MiB messages for ${GRPC_SECONDS} s: ${named}; RSS ${before.toFixed(0)} MB before, peak ${peak.toFixed(0)} MB`);
  }
} finally {
  await server.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
