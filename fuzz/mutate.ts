/**
 * Mutators for OTLP request bodies, deterministic for a given PRNG seed.
 *
 * - byte level (any body): bit flips, interesting bytes, insert / delete / duplicate ranges, splice
 *   with another corpus entry, truncation, random bytes, and `havoc` (several of these stacked);
 * - protobuf-aware: the body is walked as nested protobuf messages (a LEN field whose payload parses
 *   as fields is taken for a sub-message) and one field is changed: its length prefix corrupted, its
 *   wire type or field number changed, repeated up to a thousand times, dropped, swapped with a
 *   sibling, or its value replaced (ids of the wrong length, invalid UTF-8, long strings, extreme
 *   varints). Structural edits rewrite every enclosing length prefix, so the request stays well-formed
 *   around the change and the decoder gets past it;
 * - JSON-aware: the body is parsed and one node is changed: another value type, nesting up to 100k
 *   deep, huge or out-of-range numbers, malformed ids, huge strings with escapes, repeated array
 *   elements, dropped or renamed keys. Replacement text is spliced into the serialized document, so
 *   it can be what JSON.stringify cannot produce (1e999, 10^6-digit literals, 100k-deep nesting).
 */
import { varint } from '../lib/ingest/otlp/testing/pb';
import { rng, type Rng } from '../lib/ingest/otlp/testing/rng';
import type { ContentKind } from './generators';

export { rng, type Rng };

export const int = (rand: Rng, n: number): number => Math.floor(rand() * n);
export const pick = <T>(rand: Rng, xs: readonly T[]): T => xs[int(rand, xs.length)];

export interface Seed {
  name: string;
  type: ContentKind;
  body: Uint8Array;
}

export interface Mutation {
  /** Name of the mutator that produced the body. */
  kind: string;
  body: Uint8Array;
}

/** Mutated bodies stay below this (a little over the server's 32 MiB default limit, to reach 413). */
const MAX_OUTPUT = 36 * 1024 * 1024;
/** JSON-aware mutators parse and re-serialize; larger JSON bodies get byte-level mutations only. */
const MAX_JSON_AWARE = 2 * 1024 * 1024;

function cat(...parts: Uint8Array[]): Uint8Array {
  return Buffer.concat(parts);
}

function randomBytes(rand: Rng, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = int(rand, 256);
  return b;
}

/** Lengths that probe boundaries: 0, small, varint size steps, around 2^31 / 2^32, 2^63, 2^64-1. */
function interestingLength(rand: Rng, current: number): bigint {
  const choices: bigint[] = [0n, 1n, 127n, 128n, 16383n, 16384n, 2n ** 31n - 1n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 53n + 1n, 2n ** 63n, 2n ** 64n - 1n];
  const r = rand();
  if (r < 0.3) return BigInt(Math.max(0, current + pick(rand, [-2, -1, 1, 2])));
  if (r < 0.45) return BigInt(current * 2 + int(rand, 64));
  if (r < 0.55) return 2n ** 32n + BigInt(current); // the same length modulo 2^32
  return pick(rand, choices);
}

// ------------------------------------------------------------------------------- byte level

type MutatorFn = (rand: Rng, b: Uint8Array, other: () => Uint8Array) => Uint8Array | null;

const INTERESTING_BYTES = [0x00, 0x01, 0x7f, 0x80, 0xff, 0xfe, 0x0a, 0x12, 0x22, 0x5b, 0x7b, 0x5c, 0xc0, 0xed];

const bitflip: MutatorFn = (rand, b) => {
  if (b.length === 0) return null;
  const m = Uint8Array.from(b);
  for (let i = 1 + int(rand, 8); i > 0; i--) m[int(rand, m.length)] ^= 1 << int(rand, 8);
  return m;
};

const setByte: MutatorFn = (rand, b) => {
  if (b.length === 0) return null;
  const m = Uint8Array.from(b);
  for (let i = 1 + int(rand, 4); i > 0; i--) m[int(rand, m.length)] = rand() < 0.7 ? pick(rand, INTERESTING_BYTES) : int(rand, 256);
  return m;
};

