/**
 * Attribute writing for the protobuf decoder: KeyValue messages straight from the request bytes to
 * RowBinary key / value Strings, AnyValue stringified as the Collector's pdata AsString() does
 * (gofmt.ts), arrays and kvlists as its JSON. Fast paths copy the common shapes (short string keys
 * and values) as byte runs: protobuf and RowBinary share the LEB128 length prefix.
 */
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
import { M_ANYVALUE, M_ARRAYVALUE, M_KEYVALUE, M_KVLIST, WireReader, bytesEqual, tagOf, type MsgSpec } from './protobuf-wire';
import { copyBytes, encodeRowBinaryString, RowBinaryWriter } from './rowbinary';

const KV_KEY = tagOf(M_KEYVALUE, 'key');
const KV_VALUE = tagOf(M_KEYVALUE, 'value');
const AV_STRING_VALUE = tagOf(M_ANYVALUE, 'string_value');
const AV_BOOL_VALUE = tagOf(M_ANYVALUE, 'bool_value');
const AV_INT_VALUE = tagOf(M_ANYVALUE, 'int_value');
const AV_DOUBLE_VALUE = tagOf(M_ANYVALUE, 'double_value');
const AV_ARRAY_VALUE = tagOf(M_ANYVALUE, 'array_value');
const AV_KVLIST_VALUE = tagOf(M_ANYVALUE, 'kvlist_value');
const AV_BYTES_VALUE = tagOf(M_ANYVALUE, 'bytes_value');
const ARRAY_VALUES = tagOf(M_ARRAYVALUE, 'values');
const KVLIST_VALUES = tagOf(M_KVLIST, 'values');

const TRUE_BYTES = encodeRowBinaryString('true');
const FALSE_BYTES = encodeRowBinaryString('false');
const SERVICE_NAME_KEY = new TextEncoder().encode('service.name');

/** Max AnyValue nesting (arrays / kvlists inside each other). */
export const MAX_ANYVALUE_DEPTH = 32;

// AnyValue kinds (oneof field numbers)
const AV_NONE = 0;
const AV_STRING = 1;
const AV_BOOL = 2;
const AV_INT = 3;
const AV_DOUBLE = 4;
const AV_ARRAY = 5;
const AV_KVLIST = 6;
const AV_BYTES = 7;

export class AnyValueWriter extends WireReader {
  readonly escapeHtml: boolean;
  // AnyValue scan result
  avKind = AV_NONE;
  avS = 0;
  avE = 0;
  // JSON building
  jw: RowBinaryWriter;
  jsonFailed = false;
  /** Value start (in the target writer) of the last service.name written by writeKeyValue. */
  protected svcValS = 0;

  constructor(body: Uint8Array, escapeHtml: boolean, jw: RowBinaryWriter) {
    super(body);
    this.escapeHtml = escapeHtml;
    this.jw = jw;
  }

  /** Writes every KeyValue with single-byte tag `want` found in [f, l) (count already written). */
  protected writeAttrRange(w: RowBinaryWriter, f: number, l: number, want: number, m: MsgSpec): void {
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
          if (b[s] === KV_KEY) {
            const kl = b[s + 1];
            const ke = s + 2 + kl;
            if (kl < 0x80 && ke + 3 < e && b[ke] === KV_VALUE && b[ke + 2] === AV_STRING_VALUE && b[ke + 1] < 0x80 && ke + 2 + b[ke + 1] === e) {
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
  protected writeKeyValue(out: RowBinaryWriter, s: number, e: number, checkSvc: boolean): boolean {
    const b = this.b;
    // Fast paths: key (KV_KEY, short) then value (KV_VALUE, short) ending the KeyValue, the AnyValue being a
    // single short string / int / double / bool. Everything else takes the general path below.
    if (!checkSvc && b[s] === KV_KEY) {
      const kl = b[s + 1];
      const ks = s + 2;
      const ke = ks + kl;
      if (kl < 0x80 && ke + 3 < e && b[ke] === KV_VALUE && b[ke + 1] < 0x80 && ke + 2 + b[ke + 1] === e) {
        const vs = ke + 2;
        const t = b[vs];
        if (t === AV_STRING_VALUE) {
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
        } else if (t === AV_INT_VALUE) {
          this.p = vs + 1;
          this.readVarint64(e);
          if (this.p === e) {
            this.copyShortString(out, ks, ke, kl);
            writeInt64String(out, this.lo, this.hi);
            return false;
          }
        } else if (t === AV_DOUBLE_VALUE && vs + 9 === e) {
          this.copyShortString(out, ks, ke, kl);
          out.writeString(goFloat64AsString(this.dv.getFloat64(vs + 1, true)));
          return false;
        } else if (t === AV_BOOL_VALUE && vs + 2 === e && b[vs + 1] < 0x80) {
          this.copyShortString(out, ks, ke, kl);
          out.writeRaw(b[vs + 1] !== 0 ? TRUE_BYTES : FALSE_BYTES);
          return false;
        }
      }
    }
    return this.writeKeyValueGeneral(out, s, e, checkSvc);
  }

  /** RowBinary String of input bytes b[s, e). */
  protected copyString(out: RowBinaryWriter, s: number, e: number): void {
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
    // fast path: key (KV_KEY) then value (KV_VALUE), one-byte lengths
    if (p + 1 < e && b[p] === KV_KEY && b[p + 1] < 0x80) {
      keyS = p + 2;
      keyE = keyS + b[p + 1];
      p = keyE;
      if (p + 1 < e && b[p] === KV_VALUE && b[p + 1] < 0x80 && p + 2 + b[p + 1] === e) {
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
      if (tag === KV_KEY) {
        const len = this.readLen(e);
        keyS = this.p;
        keyE = keyS + len;
        p = keyE;
      } else if (tag === KV_VALUE) {
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
    if (nVal === 1 && valE - valS >= 2 && b[valS] === AV_STRING_VALUE && b[valS + 1] < 0x80 && valS + 2 + b[valS + 1] === valE) {
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
        if (tag === KV_VALUE) {
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
        case AV_STRING_VALUE:
        case AV_ARRAY_VALUE:
        case AV_KVLIST_VALUE:
        case AV_BYTES_VALUE: {
          const len = this.readLen(e);
          this.avKind = tag >>> 3;
          this.avS = this.p;
          this.avE = this.p = this.p + len;
          break;
        }
        case AV_BOOL_VALUE:
        case AV_INT_VALUE:
          this.avKind = tag >>> 3;
          this.avS = this.p;
          this.readVarint(e);
          this.avE = this.p;
          break;
        case AV_DOUBLE_VALUE:
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
      if (tag === ARRAY_VALUES) {
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
      if (tag === KVLIST_VALUES) {
        const len = this.readLen(e);
        const kvS = this.p;
        const kvE = kvS + len;
        // find the key (last key field wins)
        let keyS = 0;
        let keyE = 0;
        while (this.p < kvE) {
          const t = this.readTag(kvE);
          if (t === KV_KEY) {
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
        if (t === KV_VALUE) {
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
