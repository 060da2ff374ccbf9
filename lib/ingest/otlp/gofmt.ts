/**
 * Go-compatible stringification of OTLP attribute values, matching the OpenTelemetry Collector's
 * pdata `pcommon.Value.AsString()` (which is what clickhouseexporter writes into the Map columns):
 *   string as is; bool "true"/"false"; int64 strconv.FormatInt; double float64AsString (ES6-like,
 *   NaN / Inf as "NaN", "Infinity", "-Infinity" since pdata v1.51 / Collector v0.151); bytes standard
 *   base64; array / kvlist JSON of v.AsRaw() (map keys sorted, ints as numbers, []byte as base64, empty
 *   value as null, `<>&` not escaped since Collector v0.152; a NaN/Inf anywhere inside makes the
 *   marshalling fail and AsString return "").
 *
 * All writers append to a RowBinaryWriter.
 */
import { HEX_HI, HEX_LO, RowBinaryWriter } from './rowbinary';

const TWO_32 = 4294967296;
const POW10: number[] = [];
for (let i = 0, v = 1; i <= 16; i++, v *= 10) POW10.push(v);

function decimalDigits(v: number): number {
  let n = 1;
  while (n < 17 && v >= POW10[n]) n++;
  return n;
}

/** Writes the decimal digits of an integer 0 <= v <= 2^53 at w.pos (room must be reserved). */
function putUnsigned(w: RowBinaryWriter, v: number): void {
  const b = w.buf;
  const nd = decimalDigits(v);
  let p = w.pos + nd;
  w.pos = p;
  if (v < 2147483648) {
    let x = v | 0;
    do {
      const q = (x / 10) | 0;
      b[--p] = 48 + x - q * 10;
      x = q;
    } while (x !== 0);
  } else {
    let x = v;
    do {
      const q = Math.floor(x / 10);
      b[--p] = 48 + (x - q * 10);
      x = q;
    } while (x !== 0);
  }
}

/** Signed int64 (two unsigned 32-bit halves) as raw decimal ASCII, no length prefix. */
export function writeInt64DecimalRaw(w: RowBinaryWriter, lo: number, hi: number): void {
  w.reserve(21);
  if (hi < 0x200000) {
    putUnsigned(w, hi * TWO_32 + lo);
  } else if (hi >= 0xffe00000) {
    // negative with magnitude <= 2^53
    const mag = lo === 0 ? (TWO_32 - hi) * TWO_32 : (0xffffffff - hi) * TWO_32 + (TWO_32 - lo);
    w.buf[w.pos++] = 0x2d;
    putUnsigned(w, mag);
  } else {
    const s = BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo)).toString();
    for (let i = 0; i < s.length; i++) w.buf[w.pos++] = s.charCodeAt(i);
  }
}

/** Signed int64 as a RowBinary String (decimal). */
export function writeInt64String(w: RowBinaryWriter, lo: number, hi: number): void {
  w.reserve(22);
  const p0 = w.pos++;
  writeInt64DecimalRaw(w, lo, hi);
  w.buf[p0] = w.pos - p0 - 1;
}

/**
 * Go's float64 formatting as used by encoding/json and pdata float64AsString for finite values:
 * ES6 Number-to-String, except that negative zero keeps its sign ("-0", strconv.AppendFloat).
 */
export function goFloatFinite(x: number): string {
  if (x === 0) return 1 / x < 0 ? '-0' : '0';
  // Fast path for values with at most two decimals (money amounts): when k/100 is exactly x and
  // |x| < 1e13 (ulp < 0.01, so no other decimal with <= 2 decimals maps to x), the shortest
  // round-trip digits are those of k/100 without trailing zeros — what String(x) would print.
  if (x < 1e13 && x > -1e13) {
    const k = Math.round(x * 100);
    if (k / 100 === x) {
      const a = k < 0 ? -k : k;
      const ip = Math.floor(a / 100);
      const f = a - ip * 100;
      const sign = k < 0 ? '-' : '';
      if (f === 0) return sign + ip;
      if (f % 10 === 0) return sign + ip + '.' + f / 10;
      return sign + ip + (f < 10 ? '.0' : '.') + f;
    }
  }
  return String(x);
}

/**
 * pdata float64AsString, also NaN / ±Inf. Collector releases before v0.151 wrote the json.Marshal
 * error instead ("json: unsupported value: NaN", "... +Inf", "... -Inf"); rows written by them keep it.
 */
export function goFloat64AsString(x: number): string {
  if (x !== x) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  return goFloatFinite(x);
}

/** ASCII-only JS string as raw bytes (no length prefix). */
export function writeAsciiRaw(w: RowBinaryWriter, s: string): void {
  const n = s.length;
  w.reserve(n);
  const b = w.buf;
  let p = w.pos;
  for (let i = 0; i < n; i++) b[p++] = s.charCodeAt(i);
  w.pos = p;
}

const B64 = new TextEncoder().encode('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/');

