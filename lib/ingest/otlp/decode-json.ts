/**
 * OTLP/JSON ExportTraceServiceRequest → RowBinary rows, byte-identical to the protobuf path for the
 * same spans. JSON.parse, then a walk that writes with the same RowBinaryWriter and Go formatting.
 *
 * Accepted per the OTLP/JSON spec: lowerCamelCase field names and the original snake_case names;
 * trace/span ids as hex (case-insensitive); enums as integers or their proto names
 * ("SPAN_KIND_SERVER", "STATUS_CODE_ERROR"); 64-bit integers as decimal strings or JSON numbers;
 * bytesValue as base64; unknown fields ignored; null is the same as absent.
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
import { MAX_ANYVALUE_DEPTH } from './decode-protobuf';
import { encodeRowBinaryString, RowBinaryWriter } from './rowbinary';
import { ScopeColumns, writeDurationNs, writeSpanRow, type ResourceColumns, type SpanRowSource } from './span-row';
import type { DecodeOptions, DecodeResult } from './types';
import { StartTimeCheck } from './start-time-window';

type Obj = Record<string, unknown>;

const EMPTY_STRING = encodeRowBinaryString('');
const KIND_ENUM: Record<string, number> = {
  SPAN_KIND_UNSPECIFIED: 0,
  SPAN_KIND_INTERNAL: 1,
  SPAN_KIND_SERVER: 2,
  SPAN_KIND_CLIENT: 3,
  SPAN_KIND_PRODUCER: 4,
  SPAN_KIND_CONSUMER: 5,
};
const STATUS_ENUM: Record<string, number> = { STATUS_CODE_UNSET: 0, STATUS_CODE_OK: 1, STATUS_CODE_ERROR: 2 };

const TWO_32 = 4294967296;
const MAX_U64 = (1n << 64n) - 1n;
const MIN_I64 = -(1n << 63n);
const MAX_I64 = (1n << 63n) - 1n;
const DIGITS = /^[0-9]+$/;
const SIGNED_DIGITS = /^[-+]?[0-9]+$/;
const utf8Decoder = new TextDecoder('utf-8');

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Field by lowerCamelCase name, else by proto (snake_case) name; null → undefined. */
function get(o: Obj, camel: string, snake?: string): unknown {
  let v = o[camel];
  if (v === undefined && snake !== undefined) v = o[snake];
  return v === null ? undefined : v;
}

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** Lowercase form of a hex string, or null when it is not valid hex (odd length, bad digit). */
function normalizeHex(s: string): string | null {
  if (s.length % 2 !== 0) return null;
  let lower = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const v = hexVal(c);
    if (v < 0) return null;
    if (c >= 65 && c <= 70) lower = false;
  }
  return lower ? s : s.toLowerCase();
}

function isAllZeroHex(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) !== 48) return false;
  return true;
}

/** A request value quoted for an error message, cut short: a message must not echo MiB of input. */
function quote(s: string): string {
  return JSON.stringify(s.length > 40 ? s.slice(0, 40) + '…' : s);
}

/**
 * Index of the first significant digit of a decimal string that starts at `from` (leading zeros
 * skipped; the last digit is kept, so "000" → its last index).
 */
