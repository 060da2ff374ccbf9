/**
 * The one writer of `otel_traces` RowBinary rows. It owns the column order (SPAN_COLUMNS) and the
 * bytes of the enum columns; each producer (protobuf decoder, OTLP/JSON decoder, the simulator's
 * seeder) only says how to write each column from its own input, through a SpanRowSource.
 *
 * Enum strings follow the Collector's clickhouseexporter v0.159 (ptrace SpanKind.String() /
 * StatusCode.String()): a number outside the enum is written as '' (payscope before issue 16 wrote
 * 'Unspecified' / 'Unset'; rows it wrote stay valid, readers only compare against the known names).
 * Map columns hold their entries in key byte order, as the Collector's clickhouse-go ordered map
 * writes them (sortMapEntries). docs/schema.md lists every column against the Collector's source.
 */
import { encodeRowBinaryString, RowBinaryWriter } from './rowbinary';

/** The OpenTelemetry Collector clickhouseexporter `otel_traces` columns, in RowBinary row order. */
export const SPAN_COLUMNS: ReadonlyArray<{ readonly name: string; readonly type: string }> = Object.freeze([
  { name: 'Timestamp', type: 'DateTime64(9)' },
  { name: 'TraceId', type: 'String' },
  { name: 'SpanId', type: 'String' },
  { name: 'ParentSpanId', type: 'String' },
  { name: 'TraceState', type: 'String' },
  { name: 'SpanName', type: 'LowCardinality(String)' },
  { name: 'SpanKind', type: 'LowCardinality(String)' },
  { name: 'ServiceName', type: 'LowCardinality(String)' },
  { name: 'ResourceAttributes', type: 'Map(LowCardinality(String), String)' },
  { name: 'ScopeName', type: 'String' },
  { name: 'ScopeVersion', type: 'String' },
  { name: 'SpanAttributes', type: 'Map(LowCardinality(String), String)' },
  { name: 'Duration', type: 'UInt64' },
  { name: 'StatusCode', type: 'LowCardinality(String)' },
  { name: 'StatusMessage', type: 'String' },
  { name: 'Events.Timestamp', type: 'Array(DateTime64(9))' },
  { name: 'Events.Name', type: 'Array(LowCardinality(String))' },
  { name: 'Events.Attributes', type: 'Array(Map(LowCardinality(String), String))' },
  { name: 'Links.TraceId', type: 'Array(String)' },
  { name: 'Links.SpanId', type: 'Array(String)' },
  { name: 'Links.TraceState', type: 'Array(String)' },
  { name: 'Links.Attributes', type: 'Array(Map(LowCardinality(String), String))' },
].map((c) => Object.freeze(c)));

/** SpanKind names by OTLP enum number, as the Collector writes them (ptrace.SpanKind.String()). */
export const SPAN_KIND_NAMES = ['Unspecified', 'Internal', 'Server', 'Client', 'Producer', 'Consumer'] as const;
/** StatusCode names by OTLP enum number (ptrace.StatusCode.String()). */
export const STATUS_CODE_NAMES = ['Unset', 'Ok', 'Error'] as const;

export function spanKindName(kind: number): string {
  return kind >= 0 && kind < SPAN_KIND_NAMES.length ? SPAN_KIND_NAMES[kind] : '';
}

export function statusCodeName(code: number): string {
  return code >= 0 && code < STATUS_CODE_NAMES.length ? STATUS_CODE_NAMES[code] : '';
}

/** Index of the unknown kind ('') in KIND_BYTES. */
const KIND_UNKNOWN = SPAN_KIND_NAMES.length;
const KIND_BYTES: Uint8Array[] = [...SPAN_KIND_NAMES, ''].map(encodeRowBinaryString);
const STATUS_BYTES: Uint8Array[] = [...STATUS_CODE_NAMES, ''].map(encodeRowBinaryString);

function kindIndex(kind: number): number {
  return kind >= 0 && kind < KIND_UNKNOWN ? kind : KIND_UNKNOWN;
}

/** ServiceName and ResourceAttributes (columns 8-9) of one resource, each as RowBinary. */
export interface ResourceColumns {
  /** RowBinary String */
  readonly serviceName: Uint8Array;
  /** RowBinary Map(String, String) */
  readonly attributes: Uint8Array;
}

/**
 * Columns 8-11 (ServiceName, ResourceAttributes, ScopeName, ScopeVersion), the same for every span of
 * one scope: encoded once, then copied per span together with the SpanKind column that precedes them.
 */
export class ScopeColumns {
  private readonly bytes: Uint8Array;
  /** SpanKind bytes followed by `bytes`, per kind index, built on first use. */
  private readonly withKinds: Array<Uint8Array | undefined> = new Array(KIND_UNKNOWN + 1);

