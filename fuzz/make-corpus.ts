/**
 * Writes the seed corpus (fuzz/corpus/): small valid requests made by the OpenTelemetry SDK's own
 * serializers, and hand-made edge cases. Deterministic (fixed ids and times), so re-running it
 * leaves the committed files unchanged unless a case here changed. Checks every file's expected
 * answer (name prefix `ok-` → 200, `bad-` → 400) against the decoders before writing anything.
 *
 *   node --import tsx fuzz/make-corpus.ts [--out fuzz/corpus]
 *
 * Large cases (MiB strings, 100k-deep nesting, 100k attributes...) are not here: fuzz/generators.ts
 * makes them at run time.
 */
import fs from 'node:fs';
import path from 'node:path';
import { SpanKind, SpanStatusCode, context, trace, type Attributes } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import {
  av, concat, eventMsg, fixed32, fixed64, hex, kv, len, linkMsg, oneSpanRequest, requestMsg, resourceSpansMsg, scopeSpansMsg, simpleSpan, spanMsg, tag, vint, WT,
} from '../lib/ingest/otlp/testing/pb';
import { deepAnyValuePb } from './generators';
import { expectedFromName, kindFromName, predictDecode } from './oracle';

const T0 = 1_763_700_000_000; // ms, fixed so the files do not change between runs

/** Ids from a counter: deterministic SDK output. */
function counterIds() {
  let n = 0;
  const h = (bytes: number) => (++n).toString(16).padStart(bytes * 2, '0');
  return { generateTraceId: () => h(16), generateSpanId: () => h(8) };
}

function sdkSpans(service: string, build: (tracer: ReturnType<BasicTracerProvider['getTracer']>) => void, resource: Attributes = {}): ReadableSpan[] {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service, ...resource }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
    idGenerator: counterIds(),
  });
  build(provider.getTracer('fuzz-corpus', '1.2.3'));
  return exporter.getFinishedSpans();
}

/** A checkout trace: server root, client children, every attribute type, events, a link, an error. */
function checkout(service = 'checkout', names = { root: 'POST /checkout', child: 'charge card' }): ReadableSpan[] {
  return sdkSpans(service, (tracer) => {
    const root = tracer.startSpan(names.root, {
      kind: SpanKind.SERVER,
      startTime: T0,
      attributes: { 'payment.order_id': 'ord-1', 'http.response.status_code': 502, ratio: 0.25, retried: true, tags: ['a', 'b'], amounts: [1.5, 2], flags: [true, false], big: 2 ** 53 + 2 },
    });
    const ctx = trace.setSpan(context.active(), root);
    for (let i = 1; i <= 3; i++) {
      const c = tracer.startSpan(`${names.child} ${i}`, { kind: SpanKind.CLIENT, startTime: T0 + i, links: i === 2 ? [{ context: root.spanContext(), attributes: { 'link.kind': 'retry' } }] : [] }, ctx);
      c.addEvent('gateway.response', { 'gateway.code': i === 3 ? 'declined' : 'ok', attempt: i }, T0 + i + 1);
      if (i === 3) c.setStatus({ code: SpanStatusCode.ERROR, message: 'card declined' });
      c.end(T0 + i + 2);
    }
    root.setStatus({ code: SpanStatusCode.ERROR, message: 'payment failed' });
    root.end(T0 + 10);
  }, { 'deployment.environment': 'fuzz', 'host.cpu.count': 2 });
}

const HOSTILE = 'naïve café — 支付 — شراء — 😀👩‍👩‍👧 — \u0000 — \u200b\u202e — <script>alert(1)</script> — \' OR 1=1 --';

function unicode(): ReadableSpan[] {
  return sdkSpans('unicode-😀', (tracer) => {
    const s = tracer.startSpan(HOSTILE, { kind: SpanKind.INTERNAL, startTime: T0, attributes: { [HOSTILE]: HOSTILE, 'e\u0301': 'combining', '': 'empty key' } });
    s.addEvent(HOSTILE, { [HOSTILE]: [HOSTILE, ''] }, T0);
    s.end(T0 + 1);
  });
}

