/**
 * Decoder throughput on one core.
 *
 *   node --import tsx lib/ingest/otlp/decode.bench.ts [--runs 7] [--requests 8] [--seconds 0.6] [--only-protobuf]
 *
 * Rates are per CPU-second of this single-threaded process (process.cpuUsage), i.e. what one core
 * sustains, with the wall-clock rate alongside.
 *
 * Builds realistic payment-service requests (512 spans each, 12-15 attributes per span, events on
 * some spans, 3 resource attributes) with the real SDK and the official ProtobufTraceSerializer /
 * JsonTraceSerializer, then measures spans/s (median of several timed runs) of:
 *   - payscope protobuf → RowBinary (decodeTraceRequestProtobuf)
 *   - payscope OTLP/JSON → RowBinary (decodeTraceRequestJson)
 *   - baseline: protobufjs decode (descriptor below, opentelemetry-proto field numbers) only
 *   - baseline: protobufjs decode → row objects → JSONEachRow (the naive path)
 * @opentelemetry/otlp-transformer 0.223 ships no decoders (its protobuf code is a hand-written
 * encoder), so the baseline uses protobufjs with a JSON descriptor of the OTLP messages.
 */
import { createRequire } from 'node:module';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { decodeTraceRequestJson, decodeTraceRequestProtobuf, RowBinaryWriter } from './index';

const args = process.argv.slice(2);
function arg(name: string, dflt: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
}
const RUNS = arg('runs', 7);
const REQUESTS = arg('requests', 8);
const SECONDS = arg('seconds', 0.6);
const SPANS_PER_REQUEST = 512;
const ONLY_PROTOBUF = args.includes('--only-protobuf');

// ---------------------------------------------------------------- realistic payment traffic

const CHANNELS = ['alipay', 'wechatpay', 'card', 'paypal', 'applepay'];
const GATEWAYS = ['stripe', 'adyen', 'alipay', 'wechatpay', 'paypal'];
const STAGES = ['order.create', 'payment.submit', 'gateway.request', 'gateway.callback', 'order.confirm'];
const HOSTS = ['api.stripe.com', 'checkout-test.adyen.com', 'openapi.alipay.com', 'api.mch.weixin.qq.com', 'api-m.paypal.com'];

function buildSpans(seed: number): ReadableSpan[] {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      'service.name': `payment-service-${seed % 3}`,
      'service.version': '3.14.2',
      'deployment.environment': 'production',
    }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('@payscope/instrumentation', '0.4.0');
  let n = 0;
  let order = seed * 100000;
  while (n < SPANS_PER_REQUEST) {
    order++;
    const channel = CHANNELS[order % CHANNELS.length];
    const gi = (order >> 1) % GATEWAYS.length;
    const root = tracer.startSpan('POST /api/checkout', {
      kind: SpanKind.SERVER,
      attributes: {
        'http.request.method': 'POST',
        'http.route': '/api/checkout',
        'url.path': '/api/checkout',
        'url.scheme': 'https',
        'http.response.status_code': 200,
        'server.address': 'checkout.example.com',
        'server.port': 443,
        'client.address': `10.0.${order % 250}.${(order * 7) % 250}`,
        'user_agent.original': 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15',
        'payment.order_id': `ord_${order.toString(36)}_${(order * 2654435761) % 1e9}`,
        'payment.stage': STAGES[0],
        'payment.channel': channel,
        'payment.amount': Math.round((order % 50000) * 1.37) / 100,
        'payment.currency': 'EUR',
      },
    });
    n++;
    const ctx = trace.setSpan(context.active(), root);
    for (let s = 1; s < STAGES.length && n < SPANS_PER_REQUEST; s++) {
      const isGateway = STAGES[s].startsWith('gateway');
      const span = tracer.startSpan(
        isGateway ? `POST ${HOSTS[gi]}` : STAGES[s],
        {
          kind: isGateway ? SpanKind.CLIENT : SpanKind.INTERNAL,
          attributes: {
            'payment.order_id': `ord_${order.toString(36)}_${(order * 2654435761) % 1e9}`,
            'payment.stage': STAGES[s],
            'payment.channel': channel,
            'payment.gateway': GATEWAYS[gi],
            'payment.amount': Math.round((order % 50000) * 1.37) / 100,
            'payment.currency': 'EUR',
            'http.request.method': 'POST',
            'http.response.status_code': order % 17 === 0 ? 502 : 200,
            'server.address': HOSTS[gi],
            'server.port': 443,
            'url.full': `https://${HOSTS[gi]}/v1/payments/${order}`,
            'network.protocol.version': '1.1',
            'retry.count': order % 3,
          },
        },
        ctx,
      );
      if (s % 2 === 0) {
        span.addEvent('gateway.response', { 'http.response.status_code': 200, 'payment.provider_ref': `pi_${order}_${s}` });
        if (order % 5 === 0) span.addEvent('retry', { 'retry.attempt': 1, 'retry.reason': 'timeout' });
      }
      if (order % 17 === 0 && isGateway) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: 'upstream 502 from gateway' });
        span.addEvent('exception', { 'exception.type': 'GatewayError', 'exception.message': 'Bad Gateway' });
      }
      span.end();
      n++;
    }
    root.end();
  }
  return exporter.getFinishedSpans().slice(0, SPANS_PER_REQUEST);
}

