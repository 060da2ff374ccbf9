/**
 * Protobuf wire-format reading for the OTLP decoder: the field tables of the OTLP messages (field
 * number, name, wire type), tags derived from them, and WireReader, a cursor over the request bytes
 * that reads varints, tags and length prefixes and skips unknown fields by wire type (groups
 * included), with errors that say where in the request they happened.
 */
import { OtlpDecodeError } from './errors';

const WT_NAMES = ['VARINT', 'I64', 'LEN', 'SGROUP', 'EGROUP', 'I32', '6', '7'];

/** Max nesting of unknown groups being skipped. */
const MAX_GROUP_DEPTH = 32;


/** Expected wire type per field number (-1 unknown) and field names, per message type. */
export interface MsgSpec {
  name: string;
  wt: number[];
  fields: string[];
}
export function spec(name: string, fields: Array<[number, string, number]>): MsgSpec {
  const max = Math.max(...fields.map((f) => f[0]));
  const wt = new Array<number>(max + 1).fill(-1);
  const names = new Array<string>(max + 1).fill('');
  for (const [n, fname, w] of fields) {
    wt[n] = w;
    names[n] = fname;
  }
  return { name, wt, fields: names };
}
export const M_REQUEST = spec('ExportTraceServiceRequest', [[1, 'resource_spans', 2]]);
export const M_RESOURCE_SPANS = spec('ResourceSpans', [[1, 'resource', 2], [2, 'scope_spans', 2], [3, 'schema_url', 2]]);
export const M_RESOURCE = spec('Resource', [[1, 'attributes', 2], [2, 'dropped_attributes_count', 0]]);
export const M_SCOPE_SPANS = spec('ScopeSpans', [[1, 'scope', 2], [2, 'spans', 2], [3, 'schema_url', 2]]);
export const M_SCOPE = spec('InstrumentationScope', [[1, 'name', 2], [2, 'version', 2], [3, 'attributes', 2], [4, 'dropped_attributes_count', 0]]);
export const M_SPAN = spec('Span', [
  [1, 'trace_id', 2], [2, 'span_id', 2], [3, 'trace_state', 2], [4, 'parent_span_id', 2], [5, 'name', 2],
  [6, 'kind', 0], [7, 'start_time_unix_nano', 1], [8, 'end_time_unix_nano', 1], [9, 'attributes', 2],
  [10, 'dropped_attributes_count', 0], [11, 'events', 2], [12, 'dropped_events_count', 0], [13, 'links', 2],
  [14, 'dropped_links_count', 0], [15, 'status', 2], [16, 'flags', 5],
]);
export const M_EVENT = spec('Span.Event', [[1, 'time_unix_nano', 1], [2, 'name', 2], [3, 'attributes', 2], [4, 'dropped_attributes_count', 0]]);
export const M_LINK = spec('Span.Link', [
  [1, 'trace_id', 2], [2, 'span_id', 2], [3, 'trace_state', 2], [4, 'attributes', 2], [5, 'dropped_attributes_count', 0], [6, 'flags', 5],
]);
export const M_STATUS = spec('Status', [[1, 'deprecated_code', 0], [2, 'message', 2], [3, 'code', 0]]);
export const M_KEYVALUE = spec('KeyValue', [[1, 'key', 2], [2, 'value', 2]]);
export const M_ANYVALUE = spec('AnyValue', [
  [1, 'string_value', 2], [2, 'bool_value', 0], [3, 'int_value', 0], [4, 'double_value', 1], [5, 'array_value', 2],
  [6, 'kvlist_value', 2], [7, 'bytes_value', 2],
]);
export const M_ARRAYVALUE = spec('ArrayValue', [[1, 'values', 2]]);
export const M_KVLIST = spec('KeyValueList', [[1, 'values', 2]]);

export const WT_I64 = 1;
export const WT_LEN = 2;

/** The tag of a field as its table gives it: field number << 3 | wire type. */
export function tagOf(m: MsgSpec, field: string): number {
  const n = m.fields.indexOf(field);
  if (n <= 0) throw new Error(`${m.name} has no field ${field}`);
  return n * 8 + m.wt[n];
}

const M_UNKNOWN: MsgSpec = { name: 'unknown', wt: [], fields: [] };

export function u32(b: Uint8Array, p: number): number {
  return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
}

export function allZero(b: Uint8Array, s: number, e: number): boolean {
  for (let i = s; i < e; i++) if (b[i] !== 0) return false;
  return true;
}

export function bytesEqual(b: Uint8Array, s: number, e: number, x: Uint8Array): boolean {
  if (e - s !== x.length) return false;
  for (let i = 0; i < x.length; i++) if (b[s + i] !== x[i]) return false;
  return true;
}

/** A cursor over one request's bytes, with the place being decoded for error messages. */
export class WireReader {
  readonly b: Uint8Array;
  readonly dv: DataView;
  /** cursor for the reading helpers */
  p = 0;
  /** result of readVarint64 */
  lo = 0;
  hi = 0;
  // error context
  ri = -1;
  si = -1;
  ki = -1;
  /** error context below the span: a section name, optionally with an index (event 2) */
  sect = '';
  sectIdx = -1;
  sectTail = '';

  constructor(body: Uint8Array) {
    this.b = body;
    this.dv = new DataView(body.buffer, body.byteOffset, body.byteLength);
  }

  // ---------------------------------------------------------------- errors

  private where(): string {
    const parts: string[] = [];
    if (this.ri >= 0) parts.push(`resource_spans ${this.ri}`);
    if (this.si >= 0) parts.push(`scope_spans ${this.si}`);
    if (this.ki >= 0) parts.push(`span ${this.ki}`);
    if (this.sect) parts.push(this.sect + (this.sectIdx >= 0 ? ` ${this.sectIdx}` : '') + (this.sectTail ? ` ${this.sectTail}` : ''));
    return parts.length ? parts.join(', ') : 'request';
  }