const TID = hex('0102030405060708090a0b0c0d0e0f10');
const SID = hex('1112131415161718');
const hexId = (n: number, fill = 0xab) => new Uint8Array(n).fill(fill);

// ---- OTLP/JSON by hand
const span = (o: Record<string, unknown>) => ({ traceId: '0102030405060708090a0b0c0d0e0f10', spanId: '1112131415161718', name: 'op', kind: 2, startTimeUnixNano: '1763700000000000000', endTimeUnixNano: '1763700000250000000', ...o });
const jreq = (spans: unknown[], resource: unknown = { attributes: [{ key: 'service.name', value: { stringValue: 'fuzz-json' } }] }) =>
  JSON.stringify({ resourceSpans: [{ resource, scopeSpans: [{ scope: { name: 'hand' }, spans }] }] });
const nestJson = (d: number): unknown => (d === 0 ? { stringValue: 'leaf' } : { kvlistValue: { values: [{ key: 'k', value: nestJson(d - 1) }] } });

const CASES: Record<string, Uint8Array | string> = {
  // ---- made by the SDK's serializers
  'ok-sdk-checkout.pb': ProtobufTraceSerializer.serializeRequest(checkout())!,
  'ok-sdk-checkout.json': JsonTraceSerializer.serializeRequest(checkout())!,
  'ok-sdk-two-services.pb': ProtobufTraceSerializer.serializeRequest([...checkout('checkout'), ...checkout('ledger', { root: 'consume payment', child: 'write' })])!,
  'ok-sdk-two-services.json': JsonTraceSerializer.serializeRequest([...checkout('checkout'), ...checkout('ledger', { root: 'consume payment', child: 'write' })])!,
  'ok-sdk-unicode.pb': ProtobufTraceSerializer.serializeRequest(unicode())!,
  'ok-sdk-unicode.json': JsonTraceSerializer.serializeRequest(unicode())!,

  // ---- protobuf by hand
  'ok-empty.pb': new Uint8Array(0),
  'ok-empty-resource-and-scope.pb': requestMsg([resourceSpansMsg(null, [scopeSpansMsg(null, [])])]),
  'ok-pb-unknown-fields.pb': oneSpanRequest(simpleSpan([kv('k', av.str('v'))], {
    extra: [vint(99, 7), fixed64(98, 1n), fixed32(97, 1), len(96, 'unknown'), concat(tag(95, WT.SGROUP), vint(1, 1), len(2, 'x'), tag(95, WT.EGROUP))],
  })),
  // field 5 (name) with a 5-byte varint length, a 10-byte kind
  'ok-pb-noncanonical-varints.pb': oneSpanRequest(concat(len(1, TID), len(2, SID), [0x2a, 0x82, 0x80, 0x80, 0x80, 0x00], Buffer.from('ab'), [0x30, 0x82, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00])),
  // the span's fields split over two occurrences of the same message (merged), scalars last-wins
  'ok-pb-merged-fields.pb': oneSpanRequest(concat(simpleSpan([kv('a', av.int(1))]), len(5, 'renamed'), len(9, kv('b', av.bool(true))), len(15, len(2, 'm1')), len(15, vint(3, 2)))),
  // extreme times: the earliest start and the latest end there are (a start past tomorrow is refused: below)
  'ok-pb-extreme-scalars.pb': oneSpanRequest(spanMsg({
    traceId: TID, spanId: SID, name: '', kind: 99, start: 0n, end: (1n << 64n) - 1n, status: { code: 7, message: '' },
    attributes: [kv('neg', av.int(-1)), kv('min', av.int(-(2n ** 63n))), kv('nan', av.double(NaN)), kv('inf', av.double(Infinity)), kv('tiny', av.double(5e-324)), kv('nothing', av.empty()), kv('keyonly')],
  })),
  // a client clock centuries ahead: the only span starts outside the accepted window → 400
  'bad-pb-far-future-start.pb': oneSpanRequest(simpleSpan([], { start: (1n << 64n) - 1n, end: (1n << 64n) - 1n })),
  'ok-pb-invalid-utf8.pb': oneSpanRequest(simpleSpan([kv(Uint8Array.from([0xff, 0xfe]), av.str(Uint8Array.from([0xc0, 0x80, 0xed, 0xa0, 0x80, 0xf4, 0x90, 0x80, 0x80])))], { name: '\u0000op\u0000' }),
    [kv('service.name', av.str(Uint8Array.from([0xe2, 0x82])))]),
  'ok-pb-all-anyvalue-kinds.pb': oneSpanRequest(simpleSpan([
    kv('s', av.str('x')), kv('b', av.bool(false)), kv('i', av.int(42)), kv('d', av.double(-0)), kv('bytes', av.bytes([0, 1, 255])),
    kv('arr', av.array(av.str('a'), av.int(1), av.array(), av.kvlist())), kv('kvl', av.kvlist(kv('x', av.double(1.5)), kv('y', av.array(av.bool(true))))),
  ], { events: [eventMsg(1n, 'e', [kv('k', av.str('v'))])], links: [linkMsg(TID, SID, 'a=b', [kv('l', av.int(1))])] })),
  'ok-pb-deep-kvlist-32.pb': oneSpanRequest(simpleSpan([kv('deep', deepAnyValuePb(32, 'kvlist'))])),
  // wrong id lengths: every span but the last is dropped, the answer is a partial success
  'ok-pb-partial-wrong-id-lengths.pb': requestMsg([resourceSpansMsg([kv('service.name', av.str('ids'))], [scopeSpansMsg({ name: 's' }, [
    simpleSpan([], { traceId: hexId(15) }), simpleSpan([], { traceId: hexId(17) }), simpleSpan([], { traceId: new Uint8Array(0) }),
    simpleSpan([], { traceId: hexId(16, 0) }), simpleSpan([], { spanId: hexId(7) }), simpleSpan([], { spanId: hexId(9) }), simpleSpan([], { parentSpanId: hexId(4) }),
    simpleSpan([], { spanId: hexId(8, 0) }), simpleSpan([]),
  ])])]),
  'bad-pb-all-ids-wrong.pb': oneSpanRequest(simpleSpan([], { traceId: hexId(15), spanId: hexId(9) })),
  'bad-pb-empty-span.pb': oneSpanRequest(new Uint8Array(0)),
  'bad-pb-deep-kvlist-33.pb': oneSpanRequest(simpleSpan([kv('deep', deepAnyValuePb(33, 'kvlist'))])),
  'bad-pb-truncated.pb': oneSpanRequest(simpleSpan([kv('k', av.str('value'))])).subarray(0, 40),
  'bad-pb-length-2pow64.pb': Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
  'bad-pb-length-2pow32-plus-2.pb': Uint8Array.from([0x0a, 0x82, 0x80, 0x80, 0x80, 0x10, 0x12, 0x00]),
  'bad-pb-varint-11-bytes.pb': oneSpanRequest(concat(len(1, TID), len(2, SID), [0x30, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01])),
  'bad-pb-group-unterminated.pb': oneSpanRequest(concat(simpleSpan([]), tag(95, WT.SGROUP), vint(1, 1))),
  'bad-pb-wire-type-6.pb': Uint8Array.from([0x0e, 0x00]),
  'bad-pb-field-zero.pb': Uint8Array.from([0x02, 0x00]),
  'bad-pb-span-name-wrong-wiretype.pb': oneSpanRequest(concat(len(1, TID), len(2, SID), vint(5, 3))),

  // ---- JSON by hand
  'ok-empty-object.json': '{}',
  'ok-empty-resource-spans.json': '{"resourceSpans":[]}',
  'ok-json-bom-null-fields.json': '\ufeff' + JSON.stringify({ resourceSpans: [{ resource: null, scopeSpans: [{ scope: null, spans: [span({ attributes: null, events: null, links: null, status: null })] }] }] }),
  'ok-json-snake-case-enum-names.json': JSON.stringify({ resource_spans: [{ scope_spans: [{ spans: [{ trace_id: '0102030405060708090A0B0C0D0E0F10', span_id: '1112131415161718', parent_span_id: '', kind: 'SPAN_KIND_CLIENT', start_time_unix_nano: 1763700000000000000, end_time_unix_nano: '1763700000250000000', status: { code: 'STATUS_CODE_ERROR', message: 'x' } }] }] }] }),
  'ok-json-number-forms.json': jreq([span({ attributes: [
    { key: 'i-num', value: { intValue: 12 } }, { key: 'i-str', value: { intValue: '-9223372036854775808' } }, { key: 'i-plus', value: { intValue: '+7' } },
    { key: 'i-frac', value: { intValue: 1.5 } }, { key: 'i-big', value: { intValue: 1e21 } }, { key: 'd-str', value: { doubleValue: 'NaN' } },
    { key: 'd-inf', value: { doubleValue: '-Infinity' } }, { key: 'd-exp', value: { doubleValue: '1e-300' } }, { key: 'b64', value: { bytesValue: 'AAEC/w==' } },
  ] })]),
  'ok-json-escapes.json': jreq([span({ name: '\u0000\ud800\udfff\u2028', attributes: [{ key: '\ud83d', value: { stringValue: '\\"\u0000\u001f</script>' } }] })]),
  'ok-json-proto-keys.json': '{"resourceSpans":[{"scopeSpans":[{"spans":[{"__proto__":{"name":"evil"},"constructor":1,"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"1112131415161718","attributes":[{"key":"__proto__","value":{"stringValue":"x"}}]}]}]}]}',
  'ok-json-duplicate-keys.json': '{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz","traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"1112131415161718","name":"a","name":"b"}]}]}]}',
  'ok-json-invalid-utf8.json': Buffer.concat([Buffer.from('{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"1112131415161718","name":"'), Buffer.from([0xff, 0xc0, 0x80, 0xed, 0xa0, 0x80]), Buffer.from('"}]}]}]}')]),
  'ok-json-deep-kvlist-32.json': jreq([span({ attributes: [{ key: 'deep', value: nestJson(32) }] })]),
  'ok-json-partial-bad-ids.json': jreq([span({ traceId: '0102' }), span({ spanId: 'zz12131415161718' }), span({ traceId: 'AQIDBAUGBwgJCgsMDQ4PEA==' }), span({ parentSpanId: '1' }), span({})]),
  'bad-json-all-bad-ids.json': jreq([span({ traceId: '' }), span({ spanId: '0000000000000000' })]),
  'bad-json-deep-kvlist-33.json': jreq([span({ attributes: [{ key: 'deep', value: nestJson(33) }] })]),
  'bad-json-truncated.json': jreq([span({})]).slice(0, 60),
  'bad-json-not-json.json': 'resourceSpans = []',
  'bad-json-empty-body.json': '',
  'bad-json-top-array.json': '[{"resourceSpans":[]}]',
  'bad-json-wrong-types.json': jreq([span({ name: 5, kind: 'SERVER' })]),
  'bad-json-int-overflow.json': jreq([span({ attributes: [{ key: 'n', value: { intValue: '9223372036854775808' } }] })]),
  'bad-json-time-negative.json': jreq([span({ startTimeUnixNano: -1 })]),
  'bad-json-bytes-not-base64.json': jreq([span({ attributes: [{ key: 'b', value: { bytesValue: '***' } }] })]),
  'bad-json-id-number.json': jreq([span({ traceId: 123 })]),
};

const out = process.argv.includes('--out') ? process.argv[process.argv.indexOf('--out') + 1] : path.join(import.meta.dirname, 'corpus');
const problems: string[] = [];
for (const [name, content] of Object.entries(CASES)) {
  const body = typeof content === 'string' ? Buffer.from(content) : content;
  const expected = expectedFromName(name);
  const got = predictDecode(body, kindFromName(name)!).status;
  if (expected !== undefined && got !== expected) problems.push(`${name}: expected ${expected}, the decoder answers ${got}`);
}
if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
fs.mkdirSync(out, { recursive: true });
for (const [name, content] of Object.entries(CASES)) fs.writeFileSync(path.join(out, name), content);
console.log(`wrote ${Object.keys(CASES).length} files to ${out}`);