const insert: MutatorFn = (rand, b) => {
  const at = int(rand, b.length + 1);
  const ins = rand() < 0.5 ? randomBytes(rand, 1 + int(rand, 64)) : Uint8Array.from(varint(interestingLength(rand, b.length - at)));
  return cat(b.subarray(0, at), ins, b.subarray(at));
};

const del: MutatorFn = (rand, b) => {
  if (b.length === 0) return null;
  const at = int(rand, b.length);
  const n = 1 + int(rand, Math.min(256, b.length - at));
  return cat(b.subarray(0, at), b.subarray(at + n));
};

/** Copies a range and inserts it elsewhere, occasionally many times over. */
const duplicate: MutatorFn = (rand, b) => {
  if (b.length === 0) return null;
  const from = int(rand, b.length);
  const n = 1 + int(rand, Math.min(4096, b.length - from));
  const times = rand() < 0.9 ? 1 : 1 + int(rand, 1000);
  if (n * times + b.length > MAX_OUTPUT) return null;
  const range = b.subarray(from, from + n);
  const at = int(rand, b.length + 1);
  return cat(b.subarray(0, at), ...Array<Uint8Array>(times).fill(range), b.subarray(at));
};

/** Head of this input, tail of another one of the same content type. */
const splice: MutatorFn = (rand, b, other) => {
  const o = other();
  return cat(b.subarray(0, int(rand, b.length + 1)), o.subarray(int(rand, o.length + 1)));
};

const truncate: MutatorFn = (rand, b) => (b.length === 0 ? null : b.subarray(0, int(rand, b.length)));

/** Random bytes: usually short, sometimes up to 1 MiB. */
export function randomBody(rand: Rng): Uint8Array {
  return randomBytes(rand, rand() < 0.9 ? int(rand, 512) : int(rand, 1 << 20));
}

const BYTE_MUTATORS: Record<string, MutatorFn> = {
  bitflip,
  'set-byte': setByte,
  insert,
  delete: del,
  duplicate,
  splice,
  truncate,
  havoc: (rand, b, other) => {
    const fns = [bitflip, setByte, insert, del, duplicate, truncate];
    let m = b;
    for (let i = 2 + int(rand, 7); i > 0; i--) m = pick(rand, fns)(rand, m, other) ?? m;
    return m;
  },
};

// ------------------------------------------------------------------------------- protobuf-aware

interface PbField {
  /** first byte of the tag */
  start: number;
  tagEnd: number;
  /** LEN fields: first byte of the length varint (= tagEnd) and of the payload */
  lenPos: number;
  valStart: number;
  end: number;
  wt: number;
  /** index of the enclosing LEN field in the list, -1 at the top level */
  parent: number;
}

function readVarint(b: Uint8Array, p: number, end: number): { v: number; next: number } | null {
  let v = 0;
  let mul = 1;
  for (let i = 0; i < 10 && p < end; i++) {
    const c = b[p++];
    v += (c & 0x7f) * mul;
    if (c < 0x80) return { v, next: p };
    mul *= 128;
  }
  return null;
}

/**
 * The fields of a protobuf body, nested: a LEN payload that parses completely as fields is taken as
 * a sub-message (strings sometimes do too; mutating them as messages is fine). Bounded work: after
 * `budget` fields nothing more is recorded or descended into.
 */
export function walkProtobuf(b: Uint8Array, budget = 100_000): PbField[] {
  const out: PbField[] = [];
  // fields read, including those of payloads that turned out not to be messages (each byte can be
  // read once per nesting level): past 10 × budget the walk stops where it is
  let steps = 0;
  const parse = (s: number, e: number, parent: number, depth: number): boolean => {
    const mark = out.length;
    let p = s;
    while (p < e) {
      if (out.length >= budget || ++steps > 10 * budget) return true;
      const t = readVarint(b, p, e);
      if (!t || t.v < 8) { out.length = mark; return false; }
      const wt = t.v & 7;
      const f: PbField = { start: p, tagEnd: t.next, lenPos: -1, valStart: t.next, end: t.next, wt, parent };
      p = t.next;
      if (wt === 0) {
        const v = readVarint(b, p, e);
        if (!v) { out.length = mark; return false; }
        p = v.next;
      } else if (wt === 1 || wt === 5) {
        p += wt === 1 ? 8 : 4;
      } else if (wt === 2) {
        const l = readVarint(b, p, e);
        if (!l) { out.length = mark; return false; }
        f.lenPos = p;
        f.valStart = l.next;
        p = l.next + l.v;
      } else if (wt !== 3 && wt !== 4) {
        out.length = mark;
        return false;
      }
      if (p > e) { out.length = mark; return false; }
      f.end = p;
      out.push(f);
      if (wt === 2 && depth < 40 && f.end > f.valStart) parse(f.valStart, f.end, out.length - 1, depth + 1);
    }
    return true;
  };
  parse(0, b.length, -1, 0);
  return out;
}

