/**
 * Overload: a fleet of services offers payscope several times more spans than it can store, for
 * minutes. payscope must answer 429/503 with Retry-After instead of queueing without bound, keep its
 * memory bounded and never crash; every export the exporters report as successful must be stored,
 * exactly once; and once the load stops, the exporters' retries deliver what they still hold.
 *
 *   node --import tsx scripts/overload.ts [--seconds 180] [--rate 250000] [--services 64] ...
 *
 * Each emulated service is what the OpenTelemetry SDK does in a service: spans go into a bounded
 * queue (the BatchSpanProcessor's maxQueueSize, 2048; spans that do not fit are dropped, as the SDK
 * drops them), and one export of up to 512 spans at a time goes out through the official OTLP/HTTP
 * exporter machinery: `OTLPExporterBase` over `createOtlpHttpExportDelegate`, i.e. the same
 * transport, timeout and retry policy (5 attempts, Retry-After honoured) as `OTLPTraceExporter`.
 * Only the serializer differs: it stamps fresh trace and span ids into a request encoded once by the
 * SDK's own protobuf serializer, so one process on a shared 2-core machine can offer several times
 * what payscope stores. A few services (`--sdk-services`) are the unmodified thing: tracer →
 * BatchSpanProcessor → OTLPTraceExporter.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPExporterBase } from '@opentelemetry/otlp-exporter-base';
import { convertLegacyHttpOptions, createOtlpHttpExportDelegate } from '@opentelemetry/otlp-exporter-base/node-http';
import { ProtobufTraceSerializer, TraceExporterMetricsHelper } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { loadConfig } from '../lib/config';
import { openStore } from '../lib/store/store';
import { sql } from '../lib/store/sql';
import { rssMb, startPayscopeProcess } from '../test/helpers/payscope-process';

const BATCH = 512; // the BatchSpanProcessor's maxExportBatchSize
const SDK_QUEUE = 2048; // its maxQueueSize

export interface OverloadOptions {
  /** How long the load is offered. */
  seconds: number;
  /** Spans per second offered by the emulated services together. */
  rate: number;
  services: number;
  /** Services that are the real SDK pipeline (tracer → BatchSpanProcessor → OTLPTraceExporter). */
  sdkServices: number;
  /** Spans per second each of those creates. */
  sdkRate: number;
  /** The exporters' timeoutMillis (the OTLP default is 10 s); retries must fit in it. */
  exportTimeoutMs: number;
  /** payscope's PAYSCOPE_MAX_QUEUE_BYTES; undefined = its default. */
  queueBytes?: number;
  /** After the load stops, how long the exporters may take to deliver what they hold. */
  drainSeconds: number;
  log?: (line: string) => void;
}

export const OVERLOAD_DEFAULTS: Omit<OverloadOptions, 'log'> = {
  seconds: 180, rate: 250_000, services: 64, sdkServices: 4, sdkRate: 2_000, exportTimeoutMs: 10_000, drainSeconds: 120,
};

export interface OverloadResult {
  options: Omit<OverloadOptions, 'log'>;
  /** Spans the services produced (emulated + SDK). */
  offeredSpans: number;
  offeredPerSec: number;
  /** Dropped by the services' own bounded queues (the SDK's standard behaviour when its exports lag). */
  droppedBySdkQueue: number;
  /** Exports reported successful by the exporters, in spans. */
  exportedSpans: number;
  /** Exports that failed after every retry, in spans. */
  failedSpans: number;
  /** The emulated exporters' failure messages → exports. */
  failureReasons: Record<string, number>;
  /** Spans of requests whose client gave up before they were stored (left out by payscope). */
  abandonedSpans: number;
  /** Requests payscope refused with 429/503 + Retry-After (each one retried by its exporter). */
  refusedRequests: number;
  storedSpans: number;
  /** Exports reported successful whose spans are not all stored (must be 0). */
  missingExports: number;
  /** Spans stored more than once (a request stored twice). */
  duplicatedSpans: number;
  /** CPU cores used on average during the load phase: payscope, and this load generator. */
  serverCores: number;
  loadGeneratorCores: number;
  /** Stored during the load phase, per second: payscope's throughput while overloaded. */
  storedPerSecUnderLoad: number;
  drainMs: number;
  peakRssMb: number;
  serverAlive: boolean;
}

