/**
 * Large fuzz cases, made at run time from a compact description instead of committing MiB files:
 * deep AnyValue nesting, huge strings, huge attribute / span / resource / event counts, empty
 * messages, oversize and gzip-bomb bodies. Each is built once, on first use, and cached by the caller.
 *
 * Deeply nested protobuf is written in one pass (lengths computed inside out, then the per-level
 * headers written outside in): wrapping an already-encoded message level by level copies O(depth²).
 */
import zlib from 'node:zlib';
import { av, eventMsg, hex, kv, linkMsg, simpleSpan, spanMsg, tag, WT } from '../lib/ingest/otlp/testing/pb';

export type ContentKind = 'protobuf' | 'json';

export interface Generated {
  name: string;
  type: ContentKind;
  /** The body is already gzip-compressed: send it with Content-Encoding: gzip, never mutate it. */
  gzipped?: boolean;
  /** The answer due when it is sent as it is (400 also for "every span invalid"; 413: over the 32 MiB limit). */
  expect: 200 | 400 | 413;
  make(): Buffer;
}

const MiB = 1024 * 1024;
const TRACE = '0102030405060708090a0b0c0d0e0f10';
const SPAN = '1112131415161718';

/** 16-hex-digit span id from a counter, so that many-span requests have distinct ids. */
function spanIdHex(i: number): string {
  return (i + 1).toString(16).padStart(16, '0');
}

function varintLen(n: number): number {
  let k = 1;
  while (n >= 0x80) { n = Math.floor(n / 128); k++; }
  return k;
}

// Fast builders for the 100k-element cases (testing/pb.ts favours clarity: BigInt varints, arrays).
function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) { out.push((n % 128) | 0x80); n = Math.floor(n / 128); }
  out.push(n);
  return out;
}

/** One LEN field per payload, all of field number `field`, in one buffer. */
function fields(field: number, payloads: readonly Uint8Array[]): Buffer {
  const tagByte = field * 8 + WT.LEN; // fields < 16 only
  let n = 0;
  for (const p of payloads) n += 1 + varintLen(p.length) + p.length;
  const out = Buffer.allocUnsafe(n);
  let o = 0;
  for (const p of payloads) {
    out[o++] = tagByte;
    for (const b of varint(p.length)) out[o++] = b;
    out.set(p, o);
    o += p.length;
  }
  return out;
}
const field = (f: number, payload: Uint8Array | string) => fields(f, [typeof payload === 'string' ? Buffer.from(payload) : payload]);
const times = <T>(n: number, x: T): T[] => new Array<T>(n).fill(x);

/**
 * An AnyValue nested `depth` levels deep: kvlist → { "k": kvlist → ... } or array → [ array → ... ],
 * ending in a string AnyValue.
 */
export function deepAnyValuePb(depth: number, kind: 'kvlist' | 'array'): Uint8Array {
  const leaf = av.str('leaf');
  // inner[i] = encoded size of the AnyValue at nesting level i (0 = the leaf)
  const inner = new Array<number>(depth + 1);
  inner[0] = leaf.length;
  for (let i = 1; i <= depth; i++) {
    const L = inner[i - 1];
    if (kind === 'array') {
      const arr = 1 + varintLen(L) + L; // ArrayValue { values(1): AnyValue }
      inner[i] = 1 + varintLen(arr) + arr; // AnyValue { array_value(5) }
    } else {
      const kvLen = 3 + 1 + varintLen(L) + L; // KeyValue { key(1): "k", value(2): AnyValue }
      const kvl = 1 + varintLen(kvLen) + kvLen; // KeyValueList { values(1): KeyValue }
      inner[i] = 1 + varintLen(kvl) + kvl; // AnyValue { kvlist_value(6) }
    }
  }
  const out = new Uint8Array(inner[depth]);
  let o = 0;
  const put = (bytes: number[]) => { for (const b of bytes) out[o++] = b; };
  for (let i = depth; i >= 1; i--) {
    const L = inner[i - 1];
    if (kind === 'array') {
      const arr = 1 + varintLen(L) + L;
      put([0x2a, ...varint(arr), 0x0a, ...varint(L)]);
    } else {
      const kvLen = 3 + 1 + varintLen(L) + L;
      const kvl = 1 + varintLen(kvLen) + kvLen;
      put([0x32, ...varint(kvl), 0x0a, ...varint(kvLen), 0x0a, 0x01, 0x6b, 0x12, ...varint(L)]);
    }
  }
  out.set(leaf, o);
  return out;
}

