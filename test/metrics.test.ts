import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { Metadata } from '@grpc/grpc-js';
import * as grpc from '@grpc/grpc-js';
import { sql } from '../lib/store/sql';
import { IngestPipeline } from '../lib/ingest/pipeline';
import { decodeTraceRequestProtobuf, SPAN_COLUMNS } from '../lib/ingest/otlp';
import { StoreUnavailableError, type Store } from '../lib/store/store';
import { PayscopeMetrics } from '../lib/metrics';
import { handleOtlpTraces } from '../lib/ingest/otlp-http';
import { createOtlpGrpcServer, listenGrpc } from '../lib/ingest/otlp-grpc';
import { dashboardHandler } from '../server/payscope-server';
import { startTestServer } from './helpers/server';
import { jsonRequest, makeSpans, protobufRequest } from './helpers/spans';

/**
 * GET /metrics after real OTLP traffic: spans sent by the real OpenTelemetry exporters (HTTP and
 * gRPC) and requests refused for each reason, counted exactly; the text parsed as Prometheus would.
 */

const INGEST = 'ingest-t0ken';
const API = 'api-t0ken';
let server: Awaited<ReturnType<typeof startTestServer>>;
beforeAll(async () => { server = await startTestServer({ ingestToken: INGEST, apiToken: API, maxBodyBytes: 64 * 1024 }); });
afterAll(async () => server?.stop());

type Samples = Map<string, number>;

/** Parses the text exposition format: `name{a="x",b="y"} value` lines, keyed with labels sorted. */
function parse(text: string): Samples {
  const out: Samples = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not an exposition line: ${line}`);
    const labels = [...(m[2] ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)].map(([, k, v]) => `${k}=${v}`).sort();
    out.set(key(m[1], labels), Number(m[3]));
  }
  return out;
}

function key(name: string, labels: string[] | Record<string, string> = []): string {
  const l = Array.isArray(labels) ? labels : Object.entries(labels).map(([k, v]) => `${k}=${v}`).sort();
  return `${name}{${l.join(',')}}`;
}

const value = (s: Samples, name: string, labels: Record<string, string> = {}) => s.get(key(name, labels)) ?? 0;

async function scrape(port: number, token: string): Promise<Samples> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  return parse(await res.text());
}

async function send(exporter: SpanExporter, n: number, service: string): Promise<void> {
  const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': service }), spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracer = provider.getTracer('payscope-metrics-test');
  for (let i = 0; i < n; i++) tracer.startSpan(`op ${i}`).end();
  await provider.forceFlush();
  await provider.shutdown();
}

function post(body: Buffer | string, headers: Record<string, string>): Promise<Response> {
  return fetch(`http://127.0.0.1:${server.ports.otlpHttp}/v1/traces`, { method: 'POST', body: typeof body === 'string' ? body : new Uint8Array(body), headers });
}

const withToken = { authorization: `Bearer ${INGEST}` };

/** One raw OTLP/gRPC Export call; resolves with its status code. */
function grpcExport(port: number, body: Buffer, metadata: Metadata): Promise<number> {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return new Promise((resolve) => {
    client.makeUnaryRequest('/opentelemetry.proto.collector.trace.v1.TraceService/Export', (b: Buffer) => b, (b: Buffer) => b, body, metadata,
      (err) => { client.close(); resolve(err ? err.code : 0); });
  });
}