/** A 512-span OTLP protobuf request from the SDK's serializer, and where its ids sit in it. */
function template(): { bytes: Buffer; traceIdAt: number[]; spanIdAt: number[] } {
  const sink = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'overload', 'service.version': '1.4.2' }), spanProcessors: [new SimpleSpanProcessor(sink)] });
  const tracer = provider.getTracer('overload');
  const stages = ['order.create', 'payment.submit', 'gateway.request', 'gateway.callback', 'order.confirm'];
  for (let i = 0; i < BATCH; i++) {
    tracer.startSpan(i % 5 === 2 ? 'POST' : 'POST /payments', {
      attributes: { 'payment.order_id': `ord-${i}`, 'payment.channel': 'card', 'payment.stage': stages[i % 5], 'http.request.method': 'POST', 'http.response.status_code': 200, 'server.address': 'api.stripe.com' },
    }).end();
  }
  // Marker ids, unique per span, so their offsets in the encoded request can be found.
  const traceMarker = (i: number) => `7e57${i.toString(16).padStart(4, '0')}${'ab'.repeat(12)}`;
  const spanMarker = (i: number) => `5a${i.toString(16).padStart(4, '0')}c0ffee0123`;
  const spans = sink.getFinishedSpans().map((span, i) => {
    const ctx = { ...span.spanContext(), traceId: traceMarker(i), spanId: spanMarker(i) };
    return Object.assign(Object.create(span), { spanContext: () => ctx }) as ReadableSpan;
  });
  const bytes = Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!);
  const find = (hex: string) => {
    const at = bytes.indexOf(Buffer.from(hex, 'hex'));
    if (at < 0 || bytes.indexOf(Buffer.from(hex, 'hex'), at + 1) >= 0) throw new Error(`id ${hex} not found exactly once in the template`);
    return at;
  };
  return { bytes, traceIdAt: spans.map((_, i) => find(traceMarker(i))), spanIdAt: spans.map((_, i) => find(spanMarker(i))) };
}

/**
 * The official exporter with a stamping serializer: `export(items)` sends `items.length` (≤ 512)
 * spans with fresh ids, 8 spans to a trace.
 */
function stampingExporter(url: string, timeoutMillis: number) {
  const t = template();
  const serializer = {
    serializeRequest(items: unknown[]): Uint8Array {
      if (items.length !== BATCH) throw new Error('the stamping serializer sends whole 512-span batches only');
      const bytes = Buffer.from(t.bytes);
      const ids = crypto.randomBytes((BATCH / 8) * 16 + BATCH * 4);
      // The export's first trace id, to check afterwards that an acknowledged export is stored whole.
      (items as ExportItems).firstTraceId = ids.subarray(0, 16).toString('hex');
      for (let i = 0; i < BATCH; i++) {
        ids.copy(bytes, t.traceIdAt[i], (i >> 3) * 16, (i >> 3) * 16 + 16);
        ids.copy(bytes, t.spanIdAt[i], (BATCH / 8) * 16 + i * 4, (BATCH / 8) * 16 + i * 4 + 4);
        bytes.writeUInt32BE(i, t.spanIdAt[i] + 4);
      }
      return bytes;
    },
    deserializeResponse: ProtobufTraceSerializer.deserializeResponse,
  };
  return new OTLPExporterBase<unknown[]>(createOtlpHttpExportDelegate(
    convertLegacyHttpOptions({ url, timeoutMillis }, 'TRACES', 'v1/traces', { 'Content-Type': 'application/x-protobuf' }),
    serializer as never,
    'otlp_http_span_exporter',
    TraceExporterMetricsHelper as never,
    undefined,
  ));
}