  /** `scopeName` / `scopeVersion` are RowBinary Strings. */
  constructor(resource: ResourceColumns, scopeName: Uint8Array, scopeVersion: Uint8Array) {
    const w = new RowBinaryWriter(resource.serviceName.length + resource.attributes.length + scopeName.length + scopeVersion.length);
    w.writeRaw(resource.serviceName);
    const at = w.pos;
    w.writeRaw(resource.attributes);
    // once per scope: the resource's map, sorted like every other map column
    sortMapEntries(w, at);
    w.writeRaw(scopeName);
    w.writeRaw(scopeVersion);
    const out = new Uint8Array(w.pos);
    out.set(w.buf.subarray(0, w.pos));
    this.bytes = out;
  }

  /** Columns 7-11 for a span of this kind (OTLP enum number). */
  withKind(kind: number): Uint8Array {
    const k = kindIndex(kind);
    let kb = this.withKinds[k];
    if (kb === undefined) {
      const kindBytes = KIND_BYTES[k];
      kb = new Uint8Array(kindBytes.length + this.bytes.length);
      kb.set(kindBytes, 0);
      kb.set(this.bytes, kindBytes.length);
      this.withKinds[k] = kb;
    }
    return kb;
  }
}

/**
 * What a producer of rows supplies for the span being written; writeSpanRow calls it in column order.
 * Methods write the named column(s) as RowBinary into `w`.
 */
export interface SpanRowSource {
  /** 1: Timestamp (DateTime64(9), the start time) */
  writeTimestamp(w: RowBinaryWriter): void;
  /** 2-4: TraceId, SpanId, ParentSpanId (lowercase hex; '' for no parent) */
  writeIds(w: RowBinaryWriter): void;
  /** 5 */
  writeTraceState(w: RowBinaryWriter): void;
  /** 6 */
  writeName(w: RowBinaryWriter): void;
  /** 7: SpanKind as the OTLP enum number */
  spanKind(): number;
  /** 8-11 */
  scopeColumns(): ScopeColumns;
  /** 12: SpanAttributes (Map) */
  writeAttributes(w: RowBinaryWriter): void;
  /** 13: Duration (UInt64 nanoseconds) */
  writeDuration(w: RowBinaryWriter): void;
  /** 14: StatusCode as the OTLP enum number (called before writeStatusMessage) */
  statusCode(): number;
  /** 15 */
  writeStatusMessage(w: RowBinaryWriter): void;
  /** Events.*: how many; then each column's element i */
  eventCount(): number;
  writeEventTimestamp(w: RowBinaryWriter, i: number): void;
  writeEventName(w: RowBinaryWriter, i: number): void;
  writeEventAttributes(w: RowBinaryWriter, i: number): void;
  /** Links.*: how many; then each column's element i */
  linkCount(): number;
  writeLinkTraceId(w: RowBinaryWriter, i: number): void;
  writeLinkSpanId(w: RowBinaryWriter, i: number): void;
  writeLinkTraceState(w: RowBinaryWriter, i: number): void;
  writeLinkAttributes(w: RowBinaryWriter, i: number): void;
}

/** Appends one `otel_traces` row, columns in SPAN_COLUMNS order. */
export function writeSpanRow(w: RowBinaryWriter, src: SpanRowSource): void {
  src.writeTimestamp(w);
  src.writeIds(w);
  src.writeTraceState(w);
  src.writeName(w);
  w.writeRaw(src.scopeColumns().withKind(src.spanKind()));
  let at = w.pos;
  src.writeAttributes(w);
  sortMapEntries(w, at);
  src.writeDuration(w);
  const code = src.statusCode();
  w.writeRaw(STATUS_BYTES[code >= 0 && code < STATUS_CODE_NAMES.length ? code : STATUS_CODE_NAMES.length]);
  src.writeStatusMessage(w);
  const ne = src.eventCount();
  w.writeVarUInt(ne);
  for (let i = 0; i < ne; i++) src.writeEventTimestamp(w, i);
  w.writeVarUInt(ne);
  for (let i = 0; i < ne; i++) src.writeEventName(w, i);
  w.writeVarUInt(ne);
  for (let i = 0; i < ne; i++) {
    at = w.pos;
    src.writeEventAttributes(w, i);
    sortMapEntries(w, at);
  }
  const nl = src.linkCount();
  w.writeVarUInt(nl);
  for (let i = 0; i < nl; i++) src.writeLinkTraceId(w, i);
  w.writeVarUInt(nl);
  for (let i = 0; i < nl; i++) src.writeLinkSpanId(w, i);
  w.writeVarUInt(nl);
  for (let i = 0; i < nl; i++) src.writeLinkTraceState(w, i);
  w.writeVarUInt(nl);
  for (let i = 0; i < nl; i++) {
    at = w.pos;
    src.writeLinkAttributes(w, i);
    sortMapEntries(w, at);
  }
}

/**
 * Duration column from start and end times (unsigned 64-bit, as 32-bit halves): end - start with the
 * borrow across the halves, 0 when the span ends before it starts. (The Collector's unsigned End - Start
 * wraps to ~1.8e19 there; one such value would dominate every duration aggregate, so payscope differs.)
 */