/**
 * Replaces b[from, to) (inside the LEN field `parent`, or at the top level for -1) and rewrites the
 * length prefix of every enclosing field, so the message stays well-formed.
 */
function spliceFixed(b: Uint8Array, fields: PbField[], parent: number, from: number, to: number, ins: Uint8Array): Uint8Array {
  const edits = [{ from, to, bytes: ins }];
  let delta = ins.length - (to - from);
  for (let a = parent; a >= 0; a = fields[a].parent) {
    const f = fields[a];
    const nv = Uint8Array.from(varint(f.end - f.valStart + delta));
    edits.push({ from: f.lenPos, to: f.valStart, bytes: nv });
    delta += nv.length - (f.valStart - f.lenPos);
  }
  edits.sort((x, y) => x.from - y.from);
  const parts: Uint8Array[] = [];
  let p = 0;
  for (const e of edits) {
    parts.push(b.subarray(p, e.from), e.bytes);
    p = e.to;
  }
  parts.push(b.subarray(p));
  return cat(...parts);
}

const INVALID_UTF8 = [[0xff], [0xfe, 0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82], [0x00], [0xef, 0xbb, 0xbf]];

/** A replacement payload for a LEN field: ids of the wrong length, invalid UTF-8, long strings... */
function lenPayload(rand: Rng, b: Uint8Array, fields: PbField[], current: PbField): Uint8Array {
  const r = rand();
  if (r < 0.15) return new Uint8Array(0);
  if (r < 0.35) return randomBytes(rand, pick(rand, [1, 4, 7, 8, 9, 15, 16, 17, 32, 33])); // id-like lengths
  if (r < 0.5) {
    const cur = b.subarray(current.valStart, current.end);
    const at = int(rand, cur.length + 1);
    return cat(cur.subarray(0, at), Uint8Array.from(pick(rand, INVALID_UTF8)), cur.subarray(at));
  }
  if (r < 0.6) return Buffer.from('x€😀\u0000'.repeat(pick(rand, [1_000, 16_000, 200_000])));
  if (r < 0.85) {
    const others = fields.filter((f) => f.wt === 2);
    const o = pick(rand, others);
    return b.subarray(o.valStart, o.end); // another field's payload: messages moved to the wrong place
  }
  return randomBytes(rand, int(rand, 64));
}

function fieldOf(rand: Rng, fields: PbField[], wt?: number): number {
  if (wt === undefined) return int(rand, fields.length);
  const idx = fields.map((f, i) => (f.wt === wt ? i : -1)).filter((i) => i >= 0);
  return idx.length ? pick(rand, idx) : -1;
}

type PbMutatorFn = (rand: Rng, b: Uint8Array, fields: PbField[]) => Uint8Array | null;