/** `depth` start-group tags of an unknown field, then as many end-group tags, inside a span. */
function deepGroupsPb(depth: number): Uint8Array {
  const sg = tag(1000, WT.SGROUP);
  const eg = tag(1000, WT.EGROUP);
  const body = new Uint8Array(depth * (sg.length + eg.length));
  for (let i = 0; i < depth; i++) body.set(sg, i * sg.length);
  for (let i = 0; i < depth; i++) body.set(eg, depth * sg.length + i * eg.length);
  return body;
}

const RESOURCE = field(1, field(1, kv('service.name', av.str('fuzz-gen')))); // ResourceSpans.resource
/** A request of one resource and one scope holding `spans` (encoded Span messages). */
const pbReq = (spans: readonly Uint8Array[]) => field(1, Buffer.concat([RESOURCE, field(2, Buffer.concat([field(1, field(1, 'gen')), fields(2, spans)]))]));
/** A span with these fields appended (protobuf fields may come in any order). */
const spanWith = (extra: Uint8Array) => Buffer.concat([simpleSpan([]), extra]);
/** A span without ids, for templates that prepend their own. */
const SPAN_NO_IDS = spanMsg({ name: 'op', kind: 2, start: 1_700_000_000_000_000_000n, end: 1_700_000_000_250_000_000n });
const spanWithId = (i: number) => Buffer.concat([field(1, hex(TRACE)), field(2, hex(spanIdHex(i))), SPAN_NO_IDS]);
/** Span `i` of the generator trace, starting at `start` (ns), 1 ms long, under `parent` if given. */
const spanAt = (i: number, start: bigint, parent?: string) =>
  spanMsg({ traceId: hex(TRACE), spanId: hex(spanIdHex(i)), parentSpanId: parent ? hex(parent) : undefined, name: 'op', kind: 2, start, end: start + 1_000_000n });
const kvInt = (key: string, v: number) => Buffer.concat([field(1, key), field(2, Buffer.from([0x18, ...varint(v)]))]);

function jsonSpan(extra: string, i = 0): string {
  return `{"traceId":"${TRACE}","spanId":"${spanIdHex(i)}","name":"op","kind":2,"startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000250000000"${extra}}`;
}
const jsonReq = (spans: string) =>
  Buffer.from(`{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"fuzz-gen"}}]},"scopeSpans":[{"scope":{"name":"gen"},"spans":[${spans}]}]}]}`);

/** A string of `bytes` UTF-8 bytes mixing ASCII, 2-, 3- and 4-byte characters. */
function bigString(bytes: number): string {
  const unit = 'payscope-€-ü-😀-';
  const unitBytes = Buffer.byteLength(unit);
  return unit.repeat(Math.ceil(bytes / unitBytes));
}

function repeatJoin(n: number, f: (i: number) => string): string {
  const parts = new Array<string>(n);
  for (let i = 0; i < n; i++) parts[i] = f(i);
  return parts.join(',');
}