function firstSignificant(s: string, from: number): number {
  let i = from;
  while (i < s.length - 1 && s.charCodeAt(i) === 48) i++;
  return i;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `a string ${quote(v)}`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

class JsonTraceDecoder implements SpanRowSource {
  readonly w: RowBinaryWriter;
  readonly side = new RowBinaryWriter(1024);
  readonly jw = new RowBinaryWriter(256);
  readonly escapeHtml: boolean;
  accepted = 0;
  rejected = 0;
  firstReject = '';
  startCheck: StartTimeCheck | undefined;
  jsonFailed = false;
  lo = 0;
  hi = 0;
  ri = -1;
  si = -1;
  ki = -1;
  /** error context below the span, kept as parts so that nothing is formatted unless we fail */
  sect = '';
  sectIdx = -1;
  attrWhat = '';
  attrIdx = -1;

  readonly appending: boolean;
  readonly start: number;

  constructor(sizeHint: number, opts: DecodeOptions | undefined) {
    this.appending = opts?.into !== undefined;
    this.w = opts?.into ?? new RowBinaryWriter(Math.floor(sizeHint * 0.6) + 4096);
    this.start = this.w.pos;
    this.escapeHtml = opts?.escapeHtmlInJson ?? false;
    this.startCheck = opts?.startTimeWindow ? new StartTimeCheck(opts.startTimeWindow) : undefined;
  }

  private where(): string {
    let s = '';
    if (this.ri >= 0) s += `resourceSpans[${this.ri}]`;
    if (this.si >= 0) s += `.scopeSpans[${this.si}]`;
    if (this.ki >= 0) s += `.spans[${this.ki}]`;
    if (this.sect) s += (s ? '.' : '') + this.sect + (this.sectIdx >= 0 ? `[${this.sectIdx}]` : '');
    if (this.attrWhat) s += (s ? '.' : '') + this.attrWhat + (this.attrIdx >= 0 ? `[${this.attrIdx}]` : '');
    return s || 'request';
  }

  fail(detail: string): never {
    throw new OtlpDecodeError(`invalid OTLP/JSON: ${this.where()}: ${detail}`);
  }

  private arr(v: unknown, what: string): unknown[] | undefined {
    if (v === undefined) return undefined;
    if (!Array.isArray(v)) this.fail(`${what} must be an array, got ${describe(v)}`);
    return v;
  }

  private obj(v: unknown, what: string): Obj | undefined {
    if (v === undefined) return undefined;
    if (!isObj(v)) this.fail(`${what} must be an object, got ${describe(v)}`);
    return v;
  }

  private str(v: unknown, what: string): string {
    if (v === undefined) return '';
    if (typeof v !== 'string') this.fail(`${what} must be a string, got ${describe(v)}`);
    return v;
  }

  private enumVal(v: unknown, names: Record<string, number>, what: string): number {
    if (v === undefined) return 0;
    if (typeof v === 'number') {
      if (!Number.isInteger(v)) this.fail(`${what} must be an integer, got ${v}`);
      return v;
    }
    if (typeof v === 'string') {
      const n = names[v];
      if (n === undefined) this.fail(`unknown ${what} ${quote(v)}`);
      return n;
    }
    this.fail(`${what} must be an integer or an enum name, got ${describe(v)}`);
  }

  /** Unsigned 64-bit (fixed64 times) into this.lo / this.hi. */
  private u64(v: unknown, what: string): void {
    if (v === undefined) {
      this.lo = this.hi = 0;
      return;
    }
    if (typeof v === 'number') {
      if (!Number.isInteger(v) || v < 0 || v > 18446744073709551615) this.fail(`${what} must be a non-negative 64-bit integer, got ${v}`);
      if (v <= Number.MAX_SAFE_INTEGER) {
        this.lo = v % TWO_32;
        this.hi = Math.floor(v / TWO_32);
      } else {
        this.setBig(BigInt(v));
      }
      return;
    }
    if (typeof v !== 'string' || !DIGITS.test(v)) this.fail(`${what} must be a non-negative integer (decimal string or number), got ${describe(v)}`);
    const n = v.length;
    if (n <= 15) {
      const x = Number(v);
      this.lo = x % TWO_32;
      this.hi = Math.floor(x / TWO_32);
      return;
    }
    if (n <= 20) {
      // value = high * 1e9 + low9, computed in 32-bit halves without BigInt
      const high = Number(v.slice(0, n - 9));
      const low9 = Number(v.slice(n - 9));
      const hiPart = Math.floor(high / 65536);
      const loPart = high - hiPart * 65536;
      const a = loPart * 1e9 + low9;
      const bb = hiPart * 1e9;
      const bHi = Math.floor(bb / 65536);
      const bLo = bb - bHi * 65536;
      const lowSum = bLo * 65536 + a;
      const carry = Math.floor(lowSum / TWO_32);
      const hi = bHi + carry;
      if (hi < TWO_32) {
        this.lo = lowSum - carry * TWO_32;
        this.hi = hi;
        return;
      }
    }
    // More than 20 significant digits cannot fit: refuse without BigInt, whose parsing of a
    // multi-MiB digit string blocked the event loop for seconds (found by fuzz/).
    const z = firstSignificant(v, 0);
    if (n - z > 20) this.fail(`${what} ${quote(v)} does not fit in 64 bits`);
    const big = BigInt(v.slice(z));
    if (big > MAX_U64) this.fail(`${what} ${quote(v)} does not fit in 64 bits`);
    this.setBig(big);
  }

  private setBig(x: bigint): void {
    const u = BigInt.asUintN(64, x);
    this.lo = Number(u & 0xffffffffn);
    this.hi = Number(u >> 32n);
  }

  /**
   * Signed int64 into lo/hi. Returns false for a JSON number that is not an int64 (fraction or out of
   * range): the caller then treats it as a double, as the protobuf encoder of the JS SDK would.
   */
  private i64(v: unknown, what: string): boolean {
    if (typeof v === 'number') {
      if (!Number.isInteger(v) || v < -9223372036854775808 || v >= 9223372036854775808) return false;
      if (v >= 0 && v <= Number.MAX_SAFE_INTEGER) {
        this.lo = v % TWO_32;
        this.hi = Math.floor(v / TWO_32);
      } else {
        this.setBig(BigInt(v));
      }
      return true;
    }
    if (typeof v !== 'string' || !SIGNED_DIGITS.test(v)) this.fail(`${what} must be an integer (decimal string or number), got ${describe(v)}`);
    if (v.length <= 15) {
      const x = Number(v);
      if (x >= 0) {
        this.lo = x % TWO_32;
        this.hi = Math.floor(x / TWO_32);
      } else {
        this.setBig(BigInt(x));
      }
      return true;
    }
    // As in u64: more than 19 significant digits cannot fit; refuse before BigInt parses MiB of digits.
    const signed = v.charCodeAt(0) === 45 || v.charCodeAt(0) === 43; // '-' or '+'
    const z = firstSignificant(v, signed ? 1 : 0);
    if (v.length - z > 19) this.fail(`${what} ${quote(v)} does not fit in int64`);
    const big = BigInt(v.charCodeAt(0) === 45 ? '-' + v.slice(z) : v.slice(z));
    if (big < MIN_I64 || big > MAX_I64) this.fail(`${what} ${quote(v)} does not fit in int64`);
    this.setBig(big);
    return true;
  }

  private dbl(v: unknown, what: string): number {
    if (typeof v === 'number') return v;
    if (typeof v === 'string') {
      if (v === 'NaN') return NaN;
      if (v === 'Infinity') return Infinity;
      if (v === '-Infinity') return -Infinity;
      const x = Number(v);
      if (v.trim() !== '' && !Number.isNaN(x)) return x;
    }
    this.fail(`${what} must be a number, got ${describe(v)}`);
  }

  private bytes(v: unknown, what: string): Buffer {
    if (typeof v !== 'string') this.fail(`${what} must be a base64 string, got ${describe(v)}`);
    if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(v.replace(/\s+/g, ''))) this.fail(`${what} is not valid base64`);
    return Buffer.from(v, 'base64');
  }

  // ---------------------------------------------------------------- structure

  decode(root: unknown): DecodeResult {
    if (!isObj(root)) this.fail(`expected a JSON object (ExportTraceServiceRequest), got ${describe(root)}`);
    const rs = this.arr(get(root, 'resourceSpans', 'resource_spans'), 'resourceSpans');
    if (rs) {
      for (let i = 0; i < rs.length; i++) {
        this.ri = i;
        this.resourceSpans(rs[i]);
      }
      this.ri = -1;
    }
    let errorMessage = '';
    if (this.rejected > 0) errorMessage = `${this.rejected} span${this.rejected === 1 ? '' : 's'} rejected: ${this.firstReject}`;
    const rows = this.appending ? this.w.buf.subarray(this.start, this.w.pos) : this.w.finish();
    return { rows, accepted: this.accepted, rejected: this.rejected, errorMessage };
  }

  private resourceSpans(v: unknown): void {
    if (!isObj(v)) this.fail(`expected an object, got ${describe(v)}`);
    this.sect = 'resource';
    const resource = this.obj(get(v, 'resource'), 'resource');
    const attrs = resource ? this.arr(get(resource, 'attributes'), 'attributes') : undefined;
    const side = this.side;
    side.reset();
    side.writeVarUInt(attrs ? attrs.length : 0);
    let svcS = -1;
    let svcE = -1;
    if (attrs) {
      this.attrWhat = 'attributes';
      for (let i = 0; i < attrs.length; i++) {
        this.attrIdx = i;
        const kv = attrs[i];
        const before = side.pos;
        const key = this.writeKeyValue(side, kv);
        if (svcS < 0 && key === 'service.name') {
          // value starts after the key String
          svcS = before + keyStringLength(key);
          svcE = side.pos;
        }
      }
    }
    this.attrWhat = '';
    this.attrIdx = -1;
    const resourceColumns: ResourceColumns = {
      // copies: `side` is reused
      serviceName: svcS >= 0 ? Uint8Array.from(side.buf.subarray(svcS, svcE)) : EMPTY_STRING,
      attributes: side.toBuffer(),
    };
    this.sect = '';

    const sss = this.arr(get(v, 'scopeSpans', 'scope_spans'), 'scopeSpans');
    if (!sss) return;
    for (let j = 0; j < sss.length; j++) {
      this.si = j;
      const ss = sss[j];
      if (!isObj(ss)) this.fail(`expected an object, got ${describe(ss)}`);
      this.sect = 'scope';
      const scope = this.obj(get(ss, 'scope'), 'scope');
      let name = '';
      let version = '';
      if (scope) {
        name = this.str(get(scope, 'name'), 'name');
        version = this.str(get(scope, 'version'), 'version');
        const sattrs = this.arr(get(scope, 'attributes'), 'attributes');
        if (sattrs) {
          // no otel_traces column for scope attributes: validate only
          this.attrWhat = 'attributes';
          for (let i = 0; i < sattrs.length; i++) {
            this.attrIdx = i;
            this.side.reset();
            this.writeKeyValue(this.side, sattrs[i]);
          }
          this.attrWhat = '';
          this.attrIdx = -1;
        }
      }
      this.sect = '';
      const scopeColumns = new ScopeColumns(resourceColumns, encodeRowBinaryString(name), encodeRowBinaryString(version));
      const spans = this.arr(get(ss, 'spans'), 'spans');
      if (spans) {
        for (let k = 0; k < spans.length; k++) {
          this.ki = k;
          this.span(spans[k], scopeColumns);
        }
        this.ki = -1;
      }
      this.si = -1;
    }
  }

  private reject(reason: string, name: string): void {
    if (this.rejected === 0) this.firstReject = `${reason} (span '${name.length > 200 ? name.slice(0, 200) + '…' : name}')`;
    this.rejected++;
  }

  private span(v: unknown, scope: ScopeColumns): void {
    if (!isObj(v)) this.fail(`expected an object, got ${describe(v)}`);
    const traceId = this.str(get(v, 'traceId', 'trace_id'), 'traceId');
    const spanId = this.str(get(v, 'spanId', 'span_id'), 'spanId');
    const parentSpanId = this.str(get(v, 'parentSpanId', 'parent_span_id'), 'parentSpanId');
    const traceState = this.str(get(v, 'traceState', 'trace_state'), 'traceState');
    const name = this.str(get(v, 'name'), 'name');
    const kind = this.enumVal(get(v, 'kind'), KIND_ENUM, 'kind');
    const attrs = this.arr(get(v, 'attributes'), 'attributes');
    const events = this.arr(get(v, 'events'), 'events');
    const links = this.arr(get(v, 'links'), 'links');
    const status = this.obj(get(v, 'status'), 'status');

    // ids
    const tid = normalizeHex(traceId);
    const sid = normalizeHex(spanId);
    const pid = parentSpanId === '' ? '' : normalizeHex(parentSpanId);
    let reason = '';
    if (tid === null || tid.length !== 32) reason = `invalid trace_id ${JSON.stringify(traceId.slice(0, 64))} (expected 32 hex digits)`;
    else if (isAllZeroHex(tid)) reason = 'all-zero trace_id';
    else if (sid === null || sid.length !== 16) reason = `invalid span_id ${JSON.stringify(spanId.slice(0, 64))} (expected 16 hex digits)`;
    else if (isAllZeroHex(sid)) reason = 'all-zero span_id';
    else if (pid === null || (pid.length !== 0 && pid.length !== 16)) reason = `invalid parent_span_id ${JSON.stringify(parentSpanId.slice(0, 64))} (expected 16 hex digits)`;
    if (reason) {
      this.reject(reason, name);
      return;
    }

    this.u64(get(v, 'startTimeUnixNano', 'start_time_unix_nano'), 'startTimeUnixNano');
    const sLo = this.lo;
    const sHi = this.hi;
    this.u64(get(v, 'endTimeUnixNano', 'end_time_unix_nano'), 'endTimeUnixNano');
    const eLo = this.lo;
    const eHi = this.hi;
    if (this.startCheck) {
      const late = this.startCheck.reason(sLo, sHi);
      if (late) {
        this.reject(late, name);
        return;
      }
    }

    this.tid = tid as string;
    this.sid = sid as string;
    this.pid = pid && !isAllZeroHex(pid) ? pid : '';
    this.traceState = traceState;
    this.name = name;
    this.kind = kind;
    this.scope = scope;
    this.attrs = attrs;
    this.sLo = sLo;
    this.sHi = sHi;
    this.eLo = eLo;
    this.eHi = eHi;
    this.status = status;
    this.events = events;
    this.links = links;
    writeSpanRow(this.w, this);
    this.sect = '';
    this.sectIdx = -1;
    this.accepted++;
  }

  // ---------------------------------------------------------------- SpanRowSource: the span being written

  private tid = '';
  private sid = '';
  private pid = '';
  private traceState = '';
  private name = '';
  private kind = 0;
  private scope: ScopeColumns | undefined;
  private attrs: unknown[] | undefined;
  private sLo = 0;
  private sHi = 0;
  private eLo = 0;
  private eHi = 0;
  private status: Obj | undefined;
  private statusMessage = '';
  private events: unknown[] | undefined;
  private links: unknown[] | undefined;
  private readonly evObjs: Obj[] = [];
  private readonly lkObjs: Obj[] = [];

  writeTimestamp(w: RowBinaryWriter): void {
    w.writeUInt64(this.sLo, this.sHi);
  }
  writeIds(w: RowBinaryWriter): void {
    w.writeString(this.tid);
    w.writeString(this.sid);
    w.writeString(this.pid);
  }
  writeTraceState(w: RowBinaryWriter): void {
    w.writeString(this.traceState);
  }
  writeName(w: RowBinaryWriter): void {
    w.writeString(this.name);
  }
  spanKind(): number {
    return this.kind;
  }
  scopeColumns(): ScopeColumns {
    return this.scope as ScopeColumns;
  }
  writeAttributes(w: RowBinaryWriter): void {
    this.writeAttrs(w, this.attrs);
  }
  writeDuration(w: RowBinaryWriter): void {
    writeDurationNs(w, this.sLo, this.sHi, this.eLo, this.eHi);
  }
  statusCode(): number {
    const status = this.status;
    this.statusMessage = '';
    if (!status) return 0;
    this.sect = 'status';
    const code = this.enumVal(get(status, 'code'), STATUS_ENUM, 'code');
    this.statusMessage = this.str(get(status, 'message'), 'message');
    this.sect = '';
    return code;
  }
  writeStatusMessage(w: RowBinaryWriter): void {
    w.writeString(this.statusMessage);
  }
  eventCount(): number {
    return this.objects(this.events, 'events', this.evObjs);
  }
  writeEventTimestamp(w: RowBinaryWriter, i: number): void {
    this.sectIdx = i;
    this.u64(get(this.evObjs[i], 'timeUnixNano', 'time_unix_nano'), 'timeUnixNano');
    w.writeUInt64(this.lo, this.hi);
  }
  writeEventName(w: RowBinaryWriter, i: number): void {
    this.sectIdx = i;
    w.writeString(this.str(get(this.evObjs[i], 'name'), 'name'));
  }
  writeEventAttributes(w: RowBinaryWriter, i: number): void {
    this.sectIdx = i;
    this.writeAttrs(w, this.arr(get(this.evObjs[i], 'attributes'), 'attributes'));
  }
  linkCount(): number {
    return this.objects(this.links, 'links', this.lkObjs);
  }
  writeLinkTraceId(w: RowBinaryWriter, i: number): void {
    this.sectIdx = i;
    w.writeString(linkId(this.str(get(this.lkObjs[i], 'traceId', 'trace_id'), 'traceId')));
  }
  writeLinkSpanId(w: RowBinaryWriter, i: number): void {
    this.sectIdx = i;
    w.writeString(linkId(this.str(get(this.lkObjs[i], 'spanId', 'span_id'), 'spanId')));
  }
  writeLinkTraceState(w: RowBinaryWriter, i: number): void {
    this.sectIdx = i;
    w.writeString(this.str(get(this.lkObjs[i], 'traceState', 'trace_state'), 'traceState'));
  }
  writeLinkAttributes(w: RowBinaryWriter, i: number): void {
    this.sectIdx = i;
    this.writeAttrs(w, this.arr(get(this.lkObjs[i], 'attributes'), 'attributes'));
  }

  /** Checks that every element of `list` is an object, collecting them into `out`; returns the count. */
  private objects(list: unknown[] | undefined, sect: string, out: Obj[]): number {
    out.length = 0;
    this.sect = sect;
    this.sectIdx = -1;
    if (!list) return 0;
    for (let i = 0; i < list.length; i++) {
      const x = list[i];
      this.sectIdx = i;
      if (!isObj(x)) this.fail(`expected an object, got ${describe(x)}`);
      out.push(x);
    }
    return list.length;
  }

  // ---------------------------------------------------------------- attributes

  private writeAttrs(out: RowBinaryWriter, attrs: unknown[] | undefined): void {
    if (!attrs) {
      out.writeUInt8(0);
      return;
    }
    out.writeVarUInt(attrs.length);
    this.attrWhat = 'attributes';
    for (let i = 0; i < attrs.length; i++) {
      this.attrIdx = i;
      this.writeKeyValue(out, attrs[i]);
    }
    this.attrWhat = '';
    this.attrIdx = -1;
  }

  /** Writes key String + value String; returns the key. */
  private writeKeyValue(out: RowBinaryWriter, kv: unknown): string {
    if (!isObj(kv)) this.fail(`expected a KeyValue object, got ${describe(kv)}`);
    const key = this.str(get(kv, 'key'), 'key');
    out.writeString(key);
    const value = this.obj(get(kv, 'value'), 'value');
    if (value === undefined) {
      out.writeUInt8(0);
      return key;
    }
    this.writeAnyValueString(out, value);
    return key;
  }

  private writeAnyValueString(out: RowBinaryWriter, av: Obj): void {
    let x: unknown;
    if ((x = get(av, 'stringValue', 'string_value')) !== undefined) {
      out.writeString(this.str(x, 'stringValue'));
    } else if ((x = get(av, 'boolValue', 'bool_value')) !== undefined) {
      if (typeof x !== 'boolean') this.fail(`boolValue must be a boolean, got ${describe(x)}`);
      out.writeString(x ? 'true' : 'false');
    } else if ((x = get(av, 'intValue', 'int_value')) !== undefined) {
      if (this.i64(x, 'intValue')) writeInt64String(out, this.lo, this.hi);
      else out.writeString(goFloat64AsString(x as number));
    } else if ((x = get(av, 'doubleValue', 'double_value')) !== undefined) {
      out.writeString(goFloat64AsString(this.dbl(x, 'doubleValue')));
    } else if ((x = get(av, 'arrayValue', 'array_value')) !== undefined) {
      this.jw.reset();
      this.jsonFailed = false;
      this.jsonArray(x, 1);
      if (this.jsonFailed) out.writeUInt8(0);
      else out.writeStringBytes(this.jw.buf, 0, this.jw.pos);
    } else if ((x = get(av, 'kvlistValue', 'kvlist_value')) !== undefined) {
      this.jw.reset();
      this.jsonFailed = false;
      this.jsonKvlist(x, 1);
      if (this.jsonFailed) out.writeUInt8(0);
      else out.writeStringBytes(this.jw.buf, 0, this.jw.pos);
    } else if ((x = get(av, 'bytesValue', 'bytes_value')) !== undefined) {
      const bytes = this.bytes(x, 'bytesValue');
      writeBase64String(out, bytes, 0, bytes.length);
    } else {
      out.writeUInt8(0);
    }
  }

  private checkDepth(depth: number): void {
    if (depth > MAX_ANYVALUE_DEPTH) this.fail(`AnyValue nesting deeper than ${MAX_ANYVALUE_DEPTH}`);
  }

  private jsonString(s: string): void {
    const bytes = Buffer.from(s, 'utf8');
    writeGoJsonQuoted(this.jw, bytes, 0, bytes.length, this.escapeHtml);
  }

  private jsonAnyValue(v: unknown, depth: number): void {
    const jw = this.jw;
    if (v === undefined || v === null) {
      writeAsciiRaw(jw, 'null');
      return;
    }
    if (!isObj(v)) this.fail(`AnyValue must be an object, got ${describe(v)}`);
    let x: unknown;
    if ((x = get(v, 'stringValue', 'string_value')) !== undefined) {
      this.jsonString(this.str(x, 'stringValue'));
    } else if ((x = get(v, 'boolValue', 'bool_value')) !== undefined) {
      if (typeof x !== 'boolean') this.fail(`boolValue must be a boolean, got ${describe(x)}`);
      writeAsciiRaw(jw, x ? 'true' : 'false');
    } else if ((x = get(v, 'intValue', 'int_value')) !== undefined) {
      if (this.i64(x, 'intValue')) writeInt64DecimalRaw(jw, this.lo, this.hi);
      else this.jsonDouble(x as number);
    } else if ((x = get(v, 'doubleValue', 'double_value')) !== undefined) {
      this.jsonDouble(this.dbl(x, 'doubleValue'));
    } else if ((x = get(v, 'arrayValue', 'array_value')) !== undefined) {
      this.jsonArray(x, depth + 1);
    } else if ((x = get(v, 'kvlistValue', 'kvlist_value')) !== undefined) {
      this.jsonKvlist(x, depth + 1);
    } else if ((x = get(v, 'bytesValue', 'bytes_value')) !== undefined) {
      const bytes = this.bytes(x, 'bytesValue');
      if (bytes.length === 0) {
        writeAsciiRaw(jw, 'null');
      } else {
        jw.writeUInt8(0x22);
        writeBase64Raw(jw, bytes, 0, bytes.length);
        jw.writeUInt8(0x22);
      }
    } else {
      writeAsciiRaw(jw, 'null');
    }
  }

  private jsonDouble(x: number): void {
    if (x !== x || x === Infinity || x === -Infinity) {
      this.jsonFailed = true;
      writeAsciiRaw(this.jw, 'null');
    } else {
      writeAsciiRaw(this.jw, goFloatFinite(x));
    }
  }

  private jsonArray(v: unknown, depth: number): void {
    this.checkDepth(depth);
    const o = this.obj(v, 'arrayValue');
    const values = o ? this.arr(get(o, 'values'), 'arrayValue.values') : undefined;
    const jw = this.jw;
    jw.writeUInt8(0x5b);
    if (values) {
      for (let i = 0; i < values.length; i++) {
        if (i > 0) jw.writeUInt8(0x2c);
        this.jsonAnyValue(values[i], depth);
      }
    }
    jw.writeUInt8(0x5d);
  }

  private jsonKvlist(v: unknown, depth: number): void {
    this.checkDepth(depth);
    const o = this.obj(v, 'kvlistValue');
    const values = o ? this.arr(get(o, 'values'), 'kvlistValue.values') : undefined;
    const keys: string[] = [];
    const sortKeys: string[] = [];
    const vals: unknown[] = [];
    const index = new Map<string, number>();
    if (values) {
      for (let i = 0; i < values.length; i++) {
        const kv = values[i];
        if (!isObj(kv)) this.fail(`expected a KeyValue object in kvlistValue, got ${describe(kv)}`);
        const key = this.str(get(kv, 'key'), 'key');
        const val = this.obj(get(kv, 'value'), 'value');
        const at = index.get(key);
        if (at === undefined) {
          index.set(key, keys.length);
          keys.push(key);
          sortKeys.push(Buffer.from(key, 'utf8').toString('latin1'));
          vals.push(val);
        } else {
          vals[at] = val;
        }
      }
    }
    const order = keys.map((_, i) => i).sort((x, y) => (sortKeys[x] < sortKeys[y] ? -1 : sortKeys[x] > sortKeys[y] ? 1 : 0));
    const jw = this.jw;
    jw.writeUInt8(0x7b);
    for (let i = 0; i < order.length; i++) {
      const j = order[i];
      if (i > 0) jw.writeUInt8(0x2c);
      this.jsonString(keys[j]);
      jw.writeUInt8(0x3a);
      this.jsonAnyValue(vals[j], depth);
    }
    jw.writeUInt8(0x7d);
  }
}