describe('GET /metrics on the OTLP port', () => {
  it('counts what the receivers accepted and refused, by transport and reason, and what was stored', async () => {
    await send(new ProtoExporter({ url: `http://127.0.0.1:${server.ports.otlpHttp}/v1/traces`, headers: withToken }), 7, 'metrics-http');
    const md = new Metadata();
    md.set('authorization', `Bearer ${INGEST}`);
    await send(new GrpcExporter({ url: `http://127.0.0.1:${server.ports.grpc}`, metadata: md }), 5, 'metrics-grpc');

    // Partial success: 3 spans, one of them with an all-zero span id (invalid).
    const json = JSON.parse(jsonRequest(await makeSpans(3, 'metrics-partial')).toString());
    json.resourceSpans[0].scopeSpans[0].spans[0].spanId = '0000000000000000';
    const partial = await post(JSON.stringify(json), { 'content-type': 'application/json', ...withToken });
    expect(partial.status).toBe(200);
    expect((await partial.json()).partialSuccess.rejectedSpans).toBe('1');

    const body = protobufRequest(await makeSpans(2));
    expect((await post(body, { 'content-type': 'application/x-protobuf' })).status).toBe(401);
    expect((await post(Buffer.from('not protobuf at all'), { 'content-type': 'application/x-protobuf', ...withToken })).status).toBe(400);
    expect((await post(Buffer.alloc(65 * 1024), { 'content-type': 'application/x-protobuf', ...withToken })).status).toBe(413);
    expect((await post(body, { 'content-type': 'text/plain', ...withToken })).status).toBe(415);
    expect(await grpcExport(server.ports.grpc!, body, new Metadata())).toBe(grpc.status.UNAUTHENTICATED);

    const m = await scrape(server.ports.otlpHttp!, INGEST);
    const r = { receiver: 'otlp' };
    expect(value(m, 'otelcol_receiver_accepted_spans_total', { ...r, transport: 'http' })).toBe(7 + 2);
    expect(value(m, 'otelcol_receiver_accepted_spans_total', { ...r, transport: 'grpc' })).toBe(5);
    expect(value(m, 'otelcol_receiver_refused_spans_total', { ...r, transport: 'http', reason: 'invalid' })).toBe(1);
    const refusedRequests = (transport: string, reason: string) => value(m, 'payscope_receiver_refused_requests_total', { ...r, transport, reason });
    expect(refusedRequests('http', 'unauthenticated')).toBe(1);
    expect(refusedRequests('http', 'invalid')).toBe(1);
    expect(refusedRequests('http', 'too_large')).toBe(1);
    expect(refusedRequests('http', 'unsupported')).toBe(1);
    expect(refusedRequests('grpc', 'unauthenticated')).toBe(1);
    const allRefused = [...m].filter(([k]) => k.startsWith('payscope_receiver_refused_requests_total{')).reduce((n, [, v]) => n + v, 0);
    expect(allRefused).toBe(5);

    const stored = Number((await server.store.query<{ n: string }>(sql`SELECT count() AS n FROM otel_traces`))[0].n);
    expect(stored).toBe(14);
    expect(value(m, 'otelcol_exporter_sent_spans_total', { exporter: 'clickhouse' })).toBe(stored);
    expect(value(m, 'payscope_store_insert_duration_seconds_count')).toBe(server.pipeline.stats().batches);
    expect(value(m, 'payscope_store_up')).toBe(1);
    expect(value(m, 'payscope_ingest_queue_bytes')).toBe(0);
    expect(value(m, 'payscope_ingest_dead_letter_batches')).toBe(0);
    expect(m.has(key('payscope_alert_evaluations_total'))).toBe(true);
    expect(value(m, 'payscope_alert_evaluations_total')).toBe(0);
  });

  it('times each store query', async () => {
    const before = value(await scrape(server.ports.otlpHttp!, API), 'payscope_query_duration_seconds_count');
    await server.store.query(sql`SELECT 1`);
    await server.store.query(sql`SELECT 2`);
    expect(value(await scrape(server.ports.otlpHttp!, API), 'payscope_query_duration_seconds_count')).toBe(before + 2);
  });

  it('needs the API token or the ingest token', async () => {
    for (const headers of [{}, { authorization: 'Bearer wrong' }] as Record<string, string>[]) {
      const res = await fetch(`http://127.0.0.1:${server.ports.otlpHttp}/metrics`, { headers });
      expect(res.status).toBe(401);
      expect(await res.text()).not.toMatch(/otelcol/);
    }
  });
});

describe('GET /metrics on the dashboard port', () => {
  it('needs the API token (the ingest token is not enough), and never reaches Next.js', async () => {
    let nextCalls = 0;
    const handler = dashboardHandler(server.config, () => {}, server.metrics, (_req, res) => { nextCalls++; res.writeHead(404).end(); });
    const dash = http.createServer(handler);
    await new Promise<void>((r) => dash.listen(0, '127.0.0.1', r));
    const port = (dash.address() as { port: number }).port;
    try {
      expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(401);
      expect((await fetch(`http://127.0.0.1:${port}/metrics`, { headers: withToken })).status).toBe(401);
      const m = await scrape(port, API);
      expect(value(m, 'otelcol_receiver_accepted_spans_total', { receiver: 'otlp', transport: 'grpc' })).toBe(5);
      expect(nextCalls).toBe(0);
    } finally {
      await new Promise<void>((r) => dash.close(() => r()));
    }
  });
});

