/**
 * Hand-written protobuf wire-format walker for ExportTraceServiceRequest that writes ClickHouse
 * RowBinary rows (SPAN_COLUMNS order, through writeSpanRow) straight from the request bytes: no
 * protobufjs objects, no per-span objects, strings copied byte for byte, ids hex-encoded through a
 * lookup table. Reading the wire format is protobuf-wire.ts, attributes protobuf-anyvalue.ts; this
 * file walks requests, resources, scopes and spans.
 *
 * Protobuf merge semantics are honoured where they matter: fields may come in any order, a
 * non-repeated message field seen twice is merged (repeated parts concatenated, scalars last-wins),
 * scalars are last-wins, oneof last-wins, unknown fields are skipped by wire type (groups included).
 */
import { OtlpDecodeError } from './errors';
import { AnyValueWriter } from './protobuf-anyvalue';
import {
  M_EVENT,
  M_LINK,
  M_REQUEST,
  M_RESOURCE,
  M_RESOURCE_SPANS,
  M_SCOPE,
  M_SCOPE_SPANS,
  M_SPAN,
  M_STATUS,
  WT_I64,
  WT_LEN,
  allZero,
  tagOf,
  u32,
  type MsgSpec,
} from './protobuf-wire';
import { encodeRowBinaryString, RowBinaryWriter } from './rowbinary';
import { ScopeColumns, writeDurationNs, writeSpanRow, type ResourceColumns, type SpanRowSource } from './span-row';
import type { DecodeOptions, DecodeResult } from './types';
import { StartTimeCheck } from './start-time-window';

export { MAX_ANYVALUE_DEPTH } from './protobuf-anyvalue';

const EMPTY_STRING = encodeRowBinaryString('');

const REQUEST_RESOURCE_SPANS = tagOf(M_REQUEST, 'resource_spans');
const RESOURCE_SPANS_RESOURCE = tagOf(M_RESOURCE_SPANS, 'resource');
const RESOURCE_SPANS_SCOPE_SPANS = tagOf(M_RESOURCE_SPANS, 'scope_spans');
const RESOURCE_ATTRIBUTES = tagOf(M_RESOURCE, 'attributes');
const SCOPE_SPANS_SCOPE = tagOf(M_SCOPE_SPANS, 'scope');
const SCOPE_SPANS_SPANS = tagOf(M_SCOPE_SPANS, 'spans');
const SCOPE_NAME = tagOf(M_SCOPE, 'name');
const SCOPE_VERSION = tagOf(M_SCOPE, 'version');
const SCOPE_ATTRIBUTES = tagOf(M_SCOPE, 'attributes');
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

class ProtobufTraceDecoder extends AnyValueWriter implements SpanRowSource {
  readonly w: RowBinaryWriter;
  /** writer position before this request (rollback point when appending to a caller's writer) */
  readonly start: number;
  readonly appending: boolean;
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
    super(body, opts?.escapeHtmlInJson ?? false, SCRATCH.jw);
    this.appending = opts?.into !== undefined;
    this.w = opts?.into ?? new RowBinaryWriter(Math.floor(body.length * 1.25) + 4096);
    this.start = this.w.pos;
    this.startCheck = opts?.startTimeWindow ? new StartTimeCheck(opts.startTimeWindow) : undefined;
  }

  // ---------------------------------------------------------------- request structure

  decode(): DecodeResult {
    const end = this.b.length;
    this.p = 0;
    let ri = 0;
    while (this.p < end) {
      const tag = this.readTag(end);
      if (tag === REQUEST_RESOURCE_SPANS) {
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
      if (tag === RESOURCE_SPANS_RESOURCE) {
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
      for (let i = 0; i < resSegs.length; i += 2) count += this.countFields(resSegs[i], resSegs[i + 1], RESOURCE_ATTRIBUTES, M_RESOURCE);
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
          if (tag === RESOURCE_ATTRIBUTES) {
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
      if (tag === RESOURCE_SPANS_SCOPE_SPANS) {
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
      if (tag === SCOPE_SPANS_SPANS) {
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
      } else if (tag === SCOPE_SPANS_SCOPE) {
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
      if (tag === SCOPE_SPANS_SCOPE) {
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
      if (tag === SCOPE_SPANS_SPANS) {
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
      if (t === SCOPE_NAME) {
        const l = this.readLen(segE);
        this.scNameS = this.p;
        this.scNameE = this.p = this.p + l;
      } else if (t === SCOPE_VERSION) {
        const l = this.readLen(segE);
        this.scVerS = this.p;
        this.scVerE = this.p = this.p + l;
      } else if (t === SCOPE_ATTRIBUTES) {
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
      this.writeAttrRange(w, this.attrF, this.attrL, SPAN_ATTRIBUTES, M_SPAN);
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
      this.writeAttrRange(w, slots[x], slots[x + 1], tag, m);
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
}

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
