/**
 * A 20,000-span parent→child chain made by the real OpenTelemetry SDK, exported over OTLP/HTTP to a
 * real payscope and read back through the API route handlers: the trace view and the hops (whose
 * critical-path sample includes the trace) answer 200 with the right critical path, not a stack
 * overflow.
 */
import { context, SpanKind, trace, type HrTime } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type Span } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as hopsRoute from '../../app/api/hops/route';
import * as traceRoute from '../../app/api/traces/[traceId]/route';
import { startTestServer } from '../../test/helpers/server';
import { sql } from '../store/sql';
import { setStore } from '../store/store';
import { HopsResponse, TraceResponse } from './schemas';

const N = 20_000;
let server: Awaited<ReturnType<typeof startTestServer>>;
let traceId: string;
let spanIds: string[];
const T0 = Math.floor(Date.now() / 1000) - 120;
const at = (ms: number): HrTime => [T0 + Math.floor(ms / 1000), (ms % 1000) * 1_000_000];

beforeAll(async () => {
  server = await startTestServer();
  setStore(server.store);
  // Two services taking turns: span i is a SERVER span (even i) or a CLIENT span (odd i) of service
  // `a` or `b`, so each client→server pair is a hop between them. Span i runs from i ms to 2N - i ms.
  const providers = ['a', 'b'].map((service) => new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `http://127.0.0.1:${server.ports.otlpHttp}/v1/traces` }), { maxQueueSize: N, maxExportBatchSize: 2000 })],
  }));
  const spans: Span[] = [];
  let parent = context.active();
  for (let i = 0; i < N; i++) {
    const tracer = providers[(i >> 1) % 2].getTracer('deep-chain');
    const span = tracer.startSpan(`op ${i}`, { kind: i % 2 ? SpanKind.CLIENT : SpanKind.SERVER, startTime: at(i) }, parent) as Span;
    spans.push(span);
    parent = trace.setSpan(context.active(), span);
  }
  for (let i = N - 1; i >= 0; i--) spans[i].end(at(2 * N - i));
  for (const p of providers) await p.shutdown();
  traceId = spans[0].spanContext().traceId;
  spanIds = spans.map((s) => s.spanContext().spanId);
  const [{ n }] = await server.store.query<{ n: string }>(sql`SELECT count() AS n FROM otel_traces WHERE TraceId = ${traceId}`);
  expect(Number(n)).toBe(N);
}, 120_000);
afterAll(async () => {
  setStore(undefined);
  await server?.stop();
});

describe(`a ${N}-span chain through the API`, () => {
  it('GET /api/traces/{traceId}: 200, every span on the critical path in depth order', async () => {
    const res = await traceRoute.GET(new Request('http://payscope.test/x'), { params: Promise.resolve({ traceId }) });
    const body = await res.json();
    expect(res.status, JSON.stringify(body).slice(0, 300)).toBe(200);
    const b = TraceResponse.parse(body);
    expect(b.spans.length).toBe(N);
    expect(b.criticalPath).toEqual(spanIds);
    expect(b.criticalPathSegments.length).toBe(2 * N - 1);
  });

  it('GET /api/hops: 200, the a→b and b→a hops, the sample holding the deep trace', async () => {
    const from = (T0 - 60) * 1000;
    const res = await hopsRoute.GET(new Request(`http://payscope.test/api/hops?from=${from}&to=${Date.now() + 60_000}`));
    const body = await res.json();
    expect(res.status, JSON.stringify(body).slice(0, 300)).toBe(200);
    const b = HopsResponse.parse(body);
    expect(b.criticalPathTraces).toBe(1);
    // Client 2k+1 (service a for even k, b for odd k) calls server 2k+2 of the other service; the last
    // client (k = N/2 - 1, odd) has no server: b→a is one call short.
    expect(b.hops.map((h) => `${h.from}→${h.to} ${h.calls}`).sort()).toEqual([`a→b ${N / 4}`, `b→a ${N / 4 - 1}`]);
    // Of the path's 2N ms, each call is blamed for its client's 2 ms and its server's 2 ms; the last
    // client's 2 ms go to the a→b call above it, the root's 2 ms to no hop.
    const share = Object.fromEntries(b.hops.map((h) => [`${h.from}→${h.to}`, h.criticalPathShare]));
    expect(share['a→b']).toBeCloseTo(((N / 4) * 4 + 2) / (2 * N), 9);
    expect(share['b→a']).toBeCloseTo(((N / 4 - 1) * 4) / (2 * N), 9);
  });
});
