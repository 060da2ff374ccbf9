/**
 * Hand-written protobuf wire-format walker for ExportTraceServiceRequest that writes ClickHouse
 * RowBinary rows (SPAN_COLUMNS order) straight from the request bytes: no protobufjs objects, no
 * per-span objects, strings copied byte for byte, ids hex-encoded through a lookup table.
 *
 * Protobuf merge semantics are honoured where they matter: fields may come in any order, a
 * non-repeated message field seen twice is merged (repeated parts concatenated, scalars last-wins),
 * scalars are last-wins, oneof last-wins, unknown fields are skipped by wire type (groups included).
 */
import { OtlpDecodeError } from './errors';
import {
  goFloatFinite,
  goFloat64AsString,
  writeAsciiRaw,
  writeBase64Raw,
  writeBase64String,
  writeGoJsonQuoted,
  writeInt64DecimalRaw,
  writeInt64String,
} from './gofmt';
import { copyBytes, encodeRowBinaryString, RowBinaryWriter } from './rowbinary';
import { ScopeColumns, writeDurationNs, writeSpanRow, type ResourceColumns, type SpanRowSource } from './span-row';
import type { DecodeOptions, DecodeResult } from './types';
import { StartTimeCheck } from './start-time-window';

const EMPTY_STRING = encodeRowBinaryString('');
const TRUE_BYTES = encodeRowBinaryString('true');
const FALSE_BYTES = encodeRowBinaryString('false');
const SERVICE_NAME_KEY = new TextEncoder().encode('service.name');

/** Max AnyValue nesting (arrays / kvlists inside each other). */
export const MAX_ANYVALUE_DEPTH = 32;
/** Max nesting of unknown groups being skipped. */
const MAX_GROUP_DEPTH = 32;

const WT_NAMES = ['VARINT', 'I64', 'LEN', 'SGROUP', 'EGROUP', 'I32', '6', '7'];

/** Expected wire type per field number (-1 unknown) and field names, per message type. */
interface MsgSpec {
  name: string;
  wt: number[];
  fields: string[];
}
function spec(name: string, fields: Array<[number, string, number]>): MsgSpec {
  const max = Math.max(...fields.map((f) => f[0]));
  const wt = new Array<number>(max + 1).fill(-1);
  const names = new Array<string>(max + 1).fill('');
  for (const [n, fname, w] of fields) {
    wt[n] = w;
    names[n] = fname;
  }
  return { name, wt, fields: names };
}
const M_REQUEST = spec('ExportTraceServiceRequest', [[1, 'resource_spans', 2]]);
const M_RESOURCE_SPANS = spec('ResourceSpans', [[1, 'resource', 2], [2, 'scope_spans', 2], [3, 'schema_url', 2]]);
const M_RESOURCE = spec('Resource', [[1, 'attributes', 2], [2, 'dropped_attributes_count', 0]]);
const M_SCOPE_SPANS = spec('ScopeSpans', [[1, 'scope', 2], [2, 'spans', 2], [3, 'schema_url', 2]]);
const M_SCOPE = spec('InstrumentationScope', [[1, 'name', 2], [2, 'version', 2], [3, 'attributes', 2], [4, 'dropped_attributes_count', 0]]);
const M_SPAN = spec('Span', [
  [1, 'trace_id', 2], [2, 'span_id', 2], [3, 'trace_state', 2], [4, 'parent_span_id', 2], [5, 'name', 2],
  [6, 'kind', 0], [7, 'start_time_unix_nano', 1], [8, 'end_time_unix_nano', 1], [9, 'attributes', 2],
  [10, 'dropped_attributes_count', 0], [11, 'events', 2], [12, 'dropped_events_count', 0], [13, 'links', 2],
  [14, 'dropped_links_count', 0], [15, 'status', 2], [16, 'flags', 5],
]);
const M_EVENT = spec('Span.Event', [[1, 'time_unix_nano', 1], [2, 'name', 2], [3, 'attributes', 2], [4, 'dropped_attributes_count', 0]]);
const M_LINK = spec('Span.Link', [
  [1, 'trace_id', 2], [2, 'span_id', 2], [3, 'trace_state', 2], [4, 'attributes', 2], [5, 'dropped_attributes_count', 0], [6, 'flags', 5],
]);
const M_STATUS = spec('Status', [[1, 'deprecated_code', 0], [2, 'message', 2], [3, 'code', 0]]);
const M_KEYVALUE = spec('KeyValue', [[1, 'key', 2], [2, 'value', 2]]);
const M_ANYVALUE = spec('AnyValue', [
  [1, 'string_value', 2], [2, 'bool_value', 0], [3, 'int_value', 0], [4, 'double_value', 1], [5, 'array_value', 2],
  [6, 'kvlist_value', 2], [7, 'bytes_value', 2],
]);
const M_ARRAYVALUE = spec('ArrayValue', [[1, 'values', 2]]);
const M_KVLIST = spec('KeyValueList', [[1, 'values', 2]]);

const WT_I64 = 1;
const WT_LEN = 2;

/** The tag of a field as its table gives it: field number << 3 | wire type. */
function tagOf(m: MsgSpec, field: string): number {
  const n = m.fields.indexOf(field);
  if (n <= 0) throw new Error(`${m.name} has no field ${field}`);
  return n * 8 + m.wt[n];
}
const SPAN_TRACE_ID = tagOf(M_SPAN, 'trace_id');
const SPAN_SPAN_ID = tagOf(M_SPAN, 'span_id');
const SPAN_TRACE_STATE = tagOf(M_SPAN, 'trace_state');
const SPAN_PARENT_SPAN_ID = tagOf(M_SPAN, 'parent_span_id');
const SPAN_NAME = tagOf(M_SPAN, 'name');
const SPAN_KIND = tagOf(M_SPAN, 'kind');
const SPAN_START_TIME = tagOf(M_SPAN, 'start_time_unix_nano');
const SPAN_END_TIME = tagOf(M_SPAN, 'end_time_unix_nano');
const SPAN_ATTRIBUTES = tagOf(M_SPAN, 'attributes');
const SPAN_DROPPED_ATTRIBUTES = tagOf(M_SPAN, 'dropped_attributes_count');
const SPAN_EVENTS = tagOf(M_SPAN, 'events');
const SPAN_DROPPED_EVENTS = tagOf(M_SPAN, 'dropped_events_count');
const SPAN_LINKS = tagOf(M_SPAN, 'links');
const SPAN_DROPPED_LINKS = tagOf(M_SPAN, 'dropped_links_count');
const SPAN_STATUS = tagOf(M_SPAN, 'status');
/** flags (field 16) needs a two-byte tag varint */
const SPAN_FLAGS_TAG0 = (tagOf(M_SPAN, 'flags') & 0x7f) | 0x80;
const SPAN_FLAGS_TAG1 = tagOf(M_SPAN, 'flags') >>> 7;
const STATUS_MESSAGE = tagOf(M_STATUS, 'message');
const STATUS_CODE = tagOf(M_STATUS, 'code');
const EVENT_ATTRIBUTES = tagOf(M_EVENT, 'attributes');
const LINK_ATTRIBUTES = tagOf(M_LINK, 'attributes');