  fail(kind: 'truncated protobuf' | 'invalid protobuf', detail: string): never {
    throw new OtlpDecodeError(`${kind}: ${this.where()}: ${detail} (at byte ${this.p} of ${this.b.length})`);
  }

  // ---------------------------------------------------------------- primitive readers

  /** General varint at this.p (up to 10 bytes), value as a double (exact below 2^53). */
  readVarint(end: number): number {
    const b = this.b;
    let p = this.p;
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (p >= end) {
        this.p = p;
        this.fail('truncated protobuf', 'varint runs past the end of its message');
      }
      const c = b[p++];
      if (i === 9 && c > 1) {
        this.p = p - 1;
        this.fail('invalid protobuf', 'varint overflows 64 bits');
      }
      result += (c & 0x7f) * mul;
      if (c < 0x80) {
        this.p = p;
        return result;
      }
      mul *= 128;
    }
    this.fail('invalid protobuf', 'varint longer than 10 bytes');
  }

  /** Varint at this.p as exact 64 bits in this.lo / this.hi (unsigned 32-bit halves). */
  readVarint64(end: number): void {
    const b = this.b;
    let p = this.p;
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (p >= end) {
        this.p = p;
        this.fail('truncated protobuf', 'varint runs past the end of its message');
      }
      const c = b[p++];
      const v = c & 0x7f;
      if (i < 4) lo |= v << (7 * i);
      else if (i === 4) {
        lo |= v << 28;
        hi |= v >>> 4;
      } else {
        if (i === 9 && c > 1) {
          this.p = p - 1;
          this.fail('invalid protobuf', 'varint overflows 64 bits');
        }
        hi |= v << (7 * i - 32);
      }
      if (c < 0x80) {
        this.p = p;
        this.lo = lo >>> 0;
        this.hi = hi >>> 0;
        return;
      }
    }
    this.fail('invalid protobuf', 'varint longer than 10 bytes');
  }

  /** Tag at this.p (this.p < end). Returns fieldNumber * 8 + wireType. */
  readTag(end: number): number {
    const c = this.b[this.p];
    if (c >= 8 && c < 0x80) {
      this.p++;
      return c;
    }
    return this.readTagSlow(end);
  }

  private readTagSlow(end: number): number {
    const c = this.b[this.p];
    if (c < 8) {
      this.p++;
      this.fail('invalid protobuf', `invalid field number 0 (tag byte ${c})`);
    }
    const t = this.readVarint(end);
    if (t < 8) this.fail('invalid protobuf', 'invalid field number 0');
    return t;
  }

  /** Length prefix at this.p, checked against end; this.p moves past the prefix. */
  readLen(end: number): number {
    const p = this.p;
    const len = this.b[p];
    if (len < 0x80 && p < end && len < end - p) {
      this.p = p + 1;
      return len;
    }
    return this.readLenSlow(end);
  }

  private readLenSlow(end: number): number {
    const b = this.b;
    let p = this.p;
    if (p >= end) this.fail('truncated protobuf', 'length prefix missing');
    let len = b[p];
    if (len < 0x80) {
      p++;
    } else if (p + 1 < end && b[p + 1] < 0x80) {
      len = (len & 0x7f) | (b[p + 1] << 7);
      p += 2;
    } else {
      len = this.readVarint(end);
      p = this.p;
    }
    if (len > end - p) {
      this.p = p;
      this.fail('truncated protobuf', `length ${len} exceeds remaining ${end - p} bytes`);
    }
    this.p = p;
    return len;
  }

  /** Skips the payload of a field whose tag was just read (this.p after the tag). */
  skip(tag: number, end: number, m: MsgSpec, depth = 0): void {
    const wt = tag % 8;
    const fn = (tag - wt) / 8;
    if (fn < m.wt.length && m.wt[fn] >= 0 && m.wt[fn] !== wt) {
      this.fail('invalid protobuf', `wrong wire type ${WT_NAMES[wt]} for ${m.name}.${m.fields[fn]} (field ${fn}, expected ${WT_NAMES[m.wt[fn]]})`);
    }
    switch (wt) {
      case 0:
        this.readVarint(end);
        return;
      case 1:
        if (end - this.p < 8) this.fail('truncated protobuf', `fixed64 field ${fn} needs 8 bytes, ${end - this.p} left`);
        this.p += 8;
        return;
      case 2: {
        const len = this.readLen(end);
        this.p += len;
        return;
      }
      case 5:
        if (end - this.p < 4) this.fail('truncated protobuf', `fixed32 field ${fn} needs 4 bytes, ${end - this.p} left`);
        this.p += 4;
        return;
      case 3: {
        if (depth >= MAX_GROUP_DEPTH) this.fail('invalid protobuf', 'groups nested too deeply');
        for (;;) {
          if (this.p >= end) this.fail('truncated protobuf', `unterminated group (field ${fn})`);
          const t = this.readTag(end);
          if (t % 8 === 4) {
            if ((t - 4) / 8 !== fn) this.fail('invalid protobuf', `mismatched end group (field ${(t - 4) / 8}, expected ${fn})`);
            return;
          }
          this.skip(t, end, M_UNKNOWN, depth + 1);
        }
      }
      case 4:
        this.fail('invalid protobuf', `unexpected end group (field ${fn})`);
      default:
        this.fail('invalid protobuf', `invalid wire type ${wt} (field ${fn})`);
    }
  }
}
