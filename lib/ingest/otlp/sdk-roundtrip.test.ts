/**
 * Real OpenTelemetry SDK spans → the official OTLP serializers (protobuf and JSON) → our decoders →
 * RowBinary → an independent RowBinary reader, compared field by field with the ReadableSpans.
 */
import { describe, expect, it } from 'vitest';
import { context, SpanKind, SpanStatusCode, trace, type Attributes, type HrTime } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { decodeTraceRequestJson, decodeTraceRequestProtobuf, SPAN_COLUMNS } from './index';
import { readRows, type Pairs, type SpanRow } from './testing/rowbinary-reader';

// ---------------------------------------------------------------- expected values, computed independently

const KIND = ['Unspecified', 'Internal', 'Server', 'Client', 'Producer', 'Consumer'];
const STATUS = ['Unset', 'Ok', 'Error'];

function ns(t: HrTime): bigint {
  return BigInt(t[0]) * 1_000_000_000n + BigInt(t[1]);
}

/** Go's json string escaping (without HTML escaping, as the Collector since v0.152) for the characters these fixtures use. */
function goQuote(s: string): string {
  return JSON.stringify(s);
}

function jsonOf(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return goQuote(v);
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'number') return Number.isInteger(v) && Math.abs(v) < 2 ** 63 ? BigInt(v).toString() : String(v);
  throw new Error('unexpected');
}

/** What the Collector would store for an SDK attribute value. */
function expectedString(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'number') return Number.isInteger(v) && Math.abs(v) < 2 ** 63 ? BigInt(v).toString() : String(v);
  if (Array.isArray(v)) return '[' + v.map(jsonOf).join(',') + ']';
  throw new Error('unexpected attribute value');
}

/** The Collector writes map entries in key byte order (JS string order is the same for keys without astral characters). */
function expectedPairs(a: Attributes | undefined): Pairs {
  return Object.entries(a ?? {})
    .map(([k, v]): [string, string] => [k, expectedString(v)])
    .sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
}

function expectedRow(s: ReadableSpan): SpanRow {
  const ctx = s.spanContext();
  return {
    Timestamp: ns(s.startTime),
    TraceId: ctx.traceId,
    SpanId: ctx.spanId,
    ParentSpanId: s.parentSpanContext?.spanId ?? '',
    TraceState: ctx.traceState?.serialize() ?? '',
    SpanName: s.name,
    SpanKind: KIND[s.kind + 1],
    ServiceName: String(s.resource.attributes['service.name'] ?? ''),
    ResourceAttributes: expectedPairs(s.resource.attributes),
    ScopeName: s.instrumentationScope.name,
    ScopeVersion: s.instrumentationScope.version ?? '',
    SpanAttributes: expectedPairs(s.attributes),
    Duration: ns(s.endTime) - ns(s.startTime),
    StatusCode: STATUS[s.status.code],
    StatusMessage: s.status.message ?? '',
    EventsTimestamp: s.events.map((e) => ns(e.time)),
    EventsName: s.events.map((e) => e.name),
    EventsAttributes: s.events.map((e) => expectedPairs(e.attributes)),
    LinksTraceId: s.links.map((l) => l.context.traceId),
    LinksSpanId: s.links.map((l) => l.context.spanId),
    LinksTraceState: s.links.map((l) => l.context.traceState?.serialize() ?? ''),
    LinksAttributes: s.links.map((l) => expectedPairs(l.attributes)),
  };
}

// ---------------------------------------------------------------- fixture spans from the real SDK

