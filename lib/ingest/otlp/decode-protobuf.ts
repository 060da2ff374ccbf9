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
  spanKindName,
  statusCodeName,
  writeAsciiRaw,
  writeBase64Raw,
  writeBase64String,
  writeGoJsonQuoted,
  writeInt64DecimalRaw,
  writeInt64String,
} from './gofmt';
import { copyBytes, encodeRowBinaryString, RowBinaryWriter } from './rowbinary';
import type { DecodeOptions, DecodeResult } from './types';
import { StartTimeCheck } from './start-time-window';

const KIND_BYTES: Uint8Array[] = [0, 1, 2, 3, 4, 5].map((k) => encodeRowBinaryString(spanKindName(k)));
const STATUS_BYTES: Uint8Array[] = [0, 1, 2].map((c) => encodeRowBinaryString(statusCodeName(c)));
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

// AnyValue kinds (oneof field numbers)
const AV_NONE = 0;
const AV_STRING = 1;
const AV_BOOL = 2;
const AV_INT = 3;
const AV_DOUBLE = 4;
const AV_ARRAY = 5;
const AV_KVLIST = 6;
const AV_BYTES = 7;

/** Per-event / per-link scratch record sizes (Int32 slots). */
const EV_SLOTS = 6; // timePos, nameS, nameE, attrF, attrL, attrN
const LK_SLOTS = 9; // tidS, tidE, sidS, sidE, tsS, tsE, attrF, attrL, attrN

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

const SCRATCH = {
  ev: new Int32Array(EV_SLOTS * 16),
  lk: new Int32Array(LK_SLOTS * 8),
  side: new RowBinaryWriter(1024),
  jw: new RowBinaryWriter(256),
};

/** Drops scratch buffers that an unusual request made large, so they are not kept forever. */
function trimScratch(): void {
  if (SCRATCH.side.buf.length > 1 << 20) SCRATCH.side = new RowBinaryWriter(1024);
  if (SCRATCH.jw.buf.length > 1 << 20) SCRATCH.jw = new RowBinaryWriter(256);
  if (SCRATCH.ev.length > 1 << 16) SCRATCH.ev = new Int32Array(EV_SLOTS * 16);
  if (SCRATCH.lk.length > 1 << 16) SCRATCH.lk = new Int32Array(LK_SLOTS * 8);
}