export const GENERATED: Generated[] = [
  // ---- deep nesting
  { name: 'pb-deep-kvlist-100k', type: 'protobuf', expect: 400, make: () => pbReq([simpleSpan([kv('deep', deepAnyValuePb(100_000, 'kvlist'))])]) },
  { name: 'pb-deep-array-100k', type: 'protobuf', expect: 400, make: () => pbReq([simpleSpan([kv('deep', deepAnyValuePb(100_000, 'array'))])]) },
  { name: 'pb-deep-kvlist-33', type: 'protobuf', expect: 400, make: () => pbReq([simpleSpan([kv('deep', deepAnyValuePb(33, 'kvlist'))])]) },
  { name: 'pb-deep-groups-100k', type: 'protobuf', expect: 400, make: () => pbReq([simpleSpan([], { extra: [deepGroupsPb(100_000)] })]) },
  {
    name: 'json-deep-kvlist-100k',
    type: 'json',
    expect: 400,
    make: () => {
      const n = 100_000;
      const v = '{"kvlistValue":{"values":[{"key":"k","value":'.repeat(n) + '{"stringValue":"leaf"}' + '}]}}'.repeat(n);
      return jsonReq(jsonSpan(`,"attributes":[{"key":"deep","value":${v}}]`));
    },
  },
  {
    name: 'json-deep-array-100k',
    type: 'json',
    expect: 400,
    make: () => {
      const n = 100_000;
      const v = '{"arrayValue":{"values":['.repeat(n) + '{"intValue":"1"}' + ']}}'.repeat(n);
      return jsonReq(jsonSpan(`,"attributes":[{"key":"deep","value":${v}}]`));
    },
  },
  // plain JSON arrays nested a million deep, in an unknown field (parsed, then ignored) and as attributes
  // deep even where payscope would skip it (an unknown field): refused before parsing, as any JSON
  // nested deeper than OTLP ever needs
  { name: 'json-deep-raw-unknown-1m', type: 'json', expect: 400, make: () => Buffer.from(`{"resourceSpans":[],"x":${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}}`) },
  { name: 'json-deep-raw-attributes-100k', type: 'json', expect: 400, make: () => jsonReq(jsonSpan(`,"attributes":${'['.repeat(100_000)}${']'.repeat(100_000)}`)) },
  { name: 'json-deep-raw-body-1m', type: 'json', expect: 400, make: () => Buffer.from('['.repeat(1_000_000) + ']'.repeat(1_000_000)) },
  // ---- huge strings
  // nesting that is cheap to send and dear to parse: 15M levels of JSON arrays in a 30 KB gzip body
  // (the body limit applies after decompression: 30 MB is under it)
  { name: 'json-deep-gzip-15m', type: 'json', expect: 400, gzipped: true, make: () => zlib.gzipSync(Buffer.from('['.repeat(15_000_000) + ']'.repeat(15_000_000)), { level: 9 }) },
  { name: 'pb-huge-value-8mib', type: 'protobuf', expect: 200, make: () => pbReq([simpleSpan([kv('big', av.str(bigString(8 * MiB)))])]) },
  { name: 'pb-huge-name-4mib', type: 'protobuf', expect: 200, make: () => pbReq([simpleSpan([], { name: bigString(4 * MiB) })]) },
  { name: 'pb-huge-key-4mib', type: 'protobuf', expect: 200, make: () => pbReq([simpleSpan([kv(bigString(4 * MiB), av.str('v'))])]) },
  { name: 'pb-huge-bytes-value-6mib', type: 'protobuf', expect: 200, make: () => pbReq([simpleSpan([kv('b', av.bytes(Buffer.alloc(6 * MiB, 0xa5)))])]) },
  {
    name: 'pb-huge-invalid-id-1mib',
    type: 'protobuf',
    expect: 400,
    make: () => pbReq([simpleSpan([], { traceId: new Uint8Array(MiB).fill(7), name: bigString(1024) })]),
  },
  { name: 'json-huge-value-8mib', type: 'json', expect: 200, make: () => jsonReq(jsonSpan(`,"attributes":[{"key":"big","value":{"stringValue":${JSON.stringify(bigString(8 * MiB))}}}]`)) },
  { name: 'json-huge-escapes-2mib', type: 'json', expect: 200, make: () => jsonReq(jsonSpan(`,"attributes":[{"key":"esc","value":{"stringValue":"${'\\u0000\\ud800\\n\\"\\\\'.repeat(200_000)}"}}]`)) },
  { name: 'json-huge-id-4mib', type: 'json', expect: 400, make: () => jsonReq(`{"traceId":"${'ab'.repeat(2 * MiB)}","spanId":"${SPAN}","name":"x"}`) },
  // 64-bit integers as decimal strings of millions of digits: must be refused quickly, not parsed as BigInt
  { name: 'json-huge-int-string-8m', type: 'json', expect: 400, make: () => jsonReq(jsonSpan(`,"attributes":[{"key":"n","value":{"intValue":"${'9'.repeat(8_000_000)}"}}]`)) },
  { name: 'json-huge-time-string-8m', type: 'json', expect: 400, make: () => jsonReq(`{"traceId":"${TRACE}","spanId":"${SPAN}","name":"t","startTimeUnixNano":"${'1'.repeat(8_000_000)}"}`) },
  { name: 'json-huge-int-zeros-8m', type: 'json', expect: 200, make: () => jsonReq(jsonSpan(`,"attributes":[{"key":"n","value":{"intValue":"${'0'.repeat(8_000_000)}7"}}]`)) },
  { name: 'json-huge-number-literal-4m', type: 'json', expect: 200, make: () => jsonReq(jsonSpan(`,"attributes":[{"key":"n","value":{"doubleValue":${'9'.repeat(4_000_000)}}}]`)) },
  { name: 'json-huge-enum-name-4mib', type: 'json', expect: 400, make: () => jsonReq(`{"traceId":"${TRACE}","spanId":"${SPAN}","kind":"${'SPAN_KIND_'.repeat(400_000)}"}`) },
  // ---- huge counts
  { name: 'pb-attrs-100k', type: 'protobuf', expect: 200, make: () => pbReq([spanWith(fields(9, Array.from({ length: 100_000 }, (_, i) => kvInt(`a${i}`, i))))]) },
  { name: 'pb-same-key-100k', type: 'protobuf', expect: 200, make: () => pbReq([spanWith(fields(9, Array.from({ length: 100_000 }, (_, i) => kvInt('dup', i))))]) },
  { name: 'pb-spans-100k', type: 'protobuf', expect: 200, make: () => pbReq(Array.from({ length: 100_000 }, (_, i) => spanWithId(i))) },
  {
    name: 'pb-resources-20k',
    type: 'protobuf',
    expect: 200,
    make: () => {
      const resources = Array.from({ length: 50 }, (_, i) => field(1, field(1, kv('service.name', av.str(`svc-${i}`)))));
      const scope = field(1, field(1, 's'));
      return fields(1, Array.from({ length: 20_000 }, (_, i) => Buffer.concat([resources[i % 50], field(2, Buffer.concat([scope, field(2, spanWithId(i))]))])));
    },
  },
  { name: 'pb-events-50k', type: 'protobuf', expect: 200, make: () => pbReq([spanWith(fields(11, times(50_000, eventMsg(5n, 'e', [kv('i', av.int(1))]))))]) },
  { name: 'pb-links-50k', type: 'protobuf', expect: 200, make: () => pbReq([spanWith(fields(13, times(50_000, linkMsg(hex(TRACE), hex(SPAN), 'a=b'))))]) },
  { name: 'pb-array-100k-values', type: 'protobuf', expect: 200, make: () => pbReq([spanWith(field(9, Buffer.concat([field(1, 'arr'), field(2, field(5, fields(1, times(100_000, av.int(7)))))])))]) },
  // empty ResourceSpans / ScopeSpans / Span messages by the hundred thousand
  // span times on 101 different days (a client with a wrong clock): one insert block, 101 partitions
  { name: 'pb-days-101', type: 'protobuf', expect: 200, make: () => pbReq(Array.from({ length: 101 }, (_, i) => spanAt(i, BigInt(1_700_000_000 + i * 86_400) * 1_000_000_000n))) },
  // a 20,000-span parent → child chain in one trace: every walk over it must be iterative
  { name: 'pb-parent-chain-20k', type: 'protobuf', expect: 200, make: () => pbReq(Array.from({ length: 20_000 }, (_, i) => spanAt(i, 1_700_000_000_000_000_000n + BigInt(i) * 1000n, i > 0 ? spanIdHex(i - 1) : undefined))) },
  { name: 'pb-empty-resources-100k', type: 'protobuf', expect: 200, make: () => fields(1, times(100_000, new Uint8Array(0))) },
  { name: 'pb-empty-scopes-100k', type: 'protobuf', expect: 200, make: () => field(1, fields(2, times(100_000, new Uint8Array(0)))) },
  { name: 'pb-empty-spans-100k', type: 'protobuf', expect: 400, make: () => pbReq(times(100_000, new Uint8Array(0))) },
  { name: 'json-attrs-100k', type: 'json', expect: 200, make: () => jsonReq(jsonSpan(`,"attributes":[${repeatJoin(100_000, (i) => `{"key":"a${i}","value":{"intValue":"${i}"}}`)}]`)) },
  { name: 'json-spans-100k', type: 'json', expect: 200, make: () => jsonReq(repeatJoin(100_000, (i) => jsonSpan('', i))) },
  { name: 'json-empty-objects-1m', type: 'json', expect: 200, make: () => Buffer.from(`{"resourceSpans":[${repeatJoin(1_000_000, () => '{}')}]}`) },
  {
    name: 'json-resources-20k',
    type: 'json',
    expect: 200,
    make: () => Buffer.from(`{"resourceSpans":[${repeatJoin(20_000, (i) => `{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc-${i % 50}"}}]},"scopeSpans":[{"spans":[${jsonSpan('', i)}]}]}`)}]}`),
  },
  // ---- limits: over the 32 MiB default body limit, and a small gzip body that inflates past it
  { name: 'pb-over-limit-33mib', type: 'protobuf', expect: 413, make: () => pbReq([simpleSpan([kv('big', av.str('x'.repeat(33 * MiB)))])]) },
  { name: 'pb-gzip-bomb-64mib', type: 'protobuf', expect: 413, gzipped: true, make: () => zlib.gzipSync(Buffer.alloc(64 * MiB), { level: 9 }) },
  { name: 'json-gzip-bomb-64mib', type: 'json', expect: 413, gzipped: true, make: () => zlib.gzipSync(Buffer.alloc(64 * MiB, 0x20), { level: 9 }) },
  // a valid request whose spans all fit, but one span has every field at its extreme
  {
    name: 'pb-extremes',
    type: 'protobuf',
    expect: 200,
    make: () => pbReq([spanMsg({
      traceId: hex(TRACE), spanId: hex(SPAN), parentSpanId: hex(SPAN), name: '\u0000', kind: 2 ** 31 - 1,
      start: 0n, end: (1n << 64n) - 1n, status: { code: -1, message: bigString(64 * 1024) },
      attributes: [kv('', av.int(-(2n ** 63n))), kv('d', av.double(NaN)), kv('i', av.double(-Infinity))],
    })]),
  },
];