// ---------------------------------------------------------------- protobufjs baseline

const OTLP_DESCRIPTOR = {
  nested: {
    otlp: {
      nested: {
        ExportTraceServiceRequest: { fields: { resourceSpans: { rule: 'repeated', type: 'ResourceSpans', id: 1 } } },
        ResourceSpans: { fields: { resource: { type: 'Resource', id: 1 }, scopeSpans: { rule: 'repeated', type: 'ScopeSpans', id: 2 }, schemaUrl: { type: 'string', id: 3 } } },
        Resource: { fields: { attributes: { rule: 'repeated', type: 'KeyValue', id: 1 }, droppedAttributesCount: { type: 'uint32', id: 2 } } },
        ScopeSpans: { fields: { scope: { type: 'InstrumentationScope', id: 1 }, spans: { rule: 'repeated', type: 'Span', id: 2 }, schemaUrl: { type: 'string', id: 3 } } },
        InstrumentationScope: {
          fields: { name: { type: 'string', id: 1 }, version: { type: 'string', id: 2 }, attributes: { rule: 'repeated', type: 'KeyValue', id: 3 }, droppedAttributesCount: { type: 'uint32', id: 4 } },
        },
        Span: {
          fields: {
            traceId: { type: 'bytes', id: 1 }, spanId: { type: 'bytes', id: 2 }, traceState: { type: 'string', id: 3 }, parentSpanId: { type: 'bytes', id: 4 },
            flags: { type: 'fixed32', id: 16 }, name: { type: 'string', id: 5 }, kind: { type: 'int32', id: 6 }, startTimeUnixNano: { type: 'fixed64', id: 7 },
            endTimeUnixNano: { type: 'fixed64', id: 8 }, attributes: { rule: 'repeated', type: 'KeyValue', id: 9 }, droppedAttributesCount: { type: 'uint32', id: 10 },
            events: { rule: 'repeated', type: 'Event', id: 11 }, droppedEventsCount: { type: 'uint32', id: 12 }, links: { rule: 'repeated', type: 'Link', id: 13 },
            droppedLinksCount: { type: 'uint32', id: 14 }, status: { type: 'Status', id: 15 },
          },
        },
        Event: {
          fields: { timeUnixNano: { type: 'fixed64', id: 1 }, name: { type: 'string', id: 2 }, attributes: { rule: 'repeated', type: 'KeyValue', id: 3 }, droppedAttributesCount: { type: 'uint32', id: 4 } },
        },
        Link: {
          fields: {
            traceId: { type: 'bytes', id: 1 }, spanId: { type: 'bytes', id: 2 }, traceState: { type: 'string', id: 3 }, attributes: { rule: 'repeated', type: 'KeyValue', id: 4 },
            droppedAttributesCount: { type: 'uint32', id: 5 }, flags: { type: 'fixed32', id: 6 },
          },
        },
        Status: { fields: { message: { type: 'string', id: 2 }, code: { type: 'int32', id: 3 } } },
        KeyValue: { fields: { key: { type: 'string', id: 1 }, value: { type: 'AnyValue', id: 2 } } },
        AnyValue: {
          oneofs: { value: { oneof: ['stringValue', 'boolValue', 'intValue', 'doubleValue', 'arrayValue', 'kvlistValue', 'bytesValue'] } },
          fields: {
            stringValue: { type: 'string', id: 1 }, boolValue: { type: 'bool', id: 2 }, intValue: { type: 'int64', id: 3 }, doubleValue: { type: 'double', id: 4 },
            arrayValue: { type: 'ArrayValue', id: 5 }, kvlistValue: { type: 'KeyValueList', id: 6 }, bytesValue: { type: 'bytes', id: 7 },
          },
        },
        ArrayValue: { fields: { values: { rule: 'repeated', type: 'AnyValue', id: 1 } } },
        KeyValueList: { fields: { values: { rule: 'repeated', type: 'KeyValue', id: 1 } } },
      },
    },
  },
};