function makeSpans(): ReadableSpan[] {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      'service.name': 'checkout',
      'service.version': '1.4.2',
      'deployment.environment': 'prod',
      'host.cpus': 8,
    }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('payscope-test', '0.9.1');
  const tracerNoVersion = provider.getTracer('bare-scope');

  // a remote parent carrying a tracestate
  const remote = trace.setSpanContext(context.active(), {
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: '00f067aa0ba902b7',
    traceFlags: 1,
    isRemote: true,
    traceState: new TraceState('vendor=abc,other=x:y'),
  });

  const root = tracer.startSpan(
    'POST /pay',
    {
      kind: SpanKind.SERVER,
      attributes: {
        'http.request.method': 'POST',
        'http.response.status_code': 200,
        'payment.order_id': 'ord-42',
        'payment.amount': 129.99,
        'payment.captured': true,
        'payment.retry': false,
        'neg.int': -17,
        'big.safe': 2 ** 53 - 1,
        // above 2^53, and JSON.stringify writes its exact digits (2 ** 60 would be written 1152921504606847000)
        'big.int': 2 ** 53 * 3,
        'huge.double': 1e21,
        'tiny.double': 1e-7,
        'one.millionth': 0.000001,
        'empty.string': '',
        'unicode': 'Zahlung für café ☕ 支付',
        'html': '<b>&amp;</b>',
        'tags': ['a', 'b<c>', ''],
        'codes': [1, -2, 3],
        'ratios': [0.5, 1.25],
        'flags': [true, false],
        'sparse': ['x', null, 'y'],
      },
    },
    remote,
  );
  root.addEvent('order.validated', { 'rule.count': 3, 'rule.name': 'velocity' });
  root.addEvent('no-attrs');
  root.setStatus({ code: SpanStatusCode.OK });

  const rootCtx = trace.setSpan(context.active(), root);
  const kinds = [SpanKind.INTERNAL, SpanKind.SERVER, SpanKind.CLIENT, SpanKind.PRODUCER, SpanKind.CONSUMER];
  const children = kinds.map((kind, i) =>
    tracer.startSpan(`child-${i}`, { kind, attributes: { 'child.index': i, 'payment.stage': 'gateway.request' } }, rootCtx),
  );
  children[2].setStatus({ code: SpanStatusCode.ERROR, message: 'gateway timeout: stripe <504>' });
  children[2].recordException(new Error('socket hang up'));
  const linked = tracerNoVersion.startSpan('callback', {
    kind: SpanKind.CONSUMER,
    links: [
      { context: root.spanContext(), attributes: { 'link.reason': 'callback', 'link.n': 2 } },
      { context: children[2].spanContext() },
    ],
  });
  linked.addEvent('received', { 'gateway': 'adyen' }, [1_700_000_123, 456_789_123]);
  linked.end();
  for (const c of children) c.end();
  root.end();

  // a second resource → a second ResourceSpans in the same request
  const exporter2 = new InMemorySpanExporter();
  const provider2 = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'gateway-adapter', 'cloud.region': 'eu-west-1' }),
    spanProcessors: [new SimpleSpanProcessor(exporter2)],
  });
  const t2 = provider2.getTracer('adapter', '2.0.0');
  const s2 = t2.startSpan('stripe.charge', { kind: SpanKind.CLIENT, startTime: [1_700_000_000, 1] });
  s2.end([1_700_000_002, 999_999_999]);

  return [...exporter.getFinishedSpans(), ...exporter2.getFinishedSpans()];
}

/** The serializer groups spans by resource then scope: order the expectations the same way. */
function inRequestOrder(spans: ReadableSpan[]): ReadableSpan[] {
  const byRes = new Map<unknown, Map<string, ReadableSpan[]>>();
  for (const s of spans) {
    let m = byRes.get(s.resource);
    if (!m) byRes.set(s.resource, (m = new Map()));
    const key = `${s.instrumentationScope.name}@${s.instrumentationScope.version ?? ''}`;
    let list = m.get(key);
    if (!list) m.set(key, (list = []));
    list.push(s);
  }
  return [...byRes.values()].flatMap((m) => [...m.values()].flat());
}