/** RowBinary String length (prefix + UTF-8 bytes) of a key. */
function keyStringLength(key: string): number {
  const n = Buffer.byteLength(key, 'utf8');
  let prefix = 1;
  for (let v = n; v >= 0x80; v = Math.floor(v / 128)) prefix++;
  return prefix + n;
}

/** Link ids are informational: lowercase hex when valid hex, '' when invalid or all zero. */
function linkId(s: string): string {
  const h = normalizeHex(s);
  if (h === null || isAllZeroHex(h)) return '';
  return h;
}

/**
 * Deepest JSON nesting accepted, refused before JSON.parse. The deepest valid OTLP/JSON is an event
 * attribute whose value nests kvlists MAX_ANYVALUE_DEPTH (32) deep: 12 levels down to the event
 * attribute's AnyValue plus 4 per kvlist level (kvlistValue, values, KeyValue, AnyValue) = 140.
 * JSON.parse spends seconds on a few MiB of `[[[[` (a 31 KB gzip body), so depth is checked first.
 */
export const MAX_JSON_DEPTH = 256;

function deeperThan(at: number): never {
  throw new OtlpDecodeError(`invalid OTLP/JSON: nesting deeper than ${MAX_JSON_DEPTH} levels (at byte ${at}); OTLP needs at most ${12 + 4 * MAX_ANYVALUE_DEPTH}`);
}