/* eslint-disable @typescript-eslint/no-explicit-any */
type PbType = { decode(b: Uint8Array): any };

function loadBaseline(): PbType | null {
  try {
    const require = createRequire(import.meta.url);
    const protobuf = require('protobufjs');
    return protobuf.Root.fromJSON(OTLP_DESCRIPTOR).lookupType('otlp.ExportTraceServiceRequest');
  } catch (err) {
    console.warn(`protobufjs not available (${(err as Error).message}); skipping the baseline`);
    return null;
  }
}

const KIND = ['Unspecified', 'Internal', 'Server', 'Client', 'Producer', 'Consumer'];
const STATUS = ['Unset', 'Ok', 'Error'];
function naiveValue(v: any): string {
  if (!v) return '';
  if (v.stringValue != null) return v.stringValue;
  if (v.boolValue != null) return String(v.boolValue);
  if (v.intValue != null) return v.intValue.toString();
  if (v.doubleValue != null) return String(v.doubleValue);
  if (v.bytesValue != null) return Buffer.from(v.bytesValue).toString('base64');
  return JSON.stringify(v.arrayValue ?? v.kvlistValue ?? null);
}
function naiveAttrs(kvs: any[]): Record<string, string> {
  const o: Record<string, string> = {};
  for (const kv of kvs) o[kv.key] = naiveValue(kv.value);
  return o;
}
const hex = (b: Uint8Array | undefined) => (b && b.length ? Buffer.from(b).toString('hex') : '');