/** Standard base64 (with padding) of src[s, e) as raw bytes. */
export function writeBase64Raw(w: RowBinaryWriter, src: Uint8Array, s: number, e: number): void {
  const n = e - s;
  const outLen = Math.ceil(n / 3) * 4;
  w.reserve(outLen);
  const b = w.buf;
  let p = w.pos;
  let i = s;
  for (; i + 3 <= e; i += 3) {
    const v = (src[i] << 16) | (src[i + 1] << 8) | src[i + 2];
    b[p++] = B64[v >>> 18];
    b[p++] = B64[(v >>> 12) & 63];
    b[p++] = B64[(v >>> 6) & 63];
    b[p++] = B64[v & 63];
  }
  const r = e - i;
  if (r === 1) {
    const v = src[i] << 16;
    b[p++] = B64[v >>> 18];
    b[p++] = B64[(v >>> 12) & 63];
    b[p++] = 61;
    b[p++] = 61;
  } else if (r === 2) {
    const v = (src[i] << 16) | (src[i + 1] << 8);
    b[p++] = B64[v >>> 18];
    b[p++] = B64[(v >>> 12) & 63];
    b[p++] = B64[(v >>> 6) & 63];
    b[p++] = 61;
  }
  w.pos = p;
}

/** Standard base64 as a RowBinary String. */
export function writeBase64String(w: RowBinaryWriter, src: Uint8Array, s: number, e: number): void {
  w.writeVarUInt(Math.ceil((e - s) / 3) * 4);
  writeBase64Raw(w, src, s, e);
}

/**
 * Length of the valid UTF-8 sequence at src[i] per Go's utf8.DecodeRune, or 0 when invalid
 * (Go then emits U+FFFD for that single byte and moves on by one byte).
 */
function utf8SeqLen(src: Uint8Array, i: number, e: number): number {
  const c = src[i];
  if (c < 0xc2) return 0;
  if (c < 0xe0) return i + 1 < e && (src[i + 1] & 0xc0) === 0x80 ? 2 : 0;
  if (c < 0xf0) {
    if (i + 2 >= e) return 0;
    const c1 = src[i + 1];
    const lo = c === 0xe0 ? 0xa0 : 0x80;
    const hi = c === 0xed ? 0x9f : 0xbf;
    if (c1 < lo || c1 > hi) return 0;
    return (src[i + 2] & 0xc0) === 0x80 ? 3 : 0;
  }
  if (c < 0xf5) {
    if (i + 3 >= e) return 0;
    const c1 = src[i + 1];
    const lo = c === 0xf0 ? 0x90 : 0x80;
    const hi = c === 0xf4 ? 0x8f : 0xbf;
    if (c1 < lo || c1 > hi) return 0;
    return (src[i + 2] & 0xc0) === 0x80 && (src[i + 3] & 0xc0) === 0x80 ? 4 : 0;
  }
  return 0;
}

function putU(b: Buffer, p: number, a: number, c: number, d: number, e: number): void {
  b[p] = 0x5c;
  b[p + 1] = 0x75;
  b[p + 2] = a;
  b[p + 3] = c;
  b[p + 4] = d;
  b[p + 5] = e;
}

/**
 * A JSON string literal (with quotes) of the UTF-8 bytes src[s, e), escaped like Go's encoding/json:
 * `"` and `\` escaped, \b \f \n \r \t short forms, other control characters \u00xx, `<` `>` `&` as
 * \u003c \u003e \u0026 when escapeHtml, U+2028 / U+2029 always escaped, invalid UTF-8 bytes \ufffd.
 */
export function writeGoJsonQuoted(w: RowBinaryWriter, src: Uint8Array, s: number, e: number, escapeHtml: boolean): void {
  w.reserve((e - s) * 6 + 2);
  const b = w.buf;
  let p = w.pos;
  b[p++] = 0x22;
  let i = s;
  while (i < e) {
    const c = src[i];
    if (c < 0x80) {
      i++;
      if (c >= 0x20 && c !== 0x22 && c !== 0x5c && !(escapeHtml && (c === 0x3c || c === 0x3e || c === 0x26))) {
        b[p++] = c;
        continue;
      }
      switch (c) {
        case 0x22:
        case 0x5c:
          b[p++] = 0x5c;
          b[p++] = c;
          break;
        case 0x08:
          b[p++] = 0x5c;
          b[p++] = 0x62;
          break;
        case 0x0c:
          b[p++] = 0x5c;
          b[p++] = 0x66;
          break;
        case 0x0a:
          b[p++] = 0x5c;
          b[p++] = 0x6e;
          break;
        case 0x0d:
          b[p++] = 0x5c;
          b[p++] = 0x72;
          break;
        case 0x09:
          b[p++] = 0x5c;
          b[p++] = 0x74;
          break;
        default:
          putU(b, p, 0x30, 0x30, HEX_HI[c], HEX_LO[c]);
          p += 6;
      }
      continue;
    }
    const n = utf8SeqLen(src, i, e);
    if (n === 0) {
      putU(b, p, 0x66, 0x66, 0x66, 0x64); // \ufffd
      p += 6;
      i++;
      continue;
    }
    if (n === 3 && c === 0xe2 && src[i + 1] === 0x80 && (src[i + 2] === 0xa8 || src[i + 2] === 0xa9)) {
      putU(b, p, 0x32, 0x30, 0x32, src[i + 2] === 0xa8 ? 0x38 : 0x39); // \u2028 / \u2029
      p += 6;
      i += 3;
      continue;
    }
    for (let k = 0; k < n; k++) b[p++] = src[i + k];
    i += n;
  }
  b[p++] = 0x22;
  w.pos = p;
}