export const PB_MUTATORS: Record<string, PbMutatorFn> = {
  /** Corrupts a length prefix (the enclosing ones are left as they were). */
  'pb-length': (rand, b, fields) => {
    const i = fieldOf(rand, fields, 2);
    if (i < 0) return null;
    const f = fields[i];
    let nv = varint(interestingLength(rand, f.end - f.valStart));
    if (rand() < 0.15 && nv.length <= 8) nv = [...nv.slice(0, -1), nv[nv.length - 1] | 0x80, 0x80, 0x00]; // same value, non-canonical
    if (rand() < 0.05) nv = Array(11).fill(0xff); // longer than 10 bytes
    return cat(b.subarray(0, f.lenPos), Uint8Array.from(nv), b.subarray(f.valStart));
  },
  'pb-wiretype': (rand, b, fields) => {
    if (!fields.length) return null;
    const f = fields[fieldOf(rand, fields)];
    const t = readVarint(b, f.start, f.tagEnd)!;
    const nt = Math.floor(t.v / 8) * 8 + ((t.v & 7) + 1 + int(rand, 7)) % 8;
    return cat(b.subarray(0, f.start), Uint8Array.from(varint(nt)), b.subarray(f.tagEnd));
  },
  'pb-field-number': (rand, b, fields) => {
    if (!fields.length) return null;
    const f = fields[fieldOf(rand, fields)];
    const t = readVarint(b, f.start, f.tagEnd)!;
    const fn = pick(rand, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 100, 2 ** 29 - 1, 2 ** 29, 2 ** 32]);
    return cat(b.subarray(0, f.start), Uint8Array.from(varint(fn * 8 + (t.v & 7))), b.subarray(f.tagEnd));
  },
  /** A field repeated (merge semantics, huge counts of spans / attributes / events...). */
  'pb-repeat-field': (rand, b, fields) => {
    if (!fields.length) return null;
    const f = fields[fieldOf(rand, fields)];
    const bytes = b.subarray(f.start, f.end);
    let times = rand() < 0.85 ? 2 + int(rand, 4) : pick(rand, [100, 1000, 10_000, 100_000]);
    times = Math.min(times, Math.floor((MAX_OUTPUT - b.length) / Math.max(1, bytes.length)));
    if (times < 2) return null;
    return spliceFixed(b, fields, f.parent, f.start, f.end, cat(...Array<Uint8Array>(times).fill(bytes)));
  },
  'pb-drop-field': (rand, b, fields) => {
    if (!fields.length) return null;
    const f = fields[fieldOf(rand, fields)];
    return spliceFixed(b, fields, f.parent, f.start, f.end, new Uint8Array(0));
  },
  /** Two fields of the same message trade places (order matters for last-wins and merging). */
  'pb-swap-fields': (rand, b, fields) => {
    if (fields.length < 2) return null;
    const a = fields[fieldOf(rand, fields)];
    const sibs = fields.filter((f) => f.parent === a.parent && f !== a);
    if (!sibs.length) return null;
    const c = pick(rand, sibs);
    const [x, y] = a.start < c.start ? [a, c] : [c, a];
    return cat(b.subarray(0, x.start), b.subarray(y.start, y.end), b.subarray(x.end, y.start), b.subarray(x.start, x.end), b.subarray(y.end));
  },
  /** A field's value replaced, enclosing lengths fixed up. */
  'pb-replace-value': (rand, b, fields) => {
    if (!fields.length) return null;
    const i = fieldOf(rand, fields);
    const f = fields[i];
    if (f.wt === 2) {
      const payload = lenPayload(rand, b, fields, f);
      // rewrite the field whole (tag, new length, payload) inside its parent
      return spliceFixed(b, fields, f.parent, f.start, f.end, cat(b.subarray(f.start, f.tagEnd), Uint8Array.from(varint(payload.length)), payload));
    }
    let value: Uint8Array;
    if (f.wt === 0) {
      const v = pick(rand, [0n, 1n, 2n, 5n, 6n, 127n, 128n, 2n ** 31n, 2n ** 32n, 2n ** 63n, 2n ** 64n - 1n]);
      value = rand() < 0.8 ? Uint8Array.from(varint(v)) : Uint8Array.from([0x80, 0x80, 0x80, 0x80, 0x00]); // or a non-canonical 0
    } else if (f.wt === 1) {
      const d = Buffer.alloc(8);
      if (rand() < 0.5) d.writeDoubleLE(pick(rand, [NaN, Infinity, -Infinity, -0, 5e-324, 1.7976931348623157e308]));
      else d.writeBigUInt64LE(pick(rand, [0n, 1n, 2n ** 63n, 2n ** 64n - 1n]));
      value = d;
    } else if (f.wt === 5) {
      value = randomBytes(rand, 4);
    } else {
      return null; // groups: nothing to replace
    }
    return spliceFixed(b, fields, f.parent, f.tagEnd, f.end, value);
  },
};