/** protobufjs objects → row objects → JSONEachRow text (what an "obvious" ingest does). */
function naiveDecode(type: PbType, body: Uint8Array): { text: string; spans: number } {
  const req = type.decode(body);
  let text = '';
  let spans = 0;
  for (const rs of req.resourceSpans) {
    const resAttrs = naiveAttrs(rs.resource?.attributes ?? []);
    for (const ss of rs.scopeSpans) {
      for (const s of ss.spans) {
        const start = BigInt(s.startTimeUnixNano.toString());
        const end = BigInt(s.endTimeUnixNano.toString());
        text +=
          JSON.stringify({
            Timestamp: start.toString(),
            TraceId: hex(s.traceId),
            SpanId: hex(s.spanId),
            ParentSpanId: hex(s.parentSpanId),
            TraceState: s.traceState,
            SpanName: s.name,
            SpanKind: KIND[s.kind] ?? 'Unspecified',
            ServiceName: resAttrs['service.name'] ?? '',
            ResourceAttributes: resAttrs,
            ScopeName: ss.scope?.name ?? '',
            ScopeVersion: ss.scope?.version ?? '',
            SpanAttributes: naiveAttrs(s.attributes),
            Duration: (end > start ? end - start : 0n).toString(),
            StatusCode: STATUS[s.status?.code ?? 0] ?? 'Unset',
            StatusMessage: s.status?.message ?? '',
            'Events.Timestamp': s.events.map((e: any) => e.timeUnixNano.toString()),
            'Events.Name': s.events.map((e: any) => e.name),
            'Events.Attributes': s.events.map((e: any) => naiveAttrs(e.attributes)),
            'Links.TraceId': s.links.map((l: any) => hex(l.traceId)),
            'Links.SpanId': s.links.map((l: any) => hex(l.spanId)),
            'Links.TraceState': s.links.map((l: any) => l.traceState),
            'Links.Attributes': s.links.map((l: any) => naiveAttrs(l.attributes)),
          }) + '\n';
        spans++;
      }
    }
  }
  return { text, spans };
}
/* eslint-enable @typescript-eslint/no-explicit-any */

// ---------------------------------------------------------------- timing

interface Row {
  name: string;
  /** median spans per CPU-second (process.cpuUsage: this process's user + system time) */
  spansPerSec: number;
  min: number;
  max: number;
  /** median spans per wall-clock second (lower than the CPU figure when other processes compete) */
  wallPerSec: number;
  bytesPerSec: number;
}

let sink = 0;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Median rate over RUNS timed runs of ~SECONDS each, after a warm-up. The primary figure is per
 * CPU-second of this (single-threaded) process, so it stays meaningful on a machine shared with
 * other jobs; the wall-clock rate is printed next to it.
 */