describe('real SDK spans through the official serializers', () => {
  const spans = makeSpans();
  const expected = inRequestOrder(spans).map(expectedRow);
  const pbBody = ProtobufTraceSerializer.serializeRequest(spans) as Uint8Array;
  const jsonBody = JsonTraceSerializer.serializeRequest(spans) as Uint8Array;

  it('fixture sanity: all kinds, events, links, statuses, two resources', () => {
    expect(spans.length).toBe(8);
    expect(new Set(expected.map((r) => r.SpanKind))).toEqual(new Set(['Internal', 'Server', 'Client', 'Producer', 'Consumer']));
    expect(expected.some((r) => r.LinksTraceId.length === 2)).toBe(true);
    expect(expected.some((r) => r.TraceState === 'vendor=abc,other=x:y')).toBe(true);
  });

  it('protobuf: every span, every field, matches the ReadableSpan', () => {
    const res = decodeTraceRequestProtobuf(pbBody);
    expect(res.rejected).toBe(0);
    expect(res.errorMessage).toBe('');
    expect(res.accepted).toBe(spans.length);
    const rows = readRows(res.rows);
    expect(rows).toHaveLength(expected.length);
    for (let i = 0; i < rows.length; i++) expect(rows[i]).toEqual(expected[i]);
  });

  it('JSON: every span, every field, matches the ReadableSpan', () => {
    const res = decodeTraceRequestJson(jsonBody);
    expect(res.rejected).toBe(0);
    expect(res.accepted).toBe(spans.length);
    const rows = readRows(res.rows);
    for (let i = 0; i < rows.length; i++) expect(rows[i]).toEqual(expected[i]);
  });

  it('protobuf and JSON of the same spans give byte-identical rows (bytes and string bodies)', () => {
    const a = decodeTraceRequestProtobuf(pbBody).rows;
    const b = decodeTraceRequestJson(jsonBody).rows;
    const c = decodeTraceRequestJson(Buffer.from(jsonBody).toString('utf8')).rows;
    expect(Buffer.compare(a, b)).toBe(0);
    expect(Buffer.compare(a, c)).toBe(0);
  });

  it('spot checks of values the Collector would store', () => {
    const rows = readRows(decodeTraceRequestProtobuf(pbBody).rows);
    const root = rows.find((r) => r.SpanName === 'POST /pay') as SpanRow;
    const a = Object.fromEntries(root.SpanAttributes);
    expect(a['payment.amount']).toBe('129.99');
    expect(a['neg.int']).toBe('-17');
    expect(a['big.safe']).toBe('9007199254740991');
    expect(a['big.int']).toBe('27021597764222976');
    expect(a['huge.double']).toBe('1e+21');
    expect(a['tiny.double']).toBe('1e-7');
    expect(a['one.millionth']).toBe('0.000001');
    expect(a['tags']).toBe('["a","b<c>",""]');
    expect(a['codes']).toBe('[1,-2,3]');
    expect(a['sparse']).toBe('["x",null,"y"]');
    expect(root.ParentSpanId).toBe('00f067aa0ba902b7');
    expect(root.TraceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(root.ServiceName).toBe('checkout');
    expect(root.ScopeName).toBe('payscope-test');
    expect(root.ScopeVersion).toBe('0.9.1');
    expect(Object.fromEntries(root.ResourceAttributes)['host.cpus']).toBe('8');
    const err = rows.find((r) => r.StatusCode === 'Error') as SpanRow;
    expect(err.StatusMessage).toBe('gateway timeout: stripe <504>');
    expect(err.EventsName).toEqual(['exception']);
    const cb = rows.find((r) => r.SpanName === 'callback') as SpanRow;
    expect(cb.ScopeVersion).toBe('');
    expect(cb.EventsTimestamp).toEqual([1_700_000_123_456_789_123n]);
    const s2 = rows.find((r) => r.SpanName === 'stripe.charge') as SpanRow;
    expect(s2.Timestamp).toBe(1_700_000_000_000_000_001n);
    expect(s2.Duration).toBe(2_999_999_998n);
    expect(s2.ServiceName).toBe('gateway-adapter');
  });

  it('an int above 2^53 that the SDK serialises to JSON as a rounded literal is stored as that literal (as the Collector does)', () => {
    const provider = new BasicTracerProvider({ spanProcessors: [] });
    const span = provider.getTracer('t').startSpan('s', { attributes: { 'pow2.60': 2 ** 60 } }) as unknown as ReadableSpan;
    (span as unknown as { end(): void }).end();
    const attr = (rows: Buffer) => Object.fromEntries(readRows(rows)[0].SpanAttributes)['pow2.60'];
    expect(attr(decodeTraceRequestProtobuf(ProtobufTraceSerializer.serializeRequest([span]) as Uint8Array).rows)).toBe('1152921504606846976');
    expect(attr(decodeTraceRequestJson(JsonTraceSerializer.serializeRequest([span]) as Uint8Array).rows)).toBe('1152921504606847000');
  });

  it('SPAN_COLUMNS lists the 22 otel_traces columns in row order', () => {
    expect(SPAN_COLUMNS.map((c) => c.name)).toEqual([
      'Timestamp', 'TraceId', 'SpanId', 'ParentSpanId', 'TraceState', 'SpanName', 'SpanKind', 'ServiceName',
      'ResourceAttributes', 'ScopeName', 'ScopeVersion', 'SpanAttributes', 'Duration', 'StatusCode', 'StatusMessage',
      'Events.Timestamp', 'Events.Name', 'Events.Attributes', 'Links.TraceId', 'Links.SpanId', 'Links.TraceState',
      'Links.Attributes',
    ]);
    expect(SPAN_COLUMNS[0].type).toBe('DateTime64(9)');
    expect(SPAN_COLUMNS[8].type).toBe('Map(LowCardinality(String), String)');
    expect(SPAN_COLUMNS[12].type).toBe('UInt64');
    expect(SPAN_COLUMNS[21].type).toBe('Array(Map(LowCardinality(String), String))');
  });

  it('a large batch (many spans, growing output buffer) round-trips', () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'bulk' }),
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    const tracer = provider.getTracer('bulk');
    for (let i = 0; i < 2000; i++) {
      const s = tracer.startSpan(`op-${i % 7}`, { attributes: { i, 'long.value': 'x'.repeat(i % 300), 'ü': 'ä'.repeat(i % 100) } });
      if (i % 10 === 0) s.addEvent('e', { n: i });
      s.end();
    }
    const batch = exporter.getFinishedSpans();
    const res = decodeTraceRequestProtobuf(ProtobufTraceSerializer.serializeRequest(batch) as Uint8Array);
    expect(res.accepted).toBe(2000);
    const rows = readRows(res.rows);
    for (let i = 0; i < batch.length; i++) expect(rows[i]).toEqual(expectedRow(batch[i]));
    const j = decodeTraceRequestJson(JsonTraceSerializer.serializeRequest(batch) as Uint8Array);
    expect(Buffer.compare(j.rows, res.rows)).toBe(0);
  });
});