// ------------------------------------------------------------------------------- JSON-aware

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
interface JsonNode { parent: Json[] | { [k: string]: Json } | null; key: string | number }

/** Every node of a parsed document (iteratively: documents may be deep), up to `cap` nodes. */
function jsonNodes(root: Json, cap = 100_000): JsonNode[] {
  const out: JsonNode[] = [{ parent: null, key: '' }];
  const stack: Json[] = [root];
  while (stack.length && out.length < cap) {
    const v = stack.pop()!;
    if (Array.isArray(v)) v.forEach((x, i) => { out.push({ parent: v, key: i }); stack.push(x); });
    else if (v && typeof v === 'object') for (const k of Object.keys(v)) { out.push({ parent: v, key: k }); stack.push(v[k]); }
  }
  return out;
}

const nodeValue = (root: Json, n: JsonNode): Json => (n.parent === null ? root : (n.parent as Record<string | number, Json>)[n.key]);

function nest(rand: Rng, inner: string): string {
  const depth = pick(rand, [33, 100, 1_000, 10_000, 100_000]);
  const [open, close] = pick(rand, [
    ['[', ']'],
    ['{"a":', '}'],
    ['{"arrayValue":{"values":[', ']}}'],
    ['{"kvlistValue":{"values":[{"key":"k","value":', '}]}}'],
    ['{"value":', '}'],
  ] as const);
  return open.repeat(depth) + inner + close.repeat(depth);
}

const OTHER_VALUES = ['0', '-1', '1.5', '""', '"x"', 'true', 'false', 'null', '[]', '{}', '[1,"a",null]', '{"a":1}', '{"stringValue":"s"}', '"SPAN_KIND_SERVER"', '"AAAA"'];
const HUGE_NUMBERS = [
  '1e999', '-1e999', '1e-400', '-0', '0.0', '18446744073709551616', '-9223372036854775809', '9223372036854775808',
  '1.7976931348623157e309', '123456789012345678901234567890', '0.000000000000000000000000000001', '4.9e-324',
  '"18446744073709551616"', '"-9223372036854775809"', '"+1"', '"-0"', '"0x10"', '"1e3"', '" 1"', '"NaN"', '"Infinity"', '"-Infinity"', '"1.5"', '""',
];

function hugeNumber(rand: Rng): string {
  if (rand() < 0.15) return '9'.repeat(pick(rand, [400, 100_000, 1_000_000]));
  if (rand() < 0.1) return `"${'9'.repeat(pick(rand, [21, 400, 100_000, 1_000_000]))}"`;
  return pick(rand, HUGE_NUMBERS);
}

function badId(rand: Rng): string {
  const hex = (n: number) => {
    let s = '';
    for (let i = 0; i < n; i++) s += '0123456789abcdef'[int(rand, 16)];
    return s;
  };
  const choices: (() => string)[] = [
    () => '""', () => `"${hex(31)}"`, () => `"${hex(30)}"`, () => `"${hex(34)}"`, () => `"${hex(14)}"`, () => `"${hex(18)}"`,
    () => `"${'0'.repeat(32)}"`, () => `"${'0'.repeat(16)}"`, () => `"${hex(32).toUpperCase()}"`, () => `"${'zz'.repeat(16)}"`,
    () => '"AQIDBAUGBwgJCgsMDQ4PEA=="', () => '"AQIDBAUGBwg="', () => '123', () => '1e30', () => 'null', () => '[]', () => '{}', () => 'true',
    () => `"${'ab'.repeat(1024 * 1024)}"`, () => `"${hex(16)}\\u0000"`, () => '"\\ud800\\ud800\\ud800\\ud800\\ud800\\ud800\\ud800\\ud800"',
  ];
  return pick(rand, choices)();
}

function hugeString(rand: Rng): string {
  const unit = pick(rand, ['x', '€😀', '\\u0000', '\\ud800', '\\udfff\\ud800', '\\"\\\\', '\\n\\t', '<script>', '\u202e']);
  return `"${unit.repeat(rand() < 0.9 ? pick(rand, [100, 1_000, 65_536]) : 1_000_000)}"`;
}