/**
 * Where scanRepeated keeps the fields of one event / link in its Int32 scratch slots: per tag, the
 * offset of the field's slots (a fixed64: its position; a bytes field: start, end; the repeated
 * attributes: first tag, end of the last, count).
 */
interface SubMessageLayout {
  readonly m: MsgSpec;
  readonly slots: number;
  readonly action: Int8Array;
  readonly attributesTag: number;
  /** slot values of a message without any of the fields */
  readonly empty: Int32Array;
}
const NO_SLOT = -1;
function subMessageLayout(m: MsgSpec, fields: Array<[string, number]>): SubMessageLayout {
  let slots = 0;
  const tags = fields.map(([f]) => tagOf(m, f));
  const action = new Int8Array(Math.max(...tags) + 1).fill(NO_SLOT);
  const empty: number[] = [];
  fields.forEach(([f, at], i) => {
    action[tags[i]] = at;
    const n = f === 'attributes' ? 3 : (tags[i] & 7) === WT_I64 ? 1 : 2;
    for (let k = 0; k < n; k++) empty[at + k] = n === 1 ? -1 : 0;
    slots = Math.max(slots, at + n);
  });
  return { m, slots, action, attributesTag: tagOf(m, 'attributes'), empty: Int32Array.from(empty) };
}
const EV_TIME = 0;
const EV_NAME = 1;
const EV_ATTRS = 3;
const EVENT_LAYOUT = subMessageLayout(M_EVENT, [['time_unix_nano', EV_TIME], ['name', EV_NAME], ['attributes', EV_ATTRS]]);
const LK_TRACE_ID = 0;
const LK_SPAN_ID = 2;
const LK_TRACE_STATE = 4;
const LK_ATTRS = 6;
const LINK_LAYOUT = subMessageLayout(M_LINK, [['trace_id', LK_TRACE_ID], ['span_id', LK_SPAN_ID], ['trace_state', LK_TRACE_STATE], ['attributes', LK_ATTRS]]);

// AnyValue kinds (oneof field numbers)
const AV_NONE = 0;
const AV_STRING = 1;
const AV_BOOL = 2;
const AV_INT = 3;
const AV_DOUBLE = 4;
const AV_ARRAY = 5;
const AV_KVLIST = 6;
const AV_BYTES = 7;


function u32(b: Uint8Array, p: number): number {
  return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
}

function allZero(b: Uint8Array, s: number, e: number): boolean {
  for (let i = s; i < e; i++) if (b[i] !== 0) return false;
  return true;
}

function bytesEqual(b: Uint8Array, s: number, e: number, x: Uint8Array): boolean {
  if (e - s !== x.length) return false;
  for (let i = 0; i < x.length; i++) if (b[s + i] !== x[i]) return false;
  return true;
}

const SCRATCH: { ev: Int32Array; lk: Int32Array; side: RowBinaryWriter; jw: RowBinaryWriter } = {
  ev: new Int32Array(EVENT_LAYOUT.slots * 16),
  lk: new Int32Array(LINK_LAYOUT.slots * 8),
  side: new RowBinaryWriter(1024),
  jw: new RowBinaryWriter(256),
};

/** Drops scratch buffers that an unusual request made large, so they are not kept forever. */
function trimScratch(): void {
  if (SCRATCH.side.buf.length > 1 << 20) SCRATCH.side = new RowBinaryWriter(1024);
  if (SCRATCH.jw.buf.length > 1 << 20) SCRATCH.jw = new RowBinaryWriter(256);
  if (SCRATCH.ev.length > 1 << 16) SCRATCH.ev = new Int32Array(EVENT_LAYOUT.slots * 16);
  if (SCRATCH.lk.length > 1 << 16) SCRATCH.lk = new Int32Array(LINK_LAYOUT.slots * 8);
}

class ProtobufTraceDecoder implements SpanRowSource {
  readonly b: Uint8Array;
  readonly dv: DataView;
  readonly w: RowBinaryWriter;
  readonly escapeHtml: boolean;
  /** writer position before this request (rollback point when appending to a caller's writer) */
  readonly start: number;
  readonly appending: boolean;
  /** cursor for the reading helpers */
  p = 0;
  /** result of readVarint64 */
  lo = 0;
  hi = 0;
  // AnyValue scan result
  avKind = AV_NONE;
  avS = 0;
  avE = 0;
  // JSON building
  jw: RowBinaryWriter = SCRATCH.jw;
  jsonFailed = false;
  // error context
  ri = -1;
  si = -1;
  ki = -1;
  /** error context below the span: a section name, optionally with an index (event 2) */
  sect = '';
  sectIdx = -1;
  sectTail = '';
  // results
  accepted = 0;
  rejected = 0;
  firstReject = '';
  startCheck: StartTimeCheck | undefined;
  // scratch, shared across requests (decoding is synchronous and never re-entered)
  ev: Int32Array = SCRATCH.ev;
  lk: Int32Array = SCRATCH.lk;
  /** writer for per-resource / per-scope constant blocks and validation-only output */
  side: RowBinaryWriter = SCRATCH.side;