describe('ingest metrics while the store is down', () => {
  it('counts spans acknowledged from the spool and requests refused while the queue is full, then what is stored once the store is back', async () => {
    const req = decodeTraceRequestProtobuf(protobufRequest(await makeSpans(4, 'metrics-spooled')));
    const metrics: PayscopeMetrics = new PayscopeMetrics(() => pipeline.stats());
    // The real store, refusing inserts as unreachable while `down` is set.
    const flaky = Object.create(server.store) as Store & { down: boolean };
    flaky.down = true;
    flaky.insertRowBinaryFile = (...args) => (flaky.down ? Promise.reject(new StoreUnavailableError('ClickHouse unavailable: connection refused')) : server.store.insertRowBinaryFile(...args));
    const pipeline: IngestPipeline = new IngestPipeline(flaky, {
      table: 'otel_traces', columns: SPAN_COLUMNS, spoolDir: path.join(server.config.spoolDir, '..', 'spool-metrics'), batchMaxBytes: 1 << 20,
      maxQueueBytes: 64 << 20, maxSpoolBytes: 64 << 20, fsync: false, insertConcurrency: 1, batchMinBytes: 0, batchWaitMs: 0, log: () => {}, observer: metrics,
    });
    await pipeline.start();
    await pipeline.submit(req.rows, req.accepted);
    await pipeline.submit(req.rows, req.accepted);
    let m = parse(await metrics.text());
    expect(value(m, 'payscope_ingest_spooled_spans_total')).toBe(8);
    expect(value(m, 'payscope_store_up')).toBe(0);
    expect(value(m, 'payscope_ingest_spool_bytes')).toBe(2 * req.rows.length);
    expect(value(m, 'otelcol_exporter_sent_spans_total', { exporter: 'clickhouse' })).toBe(0);

    // A 64 MiB body being read fills the queue: both receivers refuse before reading the request.
    // (Held bytes rather than queued batches: a batch whose insert is being retried leaves the
    // queue meanwhile, and the test would race the retry timer.)
    pipeline.holdBytes(64 << 20);
    const receiver = http.createServer((rq, rs) => void handleOtlpTraces(rq, rs, { pipeline, maxBodyBytes: 1 << 20, metrics }));
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const grpcServer = createOtlpGrpcServer({ pipeline, maxBodyBytes: 1 << 20, metrics });
    const grpcPort = await listenGrpc(grpcServer, '127.0.0.1', 0);
    try {
      const res = await fetch(`http://127.0.0.1:${(receiver.address() as { port: number }).port}/v1/traces`, {
        method: 'POST', body: new Uint8Array(protobufRequest(await makeSpans(2))), headers: { 'content-type': 'application/x-protobuf' },
      });
      expect(res.status).toBe(429);
      expect(await grpcExport(grpcPort, protobufRequest(await makeSpans(2)), new Metadata())).toBe(grpc.status.UNAVAILABLE);
    } finally {
      pipeline.holdBytes(-(64 << 20));
      await new Promise<void>((r) => receiver.close(() => r()));
      await new Promise<void>((r) => grpcServer.tryShutdown(() => r()));
    }
    m = parse(await metrics.text());
    for (const transport of ['http', 'grpc']) {
      expect(value(m, 'payscope_receiver_refused_requests_total', { receiver: 'otlp', transport, reason: 'overload' })).toBe(1);
    }

    flaky.down = false;
    while (!pipeline.stats().storeUp || pipeline.stats().spoolFiles > 0) await new Promise((r) => setTimeout(r, 20));
    await pipeline.flush();
    m = parse(await metrics.text());
    expect(value(m, 'payscope_store_up')).toBe(1);
    expect(value(m, 'payscope_ingest_spool_bytes')).toBe(0);
    expect(value(m, 'otelcol_exporter_sent_spans_total', { exporter: 'clickhouse' })).toBe(8);
    await pipeline.close();
  });
});