const OTLP_KEYS = [
  'resourceSpans', 'resource_spans', 'scopeSpans', 'scope_spans', 'spans', 'resource', 'scope', 'attributes', 'key', 'value',
  'traceId', 'trace_id', 'spanId', 'span_id', 'parentSpanId', 'name', 'kind', 'startTimeUnixNano', 'end_time_unix_nano', 'events', 'links',
  'status', 'code', 'message', 'stringValue', 'intValue', 'doubleValue', 'boolValue', 'bytesValue', 'arrayValue', 'kvlistValue', 'values',
  'traceState', 'droppedAttributesCount', '__proto__', 'constructor', '', 'resourceSpans ',
];

type JsonMutatorFn = (rand: Rng, root: Json, nodes: JsonNode[]) => string | null;

/** The document with the node `n` replaced by raw JSON text. */
function replaceNode(root: Json, n: JsonNode, text: string): string | null {
  if (n.parent === null) return text;
  const marker = '\u0001fuzz-marker\u0001';
  const parent = n.parent as Record<string | number, Json>;
  const old = parent[n.key];
  parent[n.key] = marker;
  try {
    const s = JSON.stringify(root);
    const m = JSON.stringify(marker);
    const at = s.indexOf(m);
    return s.slice(0, at) + text + s.slice(at + m.length);
  } catch {
    return null; // e.g. too deep for JSON.stringify
  } finally {
    parent[n.key] = old;
  }
}

function stringify(root: Json): string | null {
  try {
    return JSON.stringify(root);
  } catch {
    return null;
  }
}

const JSON_MUTATORS: Record<string, JsonMutatorFn> = {
  'json-type-swap': (rand, root, nodes) => {
    const n = pick(rand, nodes);
    const cur = stringify(nodeValue(root, n));
    const others = OTHER_VALUES.filter((v) => v !== cur);
    return replaceNode(root, n, pick(rand, others));
  },
  'json-deep-nest': (rand, root, nodes) => {
    const n = pick(rand, nodes);
    const inner = stringify(nodeValue(root, n));
    return inner === null ? null : replaceNode(root, n, nest(rand, inner));
  },
  'json-huge-number': (rand, root, nodes) => {
    const prims = nodes.filter((n) => n.parent !== null && typeof nodeValue(root, n) !== 'object');
    return replaceNode(root, pick(rand, prims.length ? prims : nodes), hugeNumber(rand));
  },
  'json-bad-id': (rand, root, nodes) => {
    const ids = nodes.filter((n) => typeof n.key === 'string' && /id$/i.test(n.key));
    return ids.length ? replaceNode(root, pick(rand, ids), badId(rand)) : null;
  },
  'json-huge-string': (rand, root, nodes) => {
    const strs = nodes.filter((n) => typeof nodeValue(root, n) === 'string');
    return replaceNode(root, pick(rand, strs.length ? strs : nodes), hugeString(rand));
  },
  /** An array element repeated, up to 100k times (huge span / attribute / resource counts). */
  'json-repeat': (rand, root, nodes) => {
    const arrs = nodes.filter((n) => { const v = nodeValue(root, n); return Array.isArray(v) && v.length > 0; });
    if (!arrs.length) return null;
    const n = pick(rand, arrs);
    const arr = nodeValue(root, n) as Json[];
    const el = stringify(arr[int(rand, arr.length)]);
    if (el === null) return null;
    let times = rand() < 0.85 ? 2 + int(rand, 4) : pick(rand, [100, 1000, 10_000, 100_000]);
    times = Math.min(times, Math.floor(MAX_OUTPUT / 2 / (el.length + 1)));
    if (times < 1) return null;
    const rest = arr.map((x) => stringify(x)).join(',');
    return replaceNode(root, n, `[${rest},${Array(times).fill(el).join(',')}]`);
  },
  'json-drop': (rand, root, nodes) => {
    const inner = nodes.filter((x) => x.parent !== null);
    if (!inner.length) return null;
    const n = pick(rand, inner);
    const parent = n.parent!;
    if (Array.isArray(parent)) {
      const old = parent.splice(n.key as number, 1);
      const s = stringify(root);
      parent.splice(n.key as number, 0, ...old);
      return s;
    }
    const copy = { ...parent };
    delete copy[n.key as string];
    const holder = nodes.find((x) => nodeValue(root, x) === parent);
    const text = stringify(copy);
    return holder && text !== null ? replaceNode(root, holder, text) : null;
  },
  'json-rename-key': (rand, root, nodes) => {
    const keyed = nodes.filter((n) => n.parent !== null && !Array.isArray(n.parent));
    if (!keyed.length) return null;
    const n = pick(rand, keyed);
    const parent = n.parent as Record<string, Json>;
    const renamed = pick(rand, OTLP_KEYS);
    // keep key order; JSON text so that "__proto__" stays an ordinary key
    const body = Object.keys(parent).map((k) => `${JSON.stringify(k === n.key ? renamed : k)}:${stringify(parent[k]) ?? 'null'}`).join(',');
    const holder = nodes.find((x) => nodeValue(root, x) === parent);
    return holder ? replaceNode(root, holder, `{${body}}`) : null;
  },
};