  constructor(body: Uint8Array, opts: DecodeOptions | undefined) {
    this.b = body;
    this.dv = new DataView(body.buffer, body.byteOffset, body.byteLength);
    this.appending = opts?.into !== undefined;
    this.w = opts?.into ?? new RowBinaryWriter(Math.floor(body.length * 1.25) + 4096);
    this.start = this.w.pos;
    this.escapeHtml = opts?.escapeHtmlInJson ?? false;
    this.startCheck = opts?.startTimeWindow ? new StartTimeCheck(opts.startTimeWindow) : undefined;
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

  // ---------------------------------------------------------------- request structure

  decode(): DecodeResult {
    const end = this.b.length;
    this.p = 0;
    let ri = 0;
    while (this.p < end) {
      const tag = this.readTag(end);
      if (tag === 0x0a) {
        const len = this.readLen(end);
        const s = this.p;
        this.ri = ri;
        this.resourceSpans(s, s + len);
        this.ri = -1;
        this.p = s + len;
        ri++;
      } else {
        this.skip(tag, end, M_REQUEST);
      }
    }
    let errorMessage = '';
    if (this.rejected > 0) {
      errorMessage = `${this.rejected} span${this.rejected === 1 ? '' : 's'} rejected: ${this.firstReject}`;
    }
    const rows = this.appending ? this.w.buf.subarray(this.start, this.w.pos) : this.w.finish();
    trimScratch();
    return { rows, accepted: this.accepted, rejected: this.rejected, errorMessage };
  }

  private resourceSpans(s: number, e: number): void {
    // pass 1: locate resource segments, validate the layout
    let resSegs: number[] | null = null;
    this.p = s;
    while (this.p < e) {
      const tag = this.readTag(e);
      if (tag === 0x0a) {
        const len = this.readLen(e);
        (resSegs ??= []).push(this.p, this.p + len);
        this.p += len;
      } else {
        this.skip(tag, e, M_RESOURCE_SPANS);
      }
    }
    // resource attributes + service.name, written once into a side buffer
    this.sect = 'resource';
    const side = this.side;
    side.reset();
    let count = 0;
    if (resSegs) {
      for (let i = 0; i < resSegs.length; i += 2) count += this.countFields(resSegs[i], resSegs[i + 1], 0x0a, M_RESOURCE);
    }
    side.writeVarUInt(count);
    let svcS = -1;
    let svcE = -1;
    if (resSegs) {
      for (let i = 0; i < resSegs.length; i += 2) {
        const segE = resSegs[i + 1];
        this.p = resSegs[i];
        while (this.p < segE) {
          const tag = this.readTag(segE);
          if (tag === 0x0a) {
            const len = this.readLen(segE);
            const kvS = this.p;
            const isSvc = this.writeKeyValue(side, kvS, kvS + len, svcS < 0);
            if (isSvc) {
              svcS = this.svcValS;
              svcE = side.pos;
            }
            this.p = kvS + len;
          } else {
            this.skip(tag, segE, M_RESOURCE);
          }
        }
      }
    }
    const resource: ResourceColumns = {
      // copies: `side` is reused
      serviceName: svcS >= 0 ? Uint8Array.from(side.buf.subarray(svcS, svcE)) : EMPTY_STRING,
      attributes: side.toBuffer(),
    };
    this.sect = '';
    this.sectIdx = -1;
    this.sectTail = '';

    // pass 2: scope_spans
    let si = 0;
    this.p = s;
    while (this.p < e) {
      const tag = this.readTag(e);
      if (tag === 0x12) {
        const len = this.readLen(e);
        const ss = this.p;
        this.si = si;
        this.scopeSpans(ss, ss + len, resource);
        this.si = -1;
        this.p = ss + len;
        si++;
      } else {
        this.skip(tag, e, M_RESOURCE_SPANS);
      }
    }
  }

  /** Value start (in the target writer) of the last service.name written by writeKeyValue. */
  private svcValS = 0;

  /** Counts (and validates the framing of) the LEN fields with tag `want` in [s, e). */
  private countFields(s: number, e: number, want: number, m: MsgSpec): number {
    let n = 0;
    this.p = s;
    while (this.p < e) {
      const tag = this.readTag(e);
      if (tag === want) {
        const len = this.readLen(e);
        this.p += len;
        n++;
      } else {
        this.skip(tag, e, m);
      }
    }
    return n;
  }

  // scope being decoded: name / version ranges (last segment wins)
  private scNameS = 0;
  private scNameE = 0;
  private scVerS = 0;
  private scVerE = 0;

  /**
   * ScopeSpans. The usual layout (scope, then spans) is decoded in one pass; if a scope field shows up
   * after spans were written, the output of this ScopeSpans is rolled back and it is decoded again in
   * two passes (scope segments first, then spans), so field order never changes the rows.
   */
  private scopeSpans(s: number, e: number, resource: ResourceColumns): void {
    const w = this.w;
    const pos0 = w.pos;
    const accepted0 = this.accepted;
    const rejected0 = this.rejected;
    const firstReject0 = this.firstReject;
    this.scNameS = this.scNameE = this.scVerS = this.scVerE = 0;
    let blockReady = false;
    let ki = 0;
    this.p = s;
    while (this.p < e) {
      const tag = this.readTag(e);
      if (tag === 0x12) {
        const len = this.readLen(e);
        const ss = this.p;
        if (!blockReady) {
          this.buildScopeColumns(resource);
          blockReady = true;
        }
        this.ki = ki;
        this.span(ss, ss + len);
        this.ki = -1;
        this.p = ss + len;
        ki++;
      } else if (tag === 0x0a) {
        if (ki > 0) {
          // scope after spans: start this ScopeSpans over with the two-pass method
          w.pos = pos0;
          this.accepted = accepted0;
          this.rejected = rejected0;
          this.firstReject = firstReject0;
          this.scopeSpansTwoPass(s, e, resource);
          return;
        }
        const len = this.readLen(e);
        const segS = this.p;
        this.scopeSegment(segS, segS + len);
        this.p = segS + len;
        blockReady = false;
      } else {
        this.skip(tag, e, M_SCOPE_SPANS);
      }
    }
  }

  private scopeSpansTwoPass(s: number, e: number, resource: ResourceColumns): void {
    this.scNameS = this.scNameE = this.scVerS = this.scVerE = 0;
    // pass 1: scope segments
    this.p = s;
    while (this.p < e) {
      const tag = this.readTag(e);
      if (tag === 0x0a) {
        const len = this.readLen(e);
        const segS = this.p;
        this.scopeSegment(segS, segS + len);
        this.p = segS + len;
      } else {
        this.skip(tag, e, M_SCOPE_SPANS);
      }
    }
    this.buildScopeColumns(resource);
    // pass 2: spans
    let ki = 0;
    this.p = s;
    while (this.p < e) {
      const tag = this.readTag(e);
      if (tag === 0x12) {
        const len = this.readLen(e);
        const ss = this.p;
        this.ki = ki;
        this.span(ss, ss + len);
        this.ki = -1;
        this.p = ss + len;
        ki++;
      } else {
        this.skip(tag, e, M_SCOPE_SPANS);
      }
    }
  }

  /** One InstrumentationScope segment: name / version (last wins), attributes validated. */
  private scopeSegment(segS: number, segE: number): void {
    this.sect = 'scope';
    this.p = segS;
    while (this.p < segE) {
      const t = this.readTag(segE);
      if (t === 0x0a) {
        const l = this.readLen(segE);
        this.scNameS = this.p;
        this.scNameE = this.p = this.p + l;
      } else if (t === 0x12) {
        const l = this.readLen(segE);
        this.scVerS = this.p;
        this.scVerE = this.p = this.p + l;
      } else if (t === 0x1a) {
        // scope attributes have no otel_traces column; decode them for validation only
        const l = this.readLen(segE);
        const kvS = this.p;
        this.side.reset();
        this.writeKeyValue(this.side, kvS, kvS + l, false);
        this.p = kvS + l;
      } else {
        this.skip(t, segE, M_SCOPE);
      }
    }
    this.sect = '';
  }

  /** Columns 8-11 of the scope being decoded, from its resource and the name / version found. */
  private buildScopeColumns(resource: ResourceColumns): void {
    this.scope = new ScopeColumns(resource, this.stringOf(this.scNameS, this.scNameE), this.stringOf(this.scVerS, this.scVerE));
  }

  /** Input bytes b[s, e) as a standalone RowBinary String. */
  private stringOf(s: number, e: number): Uint8Array {
    const w = new RowBinaryWriter(e - s + 16);
    w.writeStringBytes(this.b, s, e);
    return w.toBuffer();
  }

  // ---------------------------------------------------------------- span

  private scope: ScopeColumns | undefined;
  // The span being decoded: input ranges [xS, xE) of its fields (last occurrence wins), positions of
  // its fixed64 times (-1: absent), and first tag / end / count of each repeated field.
  private tidS = 0;
  private tidE = 0;
  private sidS = 0;
  private sidE = 0;
  private tsS = 0;
  private tsE = 0;
  private parS = 0;
  private parE = 0;
  private nameS = 0;
  private nameE = 0;
  private kind = 0;
  private startPos = -1;
  private endPos = -1;
  private attrN = 0;
  private attrF = 0;
  private attrL = 0;
  private evN = 0;
  private evF = 0;
  private evL = 0;
  private lkN = 0;
  private lkF = 0;
  private lkL = 0;
  private stN = 0;
  private stF = 0;
  private stL = 0;
  private msgS = 0;
  private msgE = 0;

  /**
   * Records a length-delimited Span field [p, fe) whose tag (at fs) is `tag`; false when `tag` is not
   * one of Span's LEN fields.
   */
  private spanLenField(tag: number, fs: number, p: number, fe: number): boolean {
    switch (tag) {
      case SPAN_ATTRIBUTES:
        if (this.attrN++ === 0) this.attrF = fs;
        this.attrL = fe;
        return true;
      case SPAN_TRACE_ID:
        this.tidS = p;
        this.tidE = fe;
        return true;
      case SPAN_SPAN_ID:
        this.sidS = p;
        this.sidE = fe;
        return true;
      case SPAN_TRACE_STATE:
        this.tsS = p;
        this.tsE = fe;
        return true;
      case SPAN_PARENT_SPAN_ID:
        this.parS = p;
        this.parE = fe;
        return true;
      case SPAN_NAME:
        this.nameS = p;
        this.nameE = fe;
        return true;
      case SPAN_EVENTS:
        if (this.evN++ === 0) this.evF = fs;
        this.evL = fe;
        return true;
      case SPAN_LINKS:
        if (this.lkN++ === 0) this.lkF = fs;
        this.lkL = fe;
        return true;
      case SPAN_STATUS:
        if (this.stN++ === 0) this.stF = fs;
        this.stL = fe;
        return true;
      default:
        return false;
    }
  }

  private span(s: number, e: number): void {
    const b = this.b;
    this.tidS = this.tidE = this.sidS = this.sidE = this.tsS = this.tsE = this.parS = this.parE = this.nameS = this.nameE = 0;
    this.kind = 0;
    this.startPos = this.endPos = -1;
    this.attrN = this.evN = this.lkN = this.stN = 0;
    // first pass: locate every field (local cursor, one-byte tags and lengths decoded inline)
    let p = s;
    while (p < e) {
      const fs = p;
      const tag = b[p];
      if ((tag & 7) === WT_LEN && tag < 0x80 && tag >= 8) {
        p++;
        let len = b[p];
        if (len < 0x80 && p < e) {
          p++;
        } else {
          this.p = p;
          len = this.readLen(e);
          p = this.p;
        }
        if (len > e - p) {
          this.p = p;
          this.fail('truncated protobuf', `length ${len} exceeds remaining ${e - p} bytes`);
        }
        const fe = p + len;
        if (!this.spanLenField(tag, fs, p, fe)) {
          // LEN on a known non-LEN field (kind, times, counts) is a wire-type error; unknown: skip
          this.p = fs;
          this.skip(this.readTag(e), e, M_SPAN);
        }
        p = fe;
        continue;
      }
      // fixed64 times and one-byte varints (kind, dropped counts), inline
      if (tag === SPAN_START_TIME || tag === SPAN_END_TIME) {
        if (e - p < 9) {
          this.p = p + 1;
          this.fail('truncated protobuf', `${tag === SPAN_START_TIME ? 'start' : 'end'}_time_unix_nano needs 8 bytes, ${e - p - 1} left`);
        }
        if (tag === SPAN_START_TIME) this.startPos = p + 1;
        else this.endPos = p + 1;
        p += 9;
        continue;
      }
      if (tag === SPAN_FLAGS_TAG0 && b[p + 1] === SPAN_FLAGS_TAG1 && e - p >= 6) {
        p += 6;
        continue;
      }
      if ((tag === SPAN_KIND || tag === SPAN_DROPPED_ATTRIBUTES || tag === SPAN_DROPPED_EVENTS || tag === SPAN_DROPPED_LINKS) && p + 1 < e && b[p + 1] < 0x80) {
        if (tag === SPAN_KIND) this.kind = b[p + 1];
        p += 2;
        continue;
      }
      this.p = p;
      const t = this.readTag(e);
      if (t === SPAN_KIND) {
        this.readVarint64(e);
        this.kind = this.lo | 0;
      } else if (t === SPAN_START_TIME || t === SPAN_END_TIME) {
        if (e - this.p < 8) this.fail('truncated protobuf', `${t === SPAN_START_TIME ? 'start' : 'end'}_time_unix_nano needs 8 bytes, ${e - this.p} left`);
        if (t === SPAN_START_TIME) this.startPos = this.p;
        else this.endPos = this.p;
        this.p += 8;
      } else if ((t & 7) === WT_LEN && this.isSpanLenTag(t)) {
        // a known LEN field with a non-canonical (multi-byte) tag
        const len = this.readLen(e);
        const fe = this.p + len;
        this.spanLenField(t, fs, this.p, fe);
        this.p = fe;
      } else {
        // flags, counts, unknown fields
        this.skip(t, e, M_SPAN);
      }
      p = this.p;
    }

    // per-span validation (partial success)
    const tidLen = this.tidE - this.tidS;
    const sidLen = this.sidE - this.sidS;
    const parLen = this.parE - this.parS;
    const startPos = this.startPos;
    let reason = '';
    if (tidLen !== 16) reason = `invalid trace_id length ${tidLen}`;
    else if (allZero(b, this.tidS, this.tidE)) reason = 'all-zero trace_id';
    else if (sidLen !== 8) reason = `invalid span_id length ${sidLen}`;
    else if (allZero(b, this.sidS, this.sidE)) reason = 'all-zero span_id';
    else if (parLen !== 0 && parLen !== 8) reason = `invalid parent_span_id length ${parLen}`;
    else if (this.startCheck) reason = startPos >= 0 ? this.startCheck.reason(u32(b, startPos), u32(b, startPos + 4)) : this.startCheck.reason(0, 0);
    if (reason) {
      this.reject(reason, this.nameS, this.nameE);
      return;
    }

    // events and links: parse into scratch (validates them before any output for this span)
    if (this.evN > 0) this.ev = SCRATCH.ev = this.scanRepeated(this.evF, this.evL, this.evN, SPAN_EVENTS, EVENT_LAYOUT, this.ev);
    if (this.lkN > 0) this.lk = SCRATCH.lk = this.scanRepeated(this.lkF, this.lkL, this.lkN, SPAN_LINKS, LINK_LAYOUT, this.lk);

    writeSpanRow(this.w, this);
    this.accepted++;
  }

  private isSpanLenTag(t: number): boolean {
    return t < M_SPAN.wt.length * 8 && M_SPAN.wt[t >>> 3] === WT_LEN;
  }

  // ---------------------------------------------------------------- SpanRowSource: the span being written

  writeTimestamp(w: RowBinaryWriter): void {
    // ids follow: one reservation for Timestamp, TraceId, SpanId, ParentSpanId (8 + 33 + 17 + 17)
    w.reserve(80);
    const op = w.pos;
    const sp = this.startPos;
    if (sp >= 0) {
      const idv = this.dv;
      w.dv.setUint32(op, idv.getUint32(sp, true), true);
      w.dv.setUint32(op + 4, idv.getUint32(sp + 4, true), true);
    } else {
      w.dv.setUint32(op, 0, true);
      w.dv.setUint32(op + 4, 0, true);
    }
    w.pos = op + 8;
  }

  writeIds(w: RowBinaryWriter): void {
    const b = this.b;
    w.writeHex(b, this.tidS, this.tidE);
    w.writeHex(b, this.sidS, this.sidE);
    if (this.parE - this.parS === 8 && !allZero(b, this.parS, this.parE)) w.writeHex(b, this.parS, this.parE);
    else w.writeUInt8(0);
  }

  writeTraceState(w: RowBinaryWriter): void {
    this.copyString(w, this.tsS, this.tsE);
  }

  writeName(w: RowBinaryWriter): void {
    this.copyString(w, this.nameS, this.nameE);
  }

  spanKind(): number {
    return this.kind;
  }

  scopeColumns(): ScopeColumns {
    return this.scope as ScopeColumns;
  }

  writeAttributes(w: RowBinaryWriter): void {
    const n = this.attrN;
    w.writeVarUInt(n);
    if (n > 0) {
      this.sect = 'attributes';
      this.writeAttrRange(this.attrF, this.attrL, SPAN_ATTRIBUTES, M_SPAN);
      this.sect = '';
    }
  }

  writeDuration(w: RowBinaryWriter): void {
    const b = this.b;
    const sp = this.startPos;
    const ep = this.endPos;
    if (sp >= 0 && ep >= 0) writeDurationNs(w, u32(b, sp), u32(b, sp + 4), u32(b, ep), u32(b, ep + 4));
    else w.writeUInt64(0, 0);
  }

  private reject(reason: string, nameS: number, nameE: number): void {
    if (this.rejected === 0) {
      let name = Buffer.from(this.b.buffer, this.b.byteOffset + nameS, Math.min(nameE - nameS, 200)).toString('utf8');
      if (nameE - nameS > 200) name += '…';
      this.firstReject = `${reason} (span '${name}')`;
    }
    this.rejected++;
  }

  /** Merges the Status segments (code and message last-wins); the message range is kept for writeStatusMessage. */
  statusCode(): number {
    this.msgS = this.msgE = 0;
    if (this.stN === 0) return 0;
    const l = this.stL;
    let code = 0;
    this.sect = 'status';
    this.p = this.stF;
    while (this.p < l) {
      const tag = this.readTag(l);
      if (tag !== SPAN_STATUS) {
        this.skip(tag, l, M_SPAN);
        continue;
      }
      const len = this.readLen(l);
      const segE = this.p + len;
      while (this.p < segE) {
        const t = this.readTag(segE);
        if (t === STATUS_MESSAGE) {
          const n = this.readLen(segE);
          this.msgS = this.p;
          this.msgE = this.p = this.msgS + n;
        } else if (t === STATUS_CODE) {
          this.readVarint64(segE);
          code = this.lo | 0;
        } else {
          this.skip(t, segE, M_STATUS);
        }
      }
    }
    this.sect = '';
    return code;
  }

  writeStatusMessage(w: RowBinaryWriter): void {
    w.writeStringBytes(this.b, this.msgS, this.msgE);
  }

  eventCount(): number {
    return this.evN;
  }

  writeEventTimestamp(w: RowBinaryWriter, i: number): void {
    this.writeFixed64(w, this.ev[i * EVENT_LAYOUT.slots + EV_TIME]);
  }

  writeEventName(w: RowBinaryWriter, i: number): void {
    const x = i * EVENT_LAYOUT.slots + EV_NAME;
    this.copyString(w, this.ev[x], this.ev[x + 1]);
  }

  writeEventAttributes(w: RowBinaryWriter, i: number): void {
    this.writeScannedAttributes(w, this.ev, i * EVENT_LAYOUT.slots + EV_ATTRS, EVENT_ATTRIBUTES, M_EVENT, 'event', i);
  }

  linkCount(): number {
    return this.lkN;
  }

  writeLinkTraceId(w: RowBinaryWriter, i: number): void {
    this.writeLinkId(w, i * LINK_LAYOUT.slots + LK_TRACE_ID);
  }

  writeLinkSpanId(w: RowBinaryWriter, i: number): void {
    this.writeLinkId(w, i * LINK_LAYOUT.slots + LK_SPAN_ID);
  }

  writeLinkTraceState(w: RowBinaryWriter, i: number): void {
    const x = i * LINK_LAYOUT.slots + LK_TRACE_STATE;
    this.copyString(w, this.lk[x], this.lk[x + 1]);
  }

  writeLinkAttributes(w: RowBinaryWriter, i: number): void {
    this.writeScannedAttributes(w, this.lk, i * LINK_LAYOUT.slots + LK_ATTRS, LINK_ATTRIBUTES, M_LINK, 'link', i);
  }

  /** Link ids are informational: hex of the bytes as sent, '' when all zero (or absent). */
  private writeLinkId(w: RowBinaryWriter, x: number): void {
    const s = this.lk[x];
    const e = this.lk[x + 1];
    if (allZero(this.b, s, e)) w.writeUInt8(0);
    else w.writeHex(this.b, s, e);
  }

  /** A DateTime64(9) copied from the fixed64 at input position `pos` (-1: absent, written as 0). */
  private writeFixed64(w: RowBinaryWriter, pos: number): void {
    w.reserve(8);
    const op = w.pos;
    if (pos >= 0) {
      w.dv.setUint32(op, this.dv.getUint32(pos, true), true);
      w.dv.setUint32(op + 4, this.dv.getUint32(pos + 4, true), true);
    } else {
      w.dv.setUint32(op, 0, true);
      w.dv.setUint32(op + 4, 0, true);
    }
    w.pos = op + 8;
  }

  /** The attributes Map of a scanned event / link, from its (first, last, count) slots at x. */
  private writeScannedAttributes(w: RowBinaryWriter, slots: Int32Array, x: number, tag: number, m: MsgSpec, sect: string, i: number): void {
    const n = slots[x + 2];
    w.writeVarUInt(n);
    if (n > 0) {
      this.sect = sect;
      this.sectIdx = i;
      this.sectTail = 'attributes';
      this.writeAttrRange(slots[x], slots[x + 1], tag, m);
      this.sect = '';
      this.sectIdx = -1;
      this.sectTail = '';
    }
  }

  /**
   * Scans the `n` occurrences of the repeated message field `tag` (events or links) in the span's
   * range [f, l) into scratch slots per `layout`, validating them. Returns the (maybe grown) scratch.
   */
  private scanRepeated(f: number, l: number, n: number, tag: number, layout: SubMessageLayout, scratch: Int32Array): Int32Array {
    const slots = layout.slots;
    const out = scratch.length < n * slots ? new Int32Array(Math.max(n * slots, scratch.length * 2)) : scratch;
    const what = layout.m === M_EVENT ? 'event' : 'link';
    let k = 0;
    this.p = f;
    while (this.p < l) {
      const t = this.readTag(l);
      if (t !== tag) {
        this.skip(t, l, M_SPAN);
        continue;
      }
      this.sect = what;
      this.sectIdx = k;
      const len = this.readLen(l);
      const segE = this.p + len;
      const o = k * slots;
      out.set(layout.empty, o);
      while (this.p < segE) {
        const fs = this.p;
        const ft = this.readTag(segE);
        const action = ft < layout.action.length ? layout.action[ft] : NO_SLOT;
        if (action === NO_SLOT) {
          this.skip(ft, segE, layout.m);
        } else if ((ft & 7) === WT_I64) {
          if (segE - this.p < 8) this.fail('truncated protobuf', `${layout.m.fields[ft >>> 3]} needs 8 bytes, ${segE - this.p} left`);
          out[o + action] = this.p;
          this.p += 8;
        } else {
          const m = this.readLen(segE);
          const s = this.p;
          this.p = s + m;
          if (ft === layout.attributesTag) {
            // repeated: first tag, end of the last, count
            if (out[o + action + 2]++ === 0) out[o + action] = fs;
            out[o + action + 1] = this.p;
          } else {
            out[o + action] = s;
            out[o + action + 1] = this.p;
          }
        }
      }
      k++;
    }
    this.sect = '';
    this.sectIdx = -1;
    return out;
  }

  // ---------------------------------------------------------------- attributes

  /** Writes every KeyValue with single-byte tag `want` found in [f, l) (count already written). */
  private writeAttrRange(f: number, l: number, want: number, m: MsgSpec): void {
    const w = this.w;
    const b = this.b;
    const idv = this.dv;
    let p = f;
    while (p < l) {
      const c = b[p];
      if (c === want) {
        // the field was framed during the first pass, so [s, e) lies within [f, l)
        let len = b[p + 1];
        if (len < 0x80) {
          const s = p + 2;
          const e = s + len;
          // Hot path: KeyValue{key: short string, value: AnyValue{string_value: short string}}, i.e.
          // 0a kl <key> 12 vl 0a sl <value>. Protobuf and RowBinary share the LEB128 length, so the
          // row bytes are the two runs [kl <key>] and [sl <value>] copied as they are.
          if (b[s] === 0x0a) {
            const kl = b[s + 1];
            const ke = s + 2 + kl;
            if (kl < 0x80 && ke + 3 < e && b[ke] === 0x12 && b[ke + 2] === 0x0a && b[ke + 1] < 0x80 && ke + 2 + b[ke + 1] === e) {
              const sl = b[ke + 3];
              if (sl < 0x80 && ke + 4 + sl === e) {
                if (w.pos + kl + sl + 2 > w.buf.length) w.reserve(kl + sl + 2);
                const o = w.buf;
                const odv = w.dv;
                let op = copyBytes(o, odv, w.pos, b, idv, s + 1, ke);
                op = copyBytes(o, odv, op, b, idv, ke + 3, e);
                w.pos = op;
                p = e;
                continue;
              }
            }
          }
          this.writeKeyValue(w, s, e, false);
          p = e;
          continue;
        }
        this.p = p + 1;
        len = this.readLen(l);
        p = this.p;
        this.writeKeyValue(w, p, p + len, false);
        p += len;
      } else {
        this.p = p;
        const tag = this.readTag(l);
        if (tag === want) {
          // the same field with a non-canonical (padded) tag
          const len = this.readLen(l);
          p = this.p;
          this.writeKeyValue(w, p, p + len, false);
          p += len;
        } else {
          this.skip(tag, l, m);
          p = this.p;
        }
      }
    }
  }

  /**
   * Writes one KeyValue [s, e) as RowBinary String key + String value into `out`.
   * With `checkSvc`, returns true when the key is `service.name` (value starts at this.svcValS).
   */
  private writeKeyValue(out: RowBinaryWriter, s: number, e: number, checkSvc: boolean): boolean {
    const b = this.b;
    // Fast paths: key (0x0a, short) then value (0x12, short) ending the KeyValue, the AnyValue being a
    // single short string / int / double / bool. Everything else takes the general path below.
    if (!checkSvc && b[s] === 0x0a) {
      const kl = b[s + 1];
      const ks = s + 2;
      const ke = ks + kl;
      if (kl < 0x80 && ke + 3 < e && b[ke] === 0x12 && b[ke + 1] < 0x80 && ke + 2 + b[ke + 1] === e) {
        const vs = ke + 2;
        const t = b[vs];
        if (t === 0x0a) {
          const sl = b[vs + 1];
          if (sl < 0x80 && vs + 2 + sl === e) {
            if (out.pos + kl + sl + 2 > out.buf.length) out.reserve(kl + sl + 2);
            const o = out.buf;
            const odv = out.dv;
            let p = out.pos;
            o[p++] = kl;
            p = copyBytes(o, odv, p, b, this.dv, ks, ke);
            o[p++] = sl;
            p = copyBytes(o, odv, p, b, this.dv, vs + 2, e);
            out.pos = p;
            return false;
          }
        } else if (t === 0x18) {
          this.p = vs + 1;
          this.readVarint64(e);
          if (this.p === e) {
            this.copyShortString(out, ks, ke, kl);
            writeInt64String(out, this.lo, this.hi);
            return false;
          }
        } else if (t === 0x21 && vs + 9 === e) {
          this.copyShortString(out, ks, ke, kl);
          out.writeString(goFloat64AsString(this.dv.getFloat64(vs + 1, true)));
          return false;
        } else if (t === 0x10 && vs + 2 === e && b[vs + 1] < 0x80) {
          this.copyShortString(out, ks, ke, kl);
          out.writeRaw(b[vs + 1] !== 0 ? TRUE_BYTES : FALSE_BYTES);
          return false;
        }
      }
    }
    return this.writeKeyValueGeneral(out, s, e, checkSvc);
  }

  /** RowBinary String of input bytes b[s, e). */
  private copyString(out: RowBinaryWriter, s: number, e: number): void {
    const n = e - s;
    if (n < 0x80) {
      if (out.pos + n + 1 > out.buf.length) out.reserve(n + 1);
      const o = out.buf;
      o[out.pos] = n;
      out.pos = copyBytes(o, out.dv, out.pos + 1, this.b, this.dv, s, e);
    } else {
      out.writeStringBytes(this.b, s, e);
    }
  }

  /** RowBinary String of b[ks, ke) whose length kl < 128. */
  private copyShortString(out: RowBinaryWriter, ks: number, ke: number, kl: number): void {
    if (out.pos + kl + 1 > out.buf.length) out.reserve(kl + 1);
    const o = out.buf;
    o[out.pos] = kl;
    out.pos = copyBytes(o, out.dv, out.pos + 1, this.b, this.dv, ks, ke);
  }

  private writeKeyValueGeneral(out: RowBinaryWriter, s: number, e: number, checkSvc: boolean): boolean {
    const b = this.b;
    let keyS = 0;
    let keyE = 0;
    let valS = -1;
    let valE = -1;
    let nVal = 0;
    let p = s;
    // fast path: key (0x0a) then value (0x12), one-byte lengths
    if (p + 1 < e && b[p] === 0x0a && b[p + 1] < 0x80) {
      keyS = p + 2;
      keyE = keyS + b[p + 1];
      p = keyE;
      if (p + 1 < e && b[p] === 0x12 && b[p + 1] < 0x80 && p + 2 + b[p + 1] === e) {
        valS = p + 2;
        valE = e;
        nVal = 1;
        p = e;
      } else if (keyE > e) {
        // let the general path produce the proper error
        keyS = keyE = 0;
        p = s;
      }
    }
    while (p < e) {
      this.p = p;
      const tag = this.readTag(e);
      if (tag === 0x0a) {
        const len = this.readLen(e);
        keyS = this.p;
        keyE = keyS + len;
        p = keyE;
      } else if (tag === 0x12) {
        const len = this.readLen(e);
        if (nVal++ === 0) valS = this.p;
        valE = this.p + len;
        p = valE;
      } else {
        this.skip(tag, e, M_KEYVALUE);
        p = this.p;
      }
    }
    out.writeStringBytes(b, keyS, keyE);
    const isSvc = checkSvc && bytesEqual(b, keyS, keyE, SERVICE_NAME_KEY);
    if (isSvc) this.svcValS = out.pos;
    if (nVal === 0) {
      out.writeUInt8(0);
      return isSvc;
    }
    // fast path: AnyValue holding exactly one string_value with a one-byte length
    if (nVal === 1 && valE - valS >= 2 && b[valS] === 0x0a && b[valS + 1] < 0x80 && valS + 2 + b[valS + 1] === valE) {
      out.writeStringBytes(b, valS + 2, valE);
      return isSvc;
    }
    this.avKind = AV_NONE;
    if (nVal === 1) {
      this.scanAnyValue(valS, valE);
    } else {
      // a repeated non-repeated message field: merge all value segments (last oneof wins)
      this.p = s;
      while (this.p < e) {
        const tag = this.readTag(e);
        if (tag === 0x12) {
          const len = this.readLen(e);
          const vs = this.p;
          this.scanAnyValue(vs, vs + len);
          this.p = vs + len;
        } else {
          this.skip(tag, e, M_KEYVALUE);
        }
      }
    }
    this.writeAnyValueString(out, 0);
    return isSvc;
  }

  /** Scans an AnyValue message; the last oneof field found wins (this.avKind / avS / avE). */
  private scanAnyValue(s: number, e: number): void {
    this.p = s;
    while (this.p < e) {
      const tag = this.readTag(e);
      switch (tag) {
        case 0x0a:
        case 0x2a:
        case 0x32:
        case 0x3a: {
          const len = this.readLen(e);
          this.avKind = tag >>> 3;
          this.avS = this.p;
          this.avE = this.p = this.p + len;
          break;
        }
        case 0x10:
        case 0x18:
          this.avKind = tag >>> 3;
          this.avS = this.p;
          this.readVarint(e);
          this.avE = this.p;
          break;
        case 0x21:
          if (e - this.p < 8) this.fail('truncated protobuf', `double_value needs 8 bytes, ${e - this.p} left`);
          this.avKind = AV_DOUBLE;
          this.avS = this.p;
          this.avE = this.p = this.p + 8;
          break;
        default:
          this.skip(tag, e, M_ANYVALUE);
      }
    }
  }

  /** Writes the scanned AnyValue (this.avKind...) as a RowBinary String (pcommon AsString). */
  private writeAnyValueString(out: RowBinaryWriter, depth: number): void {
    const b = this.b;
    const s = this.avS;
    const e = this.avE;
    switch (this.avKind) {
      case AV_NONE:
        out.writeUInt8(0);
        return;
      case AV_STRING:
        out.writeStringBytes(b, s, e);
        return;
      case AV_BOOL:
        this.p = s;
        out.writeRaw(this.readVarint(e) !== 0 ? TRUE_BYTES : FALSE_BYTES);
        return;
      case AV_INT:
        this.p = s;
        this.readVarint64(e);
        writeInt64String(out, this.lo, this.hi);
        return;
      case AV_DOUBLE:
        out.writeString(goFloat64AsString(this.dv.getFloat64(s, true)));
        return;
      case AV_BYTES:
        writeBase64String(out, b, s, e);
        return;
      default: {
        // array / kvlist: Go json.Marshal(AsRaw()) into a JSON scratch buffer
        const jw = this.jw;
        jw.reset();
        this.jsonFailed = false;
        const kind = this.avKind;
        if (kind === AV_ARRAY) this.jsonArray(s, e, depth + 1);
        else this.jsonKvlist(s, e, depth + 1);
        if (this.jsonFailed) {
          out.writeUInt8(0);
        } else {
          out.writeStringBytes(jw.buf, 0, jw.pos);
        }
      }
    }
  }

  private checkDepth(depth: number): void {
    if (depth > MAX_ANYVALUE_DEPTH) this.fail('invalid protobuf', `AnyValue nesting deeper than ${MAX_ANYVALUE_DEPTH}`);
  }

  /** JSON of one AnyValue message [s, e) into this.jw. */
  private jsonAnyValue(s: number, e: number, depth: number): void {
    this.avKind = AV_NONE;
    this.scanAnyValue(s, e);
    this.jsonScanned(depth);
  }

  private jsonScanned(depth: number): void {
    const jw = this.jw;
    const b = this.b;
    const s = this.avS;
    const e = this.avE;
    switch (this.avKind) {
      case AV_NONE:
        writeAsciiRaw(jw, 'null');
        return;
      case AV_STRING:
        writeGoJsonQuoted(jw, b, s, e, this.escapeHtml);
        return;
      case AV_BOOL:
        this.p = s;
        writeAsciiRaw(jw, this.readVarint(e) !== 0 ? 'true' : 'false');
        return;
      case AV_INT:
        this.p = s;
        this.readVarint64(e);
        writeInt64DecimalRaw(jw, this.lo, this.hi);
        return;
      case AV_DOUBLE: {
        const x = this.dv.getFloat64(s, true);
        if (x !== x || x === Infinity || x === -Infinity) {
          this.jsonFailed = true;
          writeAsciiRaw(jw, 'null');
        } else {
          writeAsciiRaw(jw, goFloatFinite(x));
        }
        return;
      }
      case AV_BYTES:
        if (e === s) {
          // pdata ByteSlice.AsRaw() of an empty slice is a nil []byte: json null
          writeAsciiRaw(jw, 'null');
        } else {
          jw.writeUInt8(0x22);
          writeBase64Raw(jw, b, s, e);
          jw.writeUInt8(0x22);
        }
        return;
      case AV_ARRAY:
        this.jsonArray(s, e, depth + 1);
        return;
      case AV_KVLIST:
        this.jsonKvlist(s, e, depth + 1);
    }
  }

  /** ArrayValue [s, e) as a JSON array. */
  private jsonArray(s: number, e: number, depth: number): void {
    this.checkDepth(depth);
    const jw = this.jw;
    jw.writeUInt8(0x5b);
    let first = true;
    let p = s;
    while (p < e) {
      this.p = p;
      const tag = this.readTag(e);
      if (tag === 0x0a) {
        const len = this.readLen(e);
        const vs = this.p;
        if (!first) jw.writeUInt8(0x2c);
        first = false;
        this.jsonAnyValue(vs, vs + len, depth);
        p = vs + len;
      } else {
        this.skip(tag, e, M_ARRAYVALUE);
        p = this.p;
      }
    }
    jw.writeUInt8(0x5d);
  }

  /** KeyValueList [s, e) as a JSON object: keys sorted (byte order), duplicate keys last-wins. */
  private jsonKvlist(s: number, e: number, depth: number): void {
    this.checkDepth(depth);
    const b = this.b;
    // collect entries: key (latin1 string of the raw bytes, for ordering), kv range
    const keys: string[] = [];
    const ranges: number[] = [];
    const index = new Map<string, number>();
    let p = s;
    while (p < e) {
      this.p = p;
      const tag = this.readTag(e);
      if (tag === 0x0a) {
        const len = this.readLen(e);
        const kvS = this.p;
        const kvE = kvS + len;
        // find the key (last key field wins)
        let keyS = 0;
        let keyE = 0;
        while (this.p < kvE) {
          const t = this.readTag(kvE);
          if (t === 0x0a) {
            const l = this.readLen(kvE);
            keyS = this.p;
            keyE = this.p = keyS + l;
          } else {
            this.skip(t, kvE, M_KEYVALUE);
          }
        }
        const k = Buffer.from(b.buffer, b.byteOffset + keyS, keyE - keyS).toString('latin1');
        const at = index.get(k);
        if (at === undefined) {
          index.set(k, keys.length);
          keys.push(k);
          ranges.push(kvS, kvE, keyS, keyE);
        } else {
          ranges[at * 4] = kvS;
          ranges[at * 4 + 1] = kvE;
          ranges[at * 4 + 2] = keyS;
          ranges[at * 4 + 3] = keyE;
        }
        p = kvE;
      } else {
        this.skip(tag, e, M_KVLIST);
        p = this.p;
      }
    }
    const order = keys.map((_, i) => i).sort((x, y) => (keys[x] < keys[y] ? -1 : keys[x] > keys[y] ? 1 : 0));
    const jw = this.jw;
    jw.writeUInt8(0x7b);
    for (let i = 0; i < order.length; i++) {
      const j = order[i] * 4;
      if (i > 0) jw.writeUInt8(0x2c);
      writeGoJsonQuoted(jw, b, ranges[j + 2], ranges[j + 3], this.escapeHtml);
      jw.writeUInt8(0x3a);
      // value: merge all value segments of this KeyValue
      const kvS = ranges[j];
      const kvE = ranges[j + 1];
      this.avKind = AV_NONE;
      this.p = kvS;
      while (this.p < kvE) {
        const t = this.readTag(kvE);
        if (t === 0x12) {
          const l = this.readLen(kvE);
          const vs = this.p;
          this.scanAnyValue(vs, vs + l);
          this.p = vs + l;
        } else {
          this.skip(t, kvE, M_KEYVALUE);
        }
      }
      this.jsonScanned(depth);
    }
    jw.writeUInt8(0x7d);
  }
}

const M_UNKNOWN: MsgSpec = { name: 'unknown', wt: [], fields: [] };

/** Decodes an OTLP/protobuf ExportTraceServiceRequest into RowBinary rows (SPAN_COLUMNS order). */
export function decodeTraceRequestProtobuf(body: Uint8Array, options?: DecodeOptions): DecodeResult {
  if (!(body instanceof Uint8Array)) throw new OtlpDecodeError('invalid protobuf: body is not a byte array');
  const d = new ProtobufTraceDecoder(body, options);
  try {
    return d.decode();
  } catch (err) {
    if (d.appending) d.w.pos = d.start; // nothing partial stays in the caller's writer
    trimScratch();
    if (err instanceof OtlpDecodeError) throw err;
    if (err instanceof RangeError) {
      // e.g. a DataView read past the end or an allocation failure: still a bad request
      throw new OtlpDecodeError(`invalid protobuf: ${err.message}`);
    }
    throw err;
  }
}
