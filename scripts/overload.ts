/**
 * Overload: many exporters offer far more spans than payscope can store, for a while. payscope must
 * answer 429/503 with Retry-After instead of queueing without bound, keep its memory bounded, never
 * crash; and with the official OTLP exporter's retries, every export reported as successful must be
 * stored exactly once.
 *
 *   node --import tsx scripts/overload.ts [--seconds 180] [--exporters 24]
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { loadConfig } from '../lib/config';
import { openStore } from '../lib/store/store';
import { sql } from '../lib/store/sql';

const root = path.resolve(import.meta.dirname, '..');

export interface OverloadResult {
  seconds: number;
  exporters: number;
  offeredSpans: number;
  succeededSpans: number;
  failedSpans: number;
  storedSpans: number;
  refusedRequests: number;
  peakRssMb: number;
  serverAlive: boolean;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

/**
 * Batches of 512 spans with fresh ids every time (so stored spans can be counted), made from one set
 * of real SDK spans with new span contexts: cheap enough to offer far more than payscope can store.
 */
function batchMaker() {
  const sink = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'overload' }), spanProcessors: [new SimpleSpanProcessor(sink)] });
  const tracer = provider.getTracer('overload');
  for (let i = 0; i < 512; i++) tracer.startSpan('POST /pay', { attributes: { 'payment.order_id': `ord-${i}`, 'payment.channel': 'card', 'http.response.status_code': 200 } }).end();
  const template = sink.getFinishedSpans();
  return (): ReadableSpan[] => {
    const traceId = crypto.randomBytes(16).toString('hex');
    return template.map((span) => {
      const ctx = { ...span.spanContext(), traceId, spanId: crypto.randomBytes(8).toString('hex') };
      return Object.assign(Object.create(span), { spanContext: () => ctx }) as ReadableSpan;
    });
  };
}

export async function runOverload(opts: { seconds: number; exporters: number; log?: (l: string) => void }): Promise<OverloadResult> {
  const log = opts.log ?? (() => {});
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'payscope-overload-'));
  const port = await freePort();
  // A small queue and one insert at a time make "well above capacity" reachable from one machine.
  const server = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts', '--no-dashboard'], {
    cwd: root,
    env: { ...process.env, PAYSCOPE_DATA_DIR: dataDir, CLICKHOUSE_URL: '', HOST: '127.0.0.1', PAYSCOPE_OTLP_HTTP_PORT: String(port), PAYSCOPE_OTLP_GRPC_PORT: '0', PAYSCOPE_MAX_QUEUE_BYTES: String(2 << 20), PAYSCOPE_INSERT_CONCURRENCY: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  server.stdout!.on('data', (d) => (out += d));
  server.stderr!.on('data', (d) => (out += d));
  let alive = true;
  server.on('exit', () => (alive = false));
  try {
    for (let i = 0; i < 300 && !out.includes('OTLP/HTTP listening'); i++) await new Promise((r) => setTimeout(r, 100));
    if (!out.includes('OTLP/HTTP listening')) throw new Error(`payscope did not start:\n${out}`);
    let peakRss = rssMb(server.pid!);
    const sampler = setInterval(() => { if (alive) peakRss = Math.max(peakRss, rssMb(server.pid!)); }, 250);
    let offered = 0, succeeded = 0, failed = 0;
    const deadline = Date.now() + opts.seconds * 1000;
    await Promise.all(Array.from({ length: opts.exporters }, async () => {
      const exporter = new OTLPTraceExporter({ url: `http://127.0.0.1:${port}/v1/traces`, timeoutMillis: 30_000 });
      const make = batchMaker();
      while (Date.now() < deadline) {
        const spans = make();
        offered += spans.length;
        const code = await new Promise<number>((r) => exporter.export(spans, (res) => r(res.code)));
        if (code === ExportResultCode.SUCCESS) succeeded += spans.length;
        else failed += spans.length;
      }
      await exporter.shutdown();
    }));
    clearInterval(sampler);
    const stats = await (await fetch(`http://127.0.0.1:${port}/health`)).json() as { ingest: { refusedOverloaded: number } };
    log(`offered ${offered} spans, ${succeeded} acknowledged, ${failed} failed after retries, ${stats.ingest.refusedOverloaded} requests refused (429/503), peak RSS ${peakRss.toFixed(0)} MB`);
    const serverAlive = alive;
    const exited = new Promise((r) => server.once('exit', r));
    server.kill('SIGTERM');
    await exited;
    const store = await openStore(loadConfig({ ...process.env, PAYSCOPE_DATA_DIR: dataDir, CLICKHOUSE_URL: '' }));
    const [{ n }] = await store.query<{ n: string }>(sql`SELECT count() AS n FROM otel_traces WHERE ServiceName = 'overload'`);
    await store.close();
    return { seconds: opts.seconds, exporters: opts.exporters, offeredSpans: offered, succeededSpans: succeeded, failedSpans: failed, storedSpans: Number(n), refusedRequests: stats.ingest.refusedOverloaded, peakRssMb: peakRss, serverAlive };
  } finally {
    if (alive) server.kill('SIGKILL');
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  if (args.includes('--help')) {
    console.log('Usage: node --import tsx scripts/overload.ts [--seconds 180] [--exporters 24]\nOffer far more spans than payscope can store; report refusals, memory, and acknowledged vs stored spans.');
    process.exit(0);
  }
  const num = (flag: string, d: number) => (args.includes(flag) ? Number(args[args.indexOf(flag) + 1]) : d);
  const r = await runOverload({ seconds: num('--seconds', 180), exporters: num('--exporters', 24), log: (l) => console.log(l) });
  console.log(JSON.stringify(r, null, 2));
  process.exitCode = r.serverAlive && r.storedSpans === r.succeededSpans ? 0 : 1;
}
