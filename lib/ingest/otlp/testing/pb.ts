/**
 * Test-only: a tiny protobuf wire-format builder (independent of the decoder) to hand-craft OTLP
 * requests: fields in any order, unknown fields, duplicate fields, non-canonical varints.
 */
export type Part = Uint8Array | number[];

export function concat(...parts: Part[]): Uint8Array {
  const arrs = parts.map((p) => (p instanceof Uint8Array ? p : Uint8Array.from(p)));
  const n = arrs.reduce((a, b) => a + b.length, 0);
  const out = new Uint8Array(n);
  let o = 0;
  for (const a of arrs) {
    out.set(a, o);
    o += a.length;
  }
  return out;
}

/** Unsigned LEB128 of a 64-bit value (negative numbers as two's complement, 10 bytes). */
export function varint(v: number | bigint): number[] {
  let x = BigInt.asUintN(64, BigInt(v));
  const out: number[] = [];
  while (x >= 0x80n) {
    out.push(Number(x & 0x7fn) | 0x80);
    x >>= 7n;
  }
  out.push(Number(x));
  return out;
}

export const WT = { VARINT: 0, I64: 1, LEN: 2, SGROUP: 3, EGROUP: 4, I32: 5 } as const;

export function tag(field: number, wt: number): number[] {
  return varint(field * 8 + wt);
}

const enc = new TextEncoder();
function bytesOf(v: Part | string): Uint8Array {
  return typeof v === 'string' ? enc.encode(v) : v instanceof Uint8Array ? v : Uint8Array.from(v);
}

/** LEN field: bytes, string, or an already-built sub-message. */
export function len(field: number, payload: Part | string): Uint8Array {
  const b = bytesOf(payload);
  return concat(tag(field, WT.LEN), varint(b.length), b);
}

export function vint(field: number, v: number | bigint): Uint8Array {
  return concat(tag(field, WT.VARINT), varint(v));
}

export function fixed64(field: number, v: number | bigint): Uint8Array {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt.asUintN(64, BigInt(v)));
  return concat(tag(field, WT.I64), b);
}

export function fixed32(field: number, v: number): Uint8Array {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return concat(tag(field, WT.I32), b);
}

export function double(field: number, x: number): Uint8Array {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(x);
  return concat(tag(field, WT.I64), b);
}

export function hex(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s, 'hex'));
}

// ---- OTLP message helpers (field numbers from opentelemetry-proto)

export type AV = Uint8Array; // an encoded AnyValue message
export const av = {
  str: (s: string | Uint8Array) => len(1, s),
  bool: (b: boolean) => vint(2, b ? 1 : 0),
  int: (v: number | bigint) => vint(3, v),
  double: (x: number) => double(4, x),
  array: (...values: AV[]) => len(5, concat(...values.map((v) => len(1, v)))),
  kvlist: (...kvs: Uint8Array[]) => len(6, concat(...kvs.map((kv) => len(1, kv)))),
  bytes: (b: Part) => len(7, b),
  empty: () => new Uint8Array(0),
};

/** KeyValue message. */
export function kv(key: string | Uint8Array, value?: AV): Uint8Array {
  return value === undefined ? len(1, key) : concat(len(1, key), len(2, value));
}

export interface SpanSpec {
  traceId?: Uint8Array;
  spanId?: Uint8Array;
  parentSpanId?: Uint8Array;
  traceState?: string;
  name?: string;
  kind?: number;
  start?: bigint;
  end?: bigint;
  attributes?: Uint8Array[]; // KeyValue messages
  events?: Uint8Array[]; // Event messages
  links?: Uint8Array[]; // Link messages
  status?: { code?: number; message?: string };
  extra?: Uint8Array[]; // appended raw fields
}

export function spanMsg(s: SpanSpec): Uint8Array {
  const parts: Uint8Array[] = [];
  if (s.traceId) parts.push(len(1, s.traceId));
  if (s.spanId) parts.push(len(2, s.spanId));
  if (s.traceState !== undefined) parts.push(len(3, s.traceState));
  if (s.parentSpanId) parts.push(len(4, s.parentSpanId));
  if (s.name !== undefined) parts.push(len(5, s.name));
  if (s.kind !== undefined) parts.push(vint(6, s.kind));
  if (s.start !== undefined) parts.push(fixed64(7, s.start));
  if (s.end !== undefined) parts.push(fixed64(8, s.end));
  for (const a of s.attributes ?? []) parts.push(len(9, a));
  for (const e of s.events ?? []) parts.push(len(11, e));
  for (const l of s.links ?? []) parts.push(len(13, l));
  if (s.status) {
    const st: Uint8Array[] = [];
    if (s.status.message !== undefined) st.push(len(2, s.status.message));
    if (s.status.code !== undefined) st.push(vint(3, s.status.code));
    parts.push(len(15, concat(...st)));
  }
  parts.push(...(s.extra ?? []));
  return concat(...parts);
}

export function eventMsg(time: bigint, name: string, attributes: Uint8Array[] = []): Uint8Array {
  return concat(fixed64(1, time), len(2, name), ...attributes.map((a) => len(3, a)));
}

export function linkMsg(traceId: Uint8Array, spanId: Uint8Array, traceState = '', attributes: Uint8Array[] = []): Uint8Array {
  return concat(len(1, traceId), len(2, spanId), traceState ? len(3, traceState) : [], ...attributes.map((a) => len(4, a)));
}

export function scopeSpansMsg(scope: { name?: string; version?: string } | null, spans: Uint8Array[]): Uint8Array {
  const sc = scope ? concat(scope.name !== undefined ? len(1, scope.name) : [], scope.version !== undefined ? len(2, scope.version) : []) : null;
  return concat(sc ? len(1, sc) : [], ...spans.map((s) => len(2, s)));
}

export function resourceSpansMsg(resourceAttrs: Uint8Array[] | null, scopeSpans: Uint8Array[]): Uint8Array {
  const res = resourceAttrs ? len(1, concat(...resourceAttrs.map((a) => len(1, a)))) : new Uint8Array(0);
  return concat(res, ...scopeSpans.map((s) => len(2, s)));
}

export function requestMsg(resourceSpans: Uint8Array[]): Uint8Array {
  return concat(...resourceSpans.map((r) => len(1, r)));
}

/** A minimal valid span with the given attributes. */
export function simpleSpan(attributes: Uint8Array[] = [], over: Partial<SpanSpec> = {}): Uint8Array {
  return spanMsg({
    traceId: hex('0102030405060708090a0b0c0d0e0f10'),
    spanId: hex('1112131415161718'),
    name: 'op',
    kind: 2,
    start: 1_700_000_000_000_000_000n,
    end: 1_700_000_000_250_000_000n,
    attributes,
    ...over,
  });
}

/** A one-span request. */
export function oneSpanRequest(span: Uint8Array, resourceAttrs: Uint8Array[] = [kv('service.name', av.str('svc'))]): Uint8Array {
  return requestMsg([resourceSpansMsg(resourceAttrs, [scopeSpansMsg({ name: 'sc', version: '1' }, [span])])]);
}
