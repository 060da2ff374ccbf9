import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { context, SpanKind, SpanStatusCode, trace, type HrTime } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { sql } from '../lib/store/sql';
import { startTestServer } from './helpers/server';

/**
 * Spans made by the real OpenTelemetry SDK, sent by each official exporter (OTLP/HTTP protobuf,
 * OTLP/HTTP JSON, OTLP/gRPC) to a real payscope, read back from ClickHouse field for field.
 */

let server: Awaited<ReturnType<typeof startTestServer>>;
beforeAll(async () => { server = await startTestServer(); });
afterAll(async () => server?.stop());

// A minute ago, in seconds (inside retention); start times carry odd nanoseconds to prove precision.
const T0 = Math.floor(Date.now() / 1000) - 60;
const hr = (sec: number, ns: number): HrTime => [sec, ns];
const ns = (t: HrTime) => BigInt(t[0]) * 1_000_000_000n + BigInt(t[1]);

interface Made { traceId: string; rootId: string; childId: string; linkedTrace: string; linkedSpan: string }

/** One parent (server) and one child (client) span with every kind of field, sent through `exporter`. */
async function sendSpans(exporter: SpanExporter, label: string): Promise<Made> {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': `checkout-${label}`, 'deployment.environment.name': 'test', 'host.cpu.count': 2 }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('payscope-roundtrip', '1.2.3');
  const linked = tracer.startSpan('linked', {}, context.active());
  linked.end();
  const root = tracer.startSpan(`POST /checkout ${label}`, {
    kind: SpanKind.SERVER,
    startTime: hr(T0, 123_456_789),
    attributes: {
      'payment.order_id': `ord-${label}`,
      'payment.channel': 'card',
      'http.response.status_code': 502,
      'payment.amount': 12.5,
      'retry': true,
      'tags': ['a', 'b'],
      'codes': [1, 2, 3],
    },
  });
  root.addEvent('order.validated', { 'items': 3, 'note': 'ok' }, hr(T0, 223_456_789));
  root.addEvent('exception', { 'exception.type': 'GatewayError', 'exception.message': 'upstream 502' }, hr(T0 + 1, 1));
  const child = tracer.startSpan('POST api.stripe.com', {
    kind: SpanKind.CLIENT,
    startTime: hr(T0, 300_000_001),
    attributes: { 'server.address': 'api.stripe.com', 'payment.gateway': 'stripe' },
    links: [{ context: linked.spanContext(), attributes: { 'link.reason': 'retry-of' } }],
  }, trace.setSpan(context.active(), root));
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'card_declined' });
  child.end(hr(T0 + 1, 100_000_002));
  root.setStatus({ code: SpanStatusCode.OK });
  root.end(hr(T0 + 2, 5));
  await provider.forceFlush();
  await provider.shutdown();
  return {
    traceId: root.spanContext().traceId,
    rootId: root.spanContext().spanId,
    childId: child.spanContext().spanId,
    linkedTrace: linked.spanContext().traceId,
    linkedSpan: linked.spanContext().spanId,
  };
}

async function readSpans(traceId: string) {
  return server.store.query<Record<string, unknown>>(sql`
    SELECT toString(toUnixTimestamp64Nano(Timestamp)) AS startNs, TraceId, SpanId, ParentSpanId, TraceState, SpanName, SpanKind,
           ServiceName, ResourceAttributes, ScopeName, ScopeVersion, SpanAttributes, toString(Duration) AS Duration,
           StatusCode, StatusMessage, arrayMap(t -> toString(toUnixTimestamp64Nano(t)), Events.Timestamp) AS eventTimes,
           Events.Name AS eventNames, Events.Attributes AS eventAttrs,
           Links.TraceId AS linkTraces, Links.SpanId AS linkSpans, Links.TraceState AS linkStates, Links.Attributes AS linkAttrs,
           PaymentOrderId, PaymentGateway, IsError
    FROM otel_traces WHERE TraceId = ${traceId} ORDER BY Timestamp`);
}

const exporters: [string, (url: string) => SpanExporter][] = [
  ['proto', (base) => new ProtoExporter({ url: `${base}/v1/traces` })],
  ['json', (base) => new JsonExporter({ url: `${base}/v1/traces` })],
  ['grpc', () => new GrpcExporter({ url: `http://127.0.0.1:${server.ports.grpc}` })],
];

describe.each(exporters)('OTLP round trip through the official %s exporter', (label, make) => {
  it('stores every field of every span exactly', async () => {
    const m = await sendSpans(make(`http://127.0.0.1:${server.ports.otlpHttp}`), label);
    const rows = await readSpans(m.traceId);
    expect(rows).toHaveLength(2);
    const [root, child] = rows;
    expect(root).toMatchObject({
      startNs: String(ns(hr(T0, 123_456_789))),
      TraceId: m.traceId,
      SpanId: m.rootId,
      ParentSpanId: '',
      TraceState: '',
      SpanName: `POST /checkout ${label}`,
      SpanKind: 'Server',
      ServiceName: `checkout-${label}`,
      ScopeName: 'payscope-roundtrip',
      ScopeVersion: '1.2.3',
      Duration: String(ns(hr(T0 + 2, 5)) - ns(hr(T0, 123_456_789))),
      StatusCode: 'Ok',
      StatusMessage: '',
      SpanAttributes: {
        'payment.order_id': `ord-${label}`,
        'payment.channel': 'card',
        'http.response.status_code': '502',
        'payment.amount': '12.5',
        'retry': 'true',
        'tags': '["a","b"]',
        'codes': '[1,2,3]',
      },
      eventTimes: [String(ns(hr(T0, 223_456_789))), String(ns(hr(T0 + 1, 1)))],
      eventNames: ['order.validated', 'exception'],
      eventAttrs: [{ items: '3', note: 'ok' }, { 'exception.type': 'GatewayError', 'exception.message': 'upstream 502' }],
      linkTraces: [],
      PaymentOrderId: `ord-${label}`,
      IsError: 0,
    });
    expect(root.ResourceAttributes).toEqual({
      'service.name': `checkout-${label}`,
      'deployment.environment.name': 'test',
      'host.cpu.count': '2',
    });
    expect(child.ResourceAttributes).toEqual(root.ResourceAttributes);
    expect(child).toMatchObject({
      startNs: String(ns(hr(T0, 300_000_001))),
      TraceId: m.traceId,
      SpanId: m.childId,
      ParentSpanId: m.rootId,
      SpanKind: 'Client',
      Duration: String(ns(hr(T0 + 1, 100_000_002)) - ns(hr(T0, 300_000_001))),
      StatusCode: 'Error',
      StatusMessage: 'card_declined',
      SpanAttributes: { 'server.address': 'api.stripe.com', 'payment.gateway': 'stripe' },
      linkTraces: [m.linkedTrace],
      linkSpans: [m.linkedSpan],
      linkStates: [''],
      linkAttrs: [{ 'link.reason': 'retry-of' }],
      PaymentGateway: 'stripe',
      IsError: 1,
    });
  });
});