class ProtobufTraceDecoder {
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
    this.escapeHtml = opts?.escapeHtmlInJson ?? true;
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
    const attrsEnd = side.pos;
    const block = new RowBinaryWriter(attrsEnd + 64);
    if (svcS >= 0) block.writeRaw(side.buf, svcS, svcE);
    else block.writeUInt8(0);
    block.writeRaw(side.buf, 0, attrsEnd);
    const resBlock = block.toBuffer();
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
        this.scopeSpans(ss, ss + len, resBlock);
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
  private scopeSpans(s: number, e: number, resBlock: Uint8Array): void {
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
          this.buildScopeBlock(resBlock);
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
          this.scopeSpansTwoPass(s, e, resBlock);
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

  private scopeSpansTwoPass(s: number, e: number, resBlock: Uint8Array): void {
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
    this.buildScopeBlock(resBlock);
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

  /** ServiceName + ResourceAttributes + ScopeName + ScopeVersion, and resets the per-kind blocks. */
  private buildScopeBlock(resBlock: Uint8Array): void {
    const block = new RowBinaryWriter(resBlock.length + (this.scNameE - this.scNameS) + (this.scVerE - this.scVerS) + 32);
    block.writeRaw(resBlock);
    block.writeStringBytes(this.b, this.scNameS, this.scNameE);
    block.writeStringBytes(this.b, this.scVerS, this.scVerE);
    this.blk = block.toBuffer();
    // SpanKind (column 7) directly precedes the block: one prebuilt run per kind, made on first use
    const kindBlocks = this.kindBlocks;
    for (let k = 0; k < 6; k++) kindBlocks[k] = null;
  }

  // ---------------------------------------------------------------- span

  /** Current scope's ServiceName + ResourceAttributes + ScopeName + ScopeVersion bytes. */
  private blk: Uint8Array = new Uint8Array(0);
  /** KIND_BYTES[k] followed by blk, built lazily per scope. */
  private readonly kindBlocks: Array<Uint8Array | null> = [null, null, null, null, null, null];

  private kindBlock(kind: number): Uint8Array {
    const k = kind >= 0 && kind <= 5 ? kind : 0;
    let kb = this.kindBlocks[k];
    if (kb === null) {
      const kindBytes = KIND_BYTES[k];
      kb = new Uint8Array(kindBytes.length + this.blk.length);
      kb.set(kindBytes, 0);
      kb.set(this.blk, kindBytes.length);
      this.kindBlocks[k] = kb;
    }
    return kb;
  }

  private span(s: number, e: number): void {
    const b = this.b;
    let tidS = 0, tidE = 0, sidS = 0, sidE = 0, tsS = 0, tsE = 0, parS = 0, parE = 0, nameS = 0, nameE = 0;
    let kind = 0;
    let startPos = -1;
    let endPos = -1;
    let attrN = 0, attrF = 0, attrL = 0;
    let evN = 0;
    let lkN = 0;
    let stN = 0, stF = 0, stL = 0;
    let evF = 0, evL = 0, lkF = 0, lkL = 0;
    // first pass: locate every field (local cursor, one-byte tags and lengths decoded inline)
    let p = s;
    while (p < e) {
      const fs = p;
      const tag = b[p];
      if ((tag & 7) === 2 && tag < 0x80 && tag >= 8) {
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
        switch (tag) {
          case 0x4a:
            if (attrN++ === 0) attrF = fs;
            attrL = fe;
            break;
          case 0x0a:
            tidS = p;
            tidE = fe;
            break;
          case 0x12:
            sidS = p;
            sidE = fe;
            break;
          case 0x1a:
            tsS = p;
            tsE = fe;
            break;
          case 0x22:
            parS = p;
            parE = fe;
            break;
          case 0x2a:
            nameS = p;
            nameE = fe;
            break;
          case 0x5a:
            if (evN++ === 0) evF = fs;
            evL = fe;
            break;
          case 0x6a:
            if (lkN++ === 0) lkF = fs;
            lkL = fe;
            break;
          case 0x7a:
            if (stN++ === 0) stF = fs;
            stL = fe;
            break;
          default:
            // LEN on a known non-LEN field (kind, times, counts) is a wire-type error; unknown: skip
            this.p = fs;
            this.skip(this.readTag(e), e, M_SPAN);
        }
        p = fe;
        continue;
      }
      // fixed64 times (0x39 start, 0x41 end) and one-byte varints (kind, dropped counts), inline
      if (tag === 0x39 || tag === 0x41) {
        if (e - p < 9) {
          this.p = p + 1;
          this.fail('truncated protobuf', `${tag === 0x39 ? 'start' : 'end'}_time_unix_nano needs 8 bytes, ${e - p - 1} left`);
        }
        if (tag === 0x39) startPos = p + 1;
        else endPos = p + 1;
        p += 9;
        continue;
      }
      if (tag === 0x85 && b[p + 1] === 0x01 && e - p >= 6) {
        // flags (field 16, fixed32): two-byte tag
        p += 6;
        continue;
      }
      if ((tag === 0x50 || tag === 0x60 || tag === 0x70 || tag === 0x30) && p + 1 < e && b[p + 1] < 0x80) {
        if (tag === 0x30) kind = b[p + 1];
        p += 2;
        continue;
      }
      this.p = p;
      const t = this.readTag(e);
      switch (t) {
        case 0x30:
          this.readVarint64(e);
          kind = this.lo | 0;
          break;
        case 0x39:
          if (e - this.p < 8) this.fail('truncated protobuf', `start_time_unix_nano needs 8 bytes, ${e - this.p} left`);
          startPos = this.p;
          this.p += 8;
          break;
        case 0x41:
          if (e - this.p < 8) this.fail('truncated protobuf', `end_time_unix_nano needs 8 bytes, ${e - this.p} left`);
          endPos = this.p;
          this.p += 8;
          break;
        default:
          // multi-byte tags (e.g. flags, field 16), counts, unknown fields
          if (t === 0x0a || t === 0x12 || t === 0x1a || t === 0x22 || t === 0x2a || t === 0x4a || t === 0x5a || t === 0x6a || t === 0x7a) {
            // a known LEN field with a non-canonical (multi-byte) tag
            const len = this.readLen(e);
            const fe = this.p + len;
            if (t === 0x0a) (tidS = this.p), (tidE = fe);
            else if (t === 0x12) (sidS = this.p), (sidE = fe);
            else if (t === 0x1a) (tsS = this.p), (tsE = fe);
            else if (t === 0x22) (parS = this.p), (parE = fe);
            else if (t === 0x2a) (nameS = this.p), (nameE = fe);
            else if (t === 0x4a) (attrN++ === 0 ? (attrF = fs) : 0), (attrL = fe);
            else if (t === 0x5a) (evN++ === 0 ? (evF = fs) : 0), (evL = fe);
            else if (t === 0x6a) (lkN++ === 0 ? (lkF = fs) : 0), (lkL = fe);
            else (stN++ === 0 ? (stF = fs) : 0), (stL = fe);
            this.p = fe;
          } else {
            this.skip(t, e, M_SPAN);
          }
      }
      p = this.p;
    }

    // per-span validation (partial success)
    const tidLen = tidE - tidS;
    const sidLen = sidE - sidS;
    const parLen = parE - parS;
    let reason = '';
    if (tidLen !== 16) reason = `invalid trace_id length ${tidLen}`;
    else if (allZero(b, tidS, tidE)) reason = 'all-zero trace_id';
    else if (sidLen !== 8) reason = `invalid span_id length ${sidLen}`;
    else if (allZero(b, sidS, sidE)) reason = 'all-zero span_id';
    else if (parLen !== 0 && parLen !== 8) reason = `invalid parent_span_id length ${parLen}`;
    else if (this.startCheck) reason = startPos >= 0 ? this.startCheck.reason(u32(b, startPos), u32(b, startPos + 4)) : this.startCheck.reason(0, 0);
    if (reason) {
      this.reject(reason, nameS, nameE);
      return;
    }

    // events and links: parse into scratch (validates them before any output for this span)
    if (evN > 0) this.scanEvents(evF, evL, evN);
    if (lkN > 0) this.scanLinks(lkF, lkL, lkN);

    const w = this.w;
    // 1-4: Timestamp, TraceId, SpanId, ParentSpanId   (fixed size: 8 + 33 + 17 + 17)
    w.reserve(80);
    const op = w.pos;
    if (startPos >= 0) {
      const idv = this.dv;
      w.dv.setUint32(op, idv.getUint32(startPos, true), true);
      w.dv.setUint32(op + 4, idv.getUint32(startPos + 4, true), true);
    } else {
      w.dv.setUint32(op, 0, true);
      w.dv.setUint32(op + 4, 0, true);
    }
    w.pos = op + 8;
    w.writeHex(b, tidS, tidE);
    w.writeHex(b, sidS, sidE);
    if (parLen === 8 && !allZero(b, parS, parE)) w.writeHex(b, parS, parE);
    else w.buf[w.pos++] = 0;
    // 5-6: TraceState, SpanName
    this.copyString(w, tsS, tsE);
    this.copyString(w, nameS, nameE);
    // 7-11: SpanKind, ServiceName, ResourceAttributes, ScopeName, ScopeVersion
    w.writeRaw(this.kindBlock(kind));
    // 12: SpanAttributes
    this.sect = 'attributes';
    w.writeVarUInt(attrN);
    if (attrN > 0) this.writeAttrRange(attrF, attrL, 0x4a, M_SPAN);
    this.sect = '';
    this.sectIdx = -1;
    this.sectTail = '';
    // 13: Duration = end - start (64-bit, borrow across the halves), 0 when end < start or missing
    let dLo = 0;
    let dHi = 0;
    if (startPos >= 0 && endPos >= 0) {
      const sLo = u32(b, startPos);
      const sHi = u32(b, startPos + 4);
      const eLo = u32(b, endPos);
      const eHi = u32(b, endPos + 4);
      if (eHi > sHi || (eHi === sHi && eLo >= sLo)) {
        dLo = eLo - sLo;
        dHi = eHi - sHi;
        if (dLo < 0) {
          dLo += 4294967296;
          dHi -= 1;
        }
      }
    }
    w.writeUInt64(dLo, dHi);
    // 14-15: StatusCode, StatusMessage
    if (stN === 0) {
      w.writeRaw(STATUS_BYTES[0]);
      w.writeUInt8(0);
    } else {
      this.writeStatus(stF, stL);
    }
    // 16-18: Events
    this.writeEvents(evN);
    // 19-22: Links
    this.writeLinks(lkN);
    this.accepted++;
  }

  private reject(reason: string, nameS: number, nameE: number): void {
    if (this.rejected === 0) {
      let name = Buffer.from(this.b.buffer, this.b.byteOffset + nameS, Math.min(nameE - nameS, 200)).toString('utf8');
      if (nameE - nameS > 200) name += '…';
      this.firstReject = `${reason} (span '${name}')`;
    }
    this.rejected++;
  }

  private writeStatus(f: number, l: number): void {
    let code = 0;
    let msgS = 0;
    let msgE = 0;
    this.sect = 'status';
    this.p = f;
    while (this.p < l) {
      const tag = this.readTag(l);
      if (tag !== 0x7a) {
        this.skip(tag, l, M_SPAN);
        continue;
      }
      const len = this.readLen(l);
      const segE = this.p + len;
      while (this.p < segE) {
        const t = this.readTag(segE);
        if (t === 0x12) {
          const n = this.readLen(segE);
          msgS = this.p;
          msgE = this.p = msgS + n;
        } else if (t === 0x18) {
          this.readVarint64(segE);
          code = this.lo | 0;
        } else {
          this.skip(t, segE, M_STATUS);
        }
      }
    }
    this.sect = '';
    this.sectIdx = -1;
    this.sectTail = '';
    this.w.writeRaw(code >= 0 && code <= 2 ? STATUS_BYTES[code] : STATUS_BYTES[0]);
    this.w.writeStringBytes(this.b, msgS, msgE);
  }

  private scanEvents(f: number, l: number, n: number): void {
    if (this.ev.length < n * EV_SLOTS) this.ev = SCRATCH.ev = new Int32Array(Math.max(n * EV_SLOTS, this.ev.length * 2));
    const ev = this.ev;
    let k = 0;
    this.p = f;
    while (this.p < l) {
      const tag = this.readTag(l);
      if (tag !== 0x5a) {
        this.skip(tag, l, M_SPAN);
        continue;
      }
      this.sect = 'event';
      this.sectIdx = k;
      const len = this.readLen(l);
      const segE = this.p + len;
      let timePos = -1, nameS = 0, nameE = 0, attrF = 0, attrL = 0, attrN = 0;
      while (this.p < segE) {
        const fs = this.p;
        const t = this.readTag(segE);
        if (t === 0x09) {
          if (segE - this.p < 8) this.fail('truncated protobuf', `time_unix_nano needs 8 bytes, ${segE - this.p} left`);
          timePos = this.p;
          this.p += 8;
        } else if (t === 0x12) {
          const m = this.readLen(segE);
          nameS = this.p;
          nameE = this.p = nameS + m;
        } else if (t === 0x1a) {
          const m = this.readLen(segE);
          if (attrN++ === 0) attrF = fs;
          attrL = this.p = this.p + m;
        } else {
          this.skip(t, segE, M_EVENT);
        }
      }
      const o = k * EV_SLOTS;
      ev[o] = timePos;
      ev[o + 1] = nameS;
      ev[o + 2] = nameE;
      ev[o + 3] = attrF;
      ev[o + 4] = attrL;
      ev[o + 5] = attrN;
      k++;
    }
    this.sect = '';
    this.sectIdx = -1;
    this.sectTail = '';
  }

  private writeEvents(n: number): void {
    const w = this.w;
    const ev = this.ev;
    w.writeVarUInt(n);
    if (n === 0) {
      w.writeUInt8(0);
      w.writeUInt8(0);
      return;
    }
    w.reserve(8 * n);
    let op = w.pos;
    const odv = w.dv;
    const idv = this.dv;
    for (let k = 0; k < n; k++, op += 8) {
      const tp = ev[k * EV_SLOTS];
      if (tp >= 0) {
        odv.setUint32(op, idv.getUint32(tp, true), true);
        odv.setUint32(op + 4, idv.getUint32(tp + 4, true), true);
      } else {
        odv.setUint32(op, 0, true);
        odv.setUint32(op + 4, 0, true);
      }
    }
    w.pos = op;
    w.writeVarUInt(n);
    for (let k = 0; k < n; k++) this.copyString(w, ev[k * EV_SLOTS + 1], ev[k * EV_SLOTS + 2]);
    w.writeVarUInt(n);
    for (let k = 0; k < n; k++) {
      const x = k * EV_SLOTS;
      const an = ev[x + 5];
      w.writeVarUInt(an);
      if (an > 0) {
        this.sect = 'event';
        this.sectIdx = k;
        this.sectTail = 'attributes';
        this.writeAttrRange(ev[x + 3], ev[x + 4], 0x1a, M_EVENT);
      }
    }
    this.sect = '';
    this.sectIdx = -1;
    this.sectTail = '';
  }

  private scanLinks(f: number, l: number, n: number): void {
    if (this.lk.length < n * LK_SLOTS) this.lk = SCRATCH.lk = new Int32Array(Math.max(n * LK_SLOTS, this.lk.length * 2));
    const lk = this.lk;
    let k = 0;
    this.p = f;
    while (this.p < l) {
      const tag = this.readTag(l);
      if (tag !== 0x6a) {
        this.skip(tag, l, M_SPAN);
        continue;
      }
      this.sect = 'link';
      this.sectIdx = k;
      const len = this.readLen(l);
      const segE = this.p + len;
      let tidS = 0, tidE = 0, sidS = 0, sidE = 0, tsS = 0, tsE = 0, attrF = 0, attrL = 0, attrN = 0;
      while (this.p < segE) {
        const fs = this.p;
        const t = this.readTag(segE);
        if (t === 0x0a) {
          const m = this.readLen(segE);
          tidS = this.p;
          tidE = this.p = tidS + m;
        } else if (t === 0x12) {
          const m = this.readLen(segE);
          sidS = this.p;
          sidE = this.p = sidS + m;
        } else if (t === 0x1a) {
          const m = this.readLen(segE);
          tsS = this.p;
          tsE = this.p = tsS + m;
        } else if (t === 0x22) {
          const m = this.readLen(segE);
          if (attrN++ === 0) attrF = fs;
          attrL = this.p = this.p + m;
        } else {
          this.skip(t, segE, M_LINK);
        }
      }
      const o = k * LK_SLOTS;
      lk[o] = tidS;
      lk[o + 1] = tidE;
      lk[o + 2] = sidS;
      lk[o + 3] = sidE;
      lk[o + 4] = tsS;
      lk[o + 5] = tsE;
      lk[o + 6] = attrF;
      lk[o + 7] = attrL;
      lk[o + 8] = attrN;
      k++;
    }
    this.sect = '';
    this.sectIdx = -1;
    this.sectTail = '';
  }

  private writeLinks(n: number): void {
    const w = this.w;
    const b = this.b;
    const lk = this.lk;
    w.writeVarUInt(n);
    if (n === 0) {
      w.reserve(3);
      w.buf[w.pos++] = 0;
      w.buf[w.pos++] = 0;
      w.buf[w.pos++] = 0;
      return;
    }
    for (let k = 0; k < n; k++) {
      const s = lk[k * LK_SLOTS];
      const e = lk[k * LK_SLOTS + 1];
      if (allZero(b, s, e)) w.writeUInt8(0);
      else w.writeHex(b, s, e);
    }
    w.writeVarUInt(n);
    for (let k = 0; k < n; k++) {
      const s = lk[k * LK_SLOTS + 2];
      const e = lk[k * LK_SLOTS + 3];
      if (allZero(b, s, e)) w.writeUInt8(0);
      else w.writeHex(b, s, e);
    }
    w.writeVarUInt(n);
    for (let k = 0; k < n; k++) this.copyString(w, lk[k * LK_SLOTS + 4], lk[k * LK_SLOTS + 5]);
    w.writeVarUInt(n);
    for (let k = 0; k < n; k++) {
      const x = k * LK_SLOTS;
      const an = lk[x + 8];
      w.writeVarUInt(an);
      if (an > 0) {
        this.sect = 'link';
        this.sectIdx = k;
        this.sectTail = 'attributes';
        this.writeAttrRange(lk[x + 6], lk[x + 7], 0x22, M_LINK);
      }
    }
    this.sect = '';
    this.sectIdx = -1;
    this.sectTail = '';
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