function measure(name: string, bodies: Uint8Array[], fn: (b: Uint8Array) => number): Row {
  const inBytes = bodies.reduce((a, b) => a + b.length, 0);
  // warm-up (JIT)
  const warmEnd = performance.now() + 500;
  while (performance.now() < warmEnd) for (const b of bodies) sink += fn(b);
  const rates: number[] = [];
  const wall: number[] = [];
  const byteRates: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    let spans = 0;
    let bytes = 0;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    let t1 = t0;
    do {
      for (const b of bodies) spans += fn(b);
      bytes += inBytes;
      t1 = performance.now();
    } while (t1 - t0 < SECONDS * 1000);
    const cu = process.cpuUsage(c0);
    const cpuSec = (cu.user + cu.system) / 1e6;
    rates.push(spans / cpuSec);
    wall.push(spans / ((t1 - t0) / 1000));
    byteRates.push(bytes / cpuSec);
  }
  const sorted = [...rates].sort((a, b) => a - b);
  return { name, spansPerSec: median(rates), min: sorted[0], max: sorted[sorted.length - 1], wallPerSec: median(wall), bytesPerSec: median(byteRates) };
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function main(): void {
  console.log(`node ${process.version}, ${REQUESTS} requests x ${SPANS_PER_REQUEST} spans, ${RUNS} runs x ${SECONDS}s each, median reported`);
  const spanSets = Array.from({ length: REQUESTS }, (_, i) => buildSpans(i + 1));
  const pbBodies = spanSets.map((s) => ProtobufTraceSerializer.serializeRequest(s) as Uint8Array);
  const jsonBodies = spanSets.map((s) => JsonTraceSerializer.serializeRequest(s) as Uint8Array);
  const avgAttrs = spanSets[0].reduce((a, s) => a + Object.keys(s.attributes).length, 0) / SPANS_PER_REQUEST;
  const withEvents = spanSets[0].filter((s) => s.events.length > 0).length;
  const pbSize = pbBodies.reduce((a, b) => a + b.length, 0) / REQUESTS;
  const jsonSize = jsonBodies.reduce((a, b) => a + b.length, 0) / REQUESTS;
  const rowSize = decodeTraceRequestProtobuf(pbBodies[0]).rows.length;
  console.log(
    `request: ${fmt(pbSize)} B protobuf, ${fmt(jsonSize)} B JSON, ${fmt(rowSize)} B RowBinary; ` +
      `${avgAttrs.toFixed(1)} attributes/span, ${withEvents}/${SPANS_PER_REQUEST} spans with events`,
  );
  // sanity: both paths agree
  for (let i = 0; i < REQUESTS; i++) {
    const a = decodeTraceRequestProtobuf(pbBodies[i]);
    const b = decodeTraceRequestJson(jsonBodies[i]);
    if (a.accepted !== SPANS_PER_REQUEST || Buffer.compare(a.rows, b.rows) !== 0) throw new Error('protobuf and JSON rows differ');
  }

  const rows: Row[] = [];
  rows.push(measure('payscope protobuf → RowBinary', pbBodies, (b) => decodeTraceRequestProtobuf(b).accepted));
  const batch = new RowBinaryWriter(1 << 20);
  rows.push(
    measure('  same, appending to a reused writer (into)', pbBodies, (b) => {
      if (batch.pos > 8 << 20) batch.reset();
      return decodeTraceRequestProtobuf(b, { into: batch }).accepted;
    }),
  );
  if (ONLY_PROTOBUF) return report(rows);
  rows.push(measure('payscope OTLP/JSON → RowBinary', jsonBodies, (b) => decodeTraceRequestJson(b).accepted));
  const td = new TextDecoder();
  rows.push(
    measure('  (of which JSON.parse alone)', jsonBodies, (b) => {
      sink += JSON.parse(td.decode(b)).resourceSpans.length;
      return SPANS_PER_REQUEST;
    }),
  );
  const baseline = loadBaseline();
  if (baseline) {
    rows.push(
      measure('protobufjs decode only (objects)', pbBodies, (b) => {
        const req = baseline.decode(b);
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        return req.resourceSpans.reduce((a: number, rs: any) => a + rs.scopeSpans.reduce((x: number, ss: any) => x + ss.spans.length, 0), 0);
      }),
    );
    rows.push(
      measure('protobufjs → objects → JSONEachRow (naive)', pbBodies, (b) => {
        const r = naiveDecode(baseline, b);
        sink += r.text.length;
        return r.spans;
      }),
    );
  }

  report(rows);
}

function report(rows: Row[]): void {
  const w = Math.max(...rows.map((r) => r.name.length));
  console.log('');
  console.log(
    `${'path'.padEnd(w)}  ${'spans/cpu-s'.padStart(11)}  ${'min..max'.padStart(23)}  ${'ns/span'.padStart(8)}  ${'in MB/cpu-s'.padStart(11)}  ${'spans/wall-s'.padStart(12)}`,
  );
  for (const r of rows) {
    console.log(
      `${r.name.padEnd(w)}  ${fmt(r.spansPerSec).padStart(11)}  ${`${fmt(r.min)}..${fmt(r.max)}`.padStart(23)}  ${(1e9 / r.spansPerSec).toFixed(0).padStart(8)}  ${(r.bytesPerSec / 1e6).toFixed(1).padStart(11)}  ${fmt(r.wallPerSec).padStart(12)}`,
    );
  }
  const load = os.loadavg()[0];
  console.log(`\n1-min load average ${load.toFixed(2)} on ${os.cpus().length} CPUs${load > os.cpus().length - 1 ? ' (busy machine: wall-clock rates are depressed)' : ''}`);
  const naive = rows.find((r) => r.name.includes('naive'));
  if (naive) console.log(`ratio protobuf path / naive baseline: ${(rows[0].spansPerSec / naive.spansPerSec).toFixed(1)}x`);
  console.log(`target >= 600,000 spans/s for the protobuf path: ${rows[0].spansPerSec >= 600_000 ? 'met' : 'NOT met'}`);
  if (sink === 42) console.log('');
}

main();