/** user + system CPU seconds of a process so far (Linux /proc; clock ticks of 1/100 s). */
function cpuSeconds(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

type ExportItems = unknown[] & { firstTraceId?: string };

const exportOnce = (exporter: { export(items: never, cb: (r: ExportResult) => void): void }, items: unknown[]) =>
  new Promise<ExportResult>((resolve) => exporter.export(items as never, resolve));

/** Counts what an SDK's exporter reports, so the real BatchSpanProcessor's outcome can be checked. */
class CountingExporter implements SpanExporter {
  exported = 0;
  failed = 0;
  constructor(private readonly inner: SpanExporter) {}
  export(spans: ReadableSpan[], cb: (r: ExportResult) => void): void {
    this.inner.export(spans, (r) => {
      if (r.code === ExportResultCode.SUCCESS) this.exported += spans.length;
      else this.failed += spans.length;
      cb(r);
    });
  }
  shutdown() { return this.inner.shutdown(); }
  forceFlush() { return this.inner.forceFlush?.() ?? Promise.resolve(); }
}

export async function runOverload(opts: Partial<OverloadOptions> = {}): Promise<OverloadResult> {
  const given = Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined));
  const o: OverloadOptions = { ...OVERLOAD_DEFAULTS, ...given };
  const log = opts.log ?? (() => {});
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'payscope-overload-'));
  const server = await startPayscopeProcess(dataDir, { env: o.queueBytes ? { PAYSCOPE_MAX_QUEUE_BYTES: String(o.queueBytes) } : {} });
  const url = `http://127.0.0.1:${server.port}/v1/traces`;
  try {
    let peakRss = rssMb(server.child.pid!);
    const sampler = setInterval(() => { if (server.alive()) peakRss = Math.max(peakRss, rssMb(server.child.pid!)); }, 250);

    // Emulated services: a producer fills each queue at rate/services; one export at a time drains it.
    let offered = 0, dropped = 0, exported = 0, failed = 0;
    /** Why exports failed after their retries: message → exports. */
    const failures = new Map<string, number>();
    const exportedFirstTraces: string[] = [];
    let producing = true;
    const queues = new Array<number>(o.services).fill(0);
    const perServicePerTick = o.rate / o.services / 20; // 50 ms ticks
    let carry = 0;
    const producer = setInterval(() => {
      carry += perServicePerTick;
      const add = Math.floor(carry);
      carry -= add;
      for (let s = 0; s < o.services; s++) {
        const room = SDK_QUEUE - queues[s];
        queues[s] += Math.min(room, add);
        dropped += Math.max(0, add - room);
        offered += add;
      }
    }, 50);
    const exporters = Array.from({ length: o.services }, async (_, s) => {
      const exporter = stampingExporter(url, o.exportTimeoutMs);
      while (producing || queues[s] >= BATCH) {
        if (queues[s] < BATCH) { await new Promise((r) => setTimeout(r, 20)); continue; }
        queues[s] -= BATCH;
        const batch: ExportItems = new Array(BATCH).fill(0);
        const r = await exportOnce(exporter, batch);
        if (r.code === ExportResultCode.SUCCESS) {
          exported += BATCH;
          exportedFirstTraces.push(batch.firstTraceId!);
        }
        else {
          const why = r.error?.message ?? String(r.error);
          failures.set(why, (failures.get(why) ?? 0) + 1);
          failed += BATCH;
        }
      }
      await exporter.shutdown();
    });

    // The real SDK pipeline, a few services of it.
    const sdk = Array.from({ length: o.sdkServices }, () => {
      const counting = new CountingExporter(new OTLPTraceExporter({ url, timeoutMillis: o.exportTimeoutMs }));
      const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'overload-sdk' }), spanProcessors: [new BatchSpanProcessor(counting)] });
      return { counting, provider, tracer: provider.getTracer('overload-sdk'), created: 0 };
    });
    const sdkTimer = setInterval(() => {
      for (const svc of sdk) {
        for (let i = 0; i < o.sdkRate / 20; i++) {
          svc.tracer.startSpan('POST /refunds', { attributes: { 'payment.order_id': `ord-${svc.created}`, 'payment.stage': 'refund.request' } }).end();
          svc.created++;
        }
      }
    }, 50);

    const startedAt = Date.now();
    const serverCpu0 = cpuSeconds(server.child.pid!);
    const loadCpu0 = process.cpuUsage();
    const progress = setInterval(() => log(`${Math.round((Date.now() - startedAt) / 1000)} s: offered ${offered}, exported ${exported}, failed ${failed}, dropped by SDK queues ${dropped}, RSS ${rssMb(server.child.pid!).toFixed(0)} MB`), 10_000);
    await new Promise((r) => setTimeout(r, o.seconds * 1000));
    const loadMs = Date.now() - startedAt;
    const serverCores = (cpuSeconds(server.child.pid!) - serverCpu0) / (loadMs / 1000);
    const loadCpu = process.cpuUsage(loadCpu0);
    const loadGeneratorCores = (loadCpu.user + loadCpu.system) / 1e6 / (loadMs / 1000);
    producing = false;
    clearInterval(producer);
    clearInterval(sdkTimer);
    const storedUnderLoad = ((await (await fetch(`http://127.0.0.1:${server.port}/health`)).json()) as { ingest: { storedSpans: number } }).ingest.storedSpans;

    // Drain: the services export what their queues still hold (the exporters retry as they do).
    const drainStart = Date.now();
    // (A failed final export rejects the SDK's shutdown; its spans are counted as failed already.)
    const drained = Promise.all([...exporters, ...sdk.map((svc) => svc.provider.shutdown().catch(() => {}))]);
    const drainLimit = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), o.drainSeconds * 1000).unref());
    if ((await Promise.race([drained, drainLimit])) === 'timeout') log(`exporters still busy after ${o.drainSeconds} s of drain`);
    const drainMs = Date.now() - drainStart;
    clearInterval(progress);
    clearInterval(sampler);

    const stats = (await (await fetch(`http://127.0.0.1:${server.port}/health`)).json()) as { ingest: { refusedOverloaded: number; abandonedSpans: number } };
    const serverAlive = server.alive();
    await server.stop();
    const sdkCreated = sdk.reduce((n, svc) => n + svc.created, 0);
    const sdkExported = sdk.reduce((n, svc) => n + svc.counting.exported, 0);
    const sdkFailed = sdk.reduce((n, svc) => n + svc.counting.failed, 0);
    const store = await openStore(loadConfig({ ...process.env, PAYSCOPE_DATA_DIR: dataDir, CLICKHOUSE_URL: '' }));
    const [{ n, distinct }] = await store.query<{ n: string; distinct: string }>(sql`
      SELECT count() AS n, uniqExact(TraceId, SpanId) AS distinct FROM otel_traces WHERE ServiceName IN ('overload', 'overload-sdk')`);
    // Each acknowledged export's first trace holds 8 of its spans; a batch is stored whole or not at all.
    let missingExports = 0;
    for (let i = 0; i < exportedFirstTraces.length; i += 20_000) {
      const ids = exportedFirstTraces.slice(i, i + 20_000);
      const rows = await store.query<{ TraceId: string; c: string }>(sql`
        SELECT TraceId, count() AS c FROM otel_traces WHERE ServiceName = 'overload' AND TraceId IN ${ids} GROUP BY TraceId`);
      const complete = rows.filter((r) => Number(r.c) >= 8).length;
      missingExports += ids.length - complete;
    }
    await store.close();
    const result: OverloadResult = {
      options: { seconds: o.seconds, rate: o.rate, services: o.services, sdkServices: o.sdkServices, sdkRate: o.sdkRate, exportTimeoutMs: o.exportTimeoutMs, queueBytes: o.queueBytes, drainSeconds: o.drainSeconds },
      offeredSpans: offered + sdkCreated,
      offeredPerSec: Math.round((offered + sdkCreated) / (loadMs / 1000)),
      // The SDK's BatchSpanProcessor drops silently: what it neither exported nor failed, it dropped.
      droppedBySdkQueue: dropped + (sdkCreated - sdkExported - sdkFailed),
      exportedSpans: exported + sdkExported,
      failedSpans: failed + sdkFailed,
      failureReasons: Object.fromEntries(failures),
      abandonedSpans: stats.ingest.abandonedSpans,
      refusedRequests: stats.ingest.refusedOverloaded,
      storedSpans: Number(n),
      duplicatedSpans: Number(n) - Number(distinct),
      missingExports,
      serverCores: Math.round(serverCores * 100) / 100,
      loadGeneratorCores: Math.round(loadGeneratorCores * 100) / 100,
      storedPerSecUnderLoad: Math.round(storedUnderLoad / (loadMs / 1000)),
      drainMs,
      peakRssMb: Math.round(peakRss),
      serverAlive,
    };
    return result;
  } finally {
    if (server.alive()) server.child.kill('SIGKILL');
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

const HELP = `Usage: node --import tsx scripts/overload.ts [options]
Offer payscope far more spans than it can store, then stop and let the exporters drain; report
refusals, memory, CPU, and exported vs stored spans. Exits 1 if payscope died, an export reported
successful is not stored whole, or a span is stored twice.

  --seconds N         how long the load is offered (default ${OVERLOAD_DEFAULTS.seconds})
  --rate N            spans/s offered by the emulated services (default ${OVERLOAD_DEFAULTS.rate})
  --services N        emulated services, one exporter each (default ${OVERLOAD_DEFAULTS.services})
  --sdk-services N    services that are the real SDK pipeline (default ${OVERLOAD_DEFAULTS.sdkServices})
  --sdk-rate N        spans/s each of those creates (default ${OVERLOAD_DEFAULTS.sdkRate})
  --export-timeout MS the exporters' timeoutMillis (default ${OVERLOAD_DEFAULTS.exportTimeoutMs})
  --queue-bytes N     payscope's PAYSCOPE_MAX_QUEUE_BYTES (default: payscope's default)
  --drain N           seconds the exporters get to deliver what they hold (default ${OVERLOAD_DEFAULTS.drainSeconds})
  --json FILE         also write the result as JSON`;

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  if (args.includes('--help')) {
    console.log(HELP);
    process.exit(0);
  }
  const num = (flag: string) => (args.includes(flag) ? Number(args[args.indexOf(flag) + 1]) : undefined);
  const r = await runOverload({
    seconds: num('--seconds'), rate: num('--rate'), services: num('--services'), sdkServices: num('--sdk-services'), sdkRate: num('--sdk-rate'),
    exportTimeoutMs: num('--export-timeout'), queueBytes: num('--queue-bytes'), drainSeconds: num('--drain'),
    log: (l) => console.log(l),
  } as Partial<OverloadOptions>);
  console.table({
    'offered spans': r.offeredSpans, 'offered spans/s': r.offeredPerSec, 'stored spans/s under load': r.storedPerSecUnderLoad,
    'dropped by SDK queues': r.droppedBySdkQueue, 'refused requests (429/503)': r.refusedRequests, 'exported spans': r.exportedSpans,
    'failed after retries': r.failedSpans, 'left out (client gave up)': r.abandonedSpans, 'stored spans': r.storedSpans, 'stored twice': r.duplicatedSpans, 'acknowledged exports missing': r.missingExports, 'drain ms': r.drainMs, 'peak RSS MB': r.peakRssMb, 'payscope CPU cores': r.serverCores, 'load generator CPU cores': r.loadGeneratorCores, 'server alive': r.serverAlive,
  });
  if (r.failedSpans > 0) console.log('failed exports by reason:', r.failureReasons);
  if (args.includes('--json')) fs.writeFileSync(args[args.indexOf('--json') + 1], JSON.stringify(r, null, 2));
  process.exitCode = r.serverAlive && r.missingExports === 0 && r.duplicatedSpans === 0 && r.storedSpans >= r.exportedSpans ? 0 : 1;
}