export function writeDurationNs(w: RowBinaryWriter, sLo: number, sHi: number, eLo: number, eHi: number): void {
  if (eHi > sHi || (eHi === sHi && eLo >= sLo)) {
    let dLo = eLo - sLo;
    let dHi = eHi - sHi;
    if (dLo < 0) {
      dLo += 4294967296;
      dHi -= 1;
    }
    w.writeUInt64(dLo, dHi);
  } else {
    w.writeUInt64(0, 0);
  }
}

/** Position after the last LEB128 read by readLeb (saves allocating a pair per read). */
let lebEnd = 0;

function readLeb(b: Uint8Array, p: number): number {
  let v = 0;
  let mul = 1;
  let c: number;
  do {
    c = b[p++];
    v += (c & 0x7f) * mul;
    mul *= 128;
  } while (c & 0x80);
  lebEnd = p;
  return v;
}

/** Byte-wise comparison of b[as, ae) and b[bs, be), as Go compares strings. */
function compareBytes(b: Uint8Array, as: number, ae: number, bs: number, be: number): number {
  const n = Math.min(ae - as, be - bs);
  for (let i = 0; i < n; i++) {
    const d = b[as + i] - b[bs + i];
    if (d !== 0) return d;
  }
  return ae - as - (be - bs);
}

/** Entry bounds of the map being sorted: key start, key end, entry start, entry end; reused across calls. */
let bounds = new Int32Array(256);
/** First 6 key bytes as a number (exact in a double), so most comparisons are one number compare. */
let prefix = new Float64Array(64);
let order = new Int32Array(64);

/**
 * Sorts the entries of the RowBinary Map(String, String) written at w.buf[start, w.pos) by key bytes,
 * in place. The Collector's clickhouseexporter (internal.AttributesToMap → clickhouse-go
 * orderedmap.CollectN) sorts each attribute map with slices.SortFunc(cmp.Compare) before writing it,
 * so the stored map is in key order whatever order the request had. Duplicate keys keep their request
 * order (Go's sort is an insertion sort, stable, up to 12 entries; beyond that the Collector's order
 * of duplicates is unspecified).
 */
export function sortMapEntries(w: RowBinaryWriter, start: number): void {
  let b = w.buf;
  const n = readLeb(b, start);
  if (n < 2) return;
  const first = lebEnd;
  if (bounds.length < n * 4) bounds = new Int32Array(n * 8);
  if (order.length < n) {
    order = new Int32Array(n * 2);
    prefix = new Float64Array(n * 2);
  }
  const bd = bounds;
  const pf = prefix;
  let p = first;
  let sorted = true;
  for (let i = 0; i < n; i++) {
    let ks: number;
    let ke: number;
    let ee: number;
    const kl = b[p];
    if (kl < 0x80) {
      ks = p + 1;
      ke = ks + kl;
    } else {
      ke = readLeb(b, p);
      ks = lebEnd;
      ke += ks;
    }
    const vl = b[ke];
    if (vl < 0x80) ee = ke + 1 + vl;
    else ee = readLeb(b, ke) + lebEnd;
    const j = i * 4;
    bd[j] = ks;
    bd[j + 1] = ke;
    bd[j + 2] = p;
    bd[j + 3] = ee;
    let v = 0;
    for (let t = 0; t < 6; t++) v = v * 256 + (ks + t < ke ? b[ks + t] : 0);
    pf[i] = v;
    if (sorted && i > 0 && (pf[i - 1] > v || (pf[i - 1] === v && compareBytes(b, bd[j - 4], bd[j - 3], ks, ke) > 0))) sorted = false;
    p = ee;
  }
  if (sorted) return;
  // stable sort of entry indices: insertion sort for the usual short maps, merge sort (Array.sort) for
  // long ones so that the cost stays n log n whatever the request holds
  const o = order;
  if (n <= 16) {
    for (let i = 0; i < n; i++) {
      const vi = pf[i];
      const ki = i * 4;
      let k = i;
      while (k > 0) {
        const pi = o[k - 1];
        const vp = pf[pi];
        if (vp < vi || (vp === vi && compareBytes(b, bd[pi * 4], bd[pi * 4 + 1], bd[ki], bd[ki + 1]) <= 0)) break;
        o[k] = pi;
        k--;
      }
      o[k] = i;
    }
  } else {
    const idx = Array.from({ length: n }, (_, i) => i);
    idx.sort((x, y) => pf[x] - pf[y] || compareBytes(b, bd[x * 4], bd[x * 4 + 1], bd[y * 4], bd[y * 4 + 1]));
    for (let i = 0; i < n; i++) o[i] = idx[i];
  }
  // the sorted entries are assembled past the map (room reserved there), then moved over it
  const len = p - first;
  w.reserve(len);
  b = w.buf;
  let q = p;
  for (let i = 0; i < n; i++) {
    const j = o[i] * 4;
    const es = bd[j + 2];
    const ee = bd[j + 3];
    if (ee - es <= 16) {
      for (let x = es; x < ee; x++) b[q++] = b[x];
    } else {
      b.copyWithin(q, es, ee);
      q += ee - es;
    }
  }
  b.copyWithin(first, p, p + len);
}