/**
 * Integer literals with this many digits may exceed 2^53, where JSON.parse rounds them; shorter ones
 * are exact as numbers.
 */
const EXACT_DIGITS = 16;

/**
 * One linear pass over the body, outside strings counting `[`/`{` against `]`/`}`: throws at the
 * first point deeper than MAX_JSON_DEPTH. Brackets, quotes, backslashes and digits are ASCII, and
 * UTF-8 continuation bytes never are, so the bytes can be scanned without decoding. Malformed JSON is
 * left to JSON.parse to describe. Returns whether a run of EXACT_DIGITS digits occurs outside strings
 * (a number JSON.parse might round).
 */
function scanJsonBytes(b: Uint8Array): boolean {
  let depth = 0;
  let run = 0;
  let long = false;
  const n = b.length;
  for (let i = 0; i < n; i++) {
    const c = b[i];
    if (c >= 0x30 && c <= 0x39) {
      if (++run === EXACT_DIGITS) long = true;
      continue;
    }
    run = 0;
    if (c === 0x22) {
      // skip the string: to the next quote not escaped by a backslash
      for (i++; i < n; i++) {
        const d = b[i];
        if (d === 0x5c) i++;
        else if (d === 0x22) break;
      }
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_JSON_DEPTH) deeperThan(i);
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return long;
}

/**
 * A long integer literal that is the value of a 64-bit integer field. The match can only start at a
 * real key: the quote after the name is unescaped, and a quote that opened a string there would leave
 * the name as a bare word (invalid JSON either way). A key that merely ends in such a name (`a\"intValue`)
 * is an unknown field, ignored whatever its value.
 */
const INT64_FIELD_LITERAL =
  /("(?:startTimeUnixNano|start_time_unix_nano|endTimeUnixNano|end_time_unix_nano|timeUnixNano|time_unix_nano|intValue|int_value)"\s*:\s*)(-?[1-9][0-9]{15,})(?![0-9.eE])/g;
const MAX_I64_DIGITS = '9223372036854775807';
const MIN_I64_DIGITS = '9223372036854775808';

/** Whether decimal digits `d` (no sign, no leading zero) are at most `max` (same kind of string). */
function atMost(d: string, max: string): boolean {
  return d.length < max.length || (d.length === max.length && d <= max);
}

/**
 * OTLP/JSON allows 64-bit integers as numbers (proto3 JSON), which JSON.parse would round above 2^53:
 * turns them into decimal strings, which the decoder reads exactly (and refuses, for a time, when
 * they do not fit 64 bits). An intValue outside int64 stays a number: the decoder takes it as a
 * double, as before; a negative time stays a number, refused as before.
 */
function quoteInt64Literals(text: string): string {
  return text.replace(INT64_FIELD_LITERAL, (m: string, key: string, lit: string) => {
    const neg = lit.charCodeAt(0) === 45;
    const quote = key.startsWith('"int') ? atMost(neg ? lit.slice(1) : lit, neg ? MIN_I64_DIGITS : MAX_I64_DIGITS) : !neg;
    return quote ? `${key}"${lit}"` : m;
  });
}

/** Decodes an OTLP/JSON ExportTraceServiceRequest into RowBinary rows (SPAN_COLUMNS order). */
export function decodeTraceRequestJson(body: string | Uint8Array, options?: DecodeOptions): DecodeResult {
  let text: string;
  let longNumbers: boolean;
  if (typeof body === 'string') {
    // text is rare here (receivers hand over bytes): one scanner, on its UTF-8 bytes
    longNumbers = scanJsonBytes(Buffer.from(body, 'utf8'));
    text = body.charCodeAt(0) === 0xfeff ? body.slice(1) : body;
  } else if (body instanceof Uint8Array) {
    longNumbers = scanJsonBytes(body);
    text = utf8Decoder.decode(body);
  } else {
    throw new OtlpDecodeError('invalid OTLP/JSON: body is neither a string nor bytes');
  }
  if (longNumbers) text = quoteInt64Literals(text);
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (err) {
    throw new OtlpDecodeError(`invalid OTLP/JSON: not valid JSON (${(err as Error).message})`);
  }
  const d = new JsonTraceDecoder(text.length, options);
  try {
    return d.decode(root);
  } catch (err) {
    if (d.appending) d.w.pos = d.start; // nothing partial stays in the caller's writer
    if (err instanceof OtlpDecodeError) throw err;
    if (err instanceof RangeError || err instanceof TypeError) throw new OtlpDecodeError(`invalid OTLP/JSON: ${(err as Error).message}`);
    throw err;
  }
}