const JSON_TOKENS = ['{', '}', '[', ']', ',', ':', '"', '\\', 'null', 'true', '1e999', '"traceId"', '"spans"', '"attributes"', '{"key":"k","value":{}}', '\u0000', '\ud800', '\uffff'];

/** A JSON token inserted at a random offset (works on bodies that do not parse). */
const jsonToken: MutatorFn = (rand, b) => {
  const at = int(rand, b.length + 1);
  return cat(b.subarray(0, at), Buffer.from(pick(rand, JSON_TOKENS)), b.subarray(at));
};

/** Every mutator name, for reports and tests. */
export const MUTATOR_NAMES: readonly string[] = [...Object.keys(BYTE_MUTATORS), ...Object.keys(PB_MUTATORS), ...Object.keys(JSON_MUTATORS), 'json-token'];

function byteMutation(rand: Rng, seed: Seed, other: () => Uint8Array): Mutation {
  const names = Object.keys(BYTE_MUTATORS);
  for (let tries = 0; tries < 4; tries++) {
    const kind = pick(rand, names);
    const body = BYTE_MUTATORS[kind](rand, seed.body, other);
    if (body && body.length <= MAX_OUTPUT) return { kind, body };
  }
  return { kind: 'insert', body: insert(rand, seed.body, other)! };
}

/**
 * One mutation of `seed`: about half the time aware of its encoding (protobuf or JSON), else byte
 * level. `other(type)` gives another corpus entry of that type, for splicing.
 */
export function mutate(rand: Rng, seed: Seed, other: (type: ContentKind) => Uint8Array): Mutation {
  const otherSame = () => other(seed.type);
  if (rand() < 0.45) return byteMutation(rand, seed, otherSame);
  if (seed.type === 'protobuf') {
    const fields = walkProtobuf(seed.body);
    if (fields.length) {
      const names = Object.keys(PB_MUTATORS);
      for (let tries = 0; tries < 4; tries++) {
        const kind = pick(rand, names);
        const body = PB_MUTATORS[kind](rand, seed.body, fields);
        if (body && body.length <= MAX_OUTPUT) return { kind, body };
      }
    }
    return byteMutation(rand, seed, otherSame);
  }
  if (rand() < 0.1) return { kind: 'json-token', body: jsonToken(rand, seed.body, otherSame)! };
  if (seed.body.length <= MAX_JSON_AWARE) {
    let root: Json | undefined;
    try {
      root = JSON.parse(Buffer.from(seed.body).toString('utf8')) as Json;
    } catch {
      root = undefined;
    }
    if (root !== undefined) {
      const nodes = jsonNodes(root);
      const names = Object.keys(JSON_MUTATORS);
      for (let tries = 0; tries < 4; tries++) {
        const kind = pick(rand, names);
        const text = JSON_MUTATORS[kind](rand, root, nodes);
        if (text !== null && text.length <= MAX_OUTPUT) return { kind, body: Buffer.from(text) };
      }
    }
  }
  return byteMutation(rand, seed, otherSame);
}
