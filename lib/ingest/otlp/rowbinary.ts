/**
 * RowBinary building blocks shared by the OTLP decoders (and any other code that must produce
 * byte-identical `otel_traces` rows, e.g. a bulk seeder).
 *
 * RowBinary encodings used here:
 * - String / LowCardinality(String): unsigned LEB128 length, then the raw bytes.
 * - Int64 / UInt64 / DateTime64(9): 8 bytes little endian.
 * - Array(T): LEB128 element count, then the elements.
 * - Map(K, V): LEB128 pair count, then key, value, key, value, ...
 */

/** Lowercase hex digit (as an ASCII code) of the high / low nibble of each byte value. */
export const HEX_HI = new Uint8Array(256);
export const HEX_LO = new Uint8Array(256);
{
  const digits = '0123456789abcdef';
  for (let i = 0; i < 256; i++) {
    HEX_HI[i] = digits.charCodeAt(i >>> 4);
    HEX_LO[i] = digits.charCodeAt(i & 15);
  }
}

/** HEX16[b] written little endian as 16 bits = the two lowercase hex chars of b, in order. */
export const HEX16 = new Uint16Array(256);
for (let i = 0; i < 256; i++) HEX16[i] = HEX_HI[i] | (HEX_LO[i] << 8);

/**
 * Copies src[s, e) to dst at p and returns the new position. `srcDv` / `dstDv` are DataViews over
 * exactly the bytes of src / dst (same offsets). Short runs go 4 bytes at a time through the
 * DataViews (no allocation); long ones through TypedArray.set.
 */
export function copyBytes(dst: Uint8Array, dstDv: DataView, p: number, src: Uint8Array, srcDv: DataView, s: number, e: number): number {
  const n = e - s;
  if (n >= 4) {
    if (n > 64) {
      dst.set(src.subarray(s, e), p);
      return p + n;
    }
    const pe = p + n;
    let i = s;
    for (; i + 4 <= e; i += 4, p += 4) dstDv.setUint32(p, srcDv.getUint32(i, true), true);
    // 0-3 bytes left: one overlapping word ending exactly at the end of the run
    if (i < e) dstDv.setUint32(pe - 4, srcDv.getUint32(e - 4, true), true);
    return pe;
  }
  for (let i = s; i < e; i++) dst[p++] = src[i];
  return p;
}

const TWO_32 = 4294967296;
/** Up to this many bytes a plain loop beats TypedArray.set(subarray()) (which allocates a view). */
const COPY_LOOP_MAX = 192;

/**
 * A growable output buffer with RowBinary primitives. `buf` and `pos` are public so that hot decode
 * loops can write bytes directly after `reserve(n)`.
 */
export class RowBinaryWriter {
  buf: Buffer;
  /** DataView over exactly `buf` (kept in sync when the buffer grows). */
  dv: DataView;
  pos: number;

  constructor(initialCapacity = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(Math.max(64, initialCapacity | 0));
    this.dv = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    this.pos = 0;
  }

  /** Number of bytes written so far. */
  get length(): number {
    return this.pos;
  }

  /** Makes room for at least `n` more bytes. */
  reserve(n: number): void {
    if (this.pos + n > this.buf.length) this.grow(n);
  }

  private grow(n: number): void {
    let cap = this.buf.length * 2;
    const need = this.pos + n;
    while (cap < need) cap *= 2;
    const nb = Buffer.allocUnsafe(cap);
    this.buf.copy(nb, 0, 0, this.pos);
    this.buf = nb;
    this.dv = new DataView(nb.buffer, nb.byteOffset, nb.byteLength);
  }

  /** Forget the content (keeps the buffer). */
  reset(): void {
    this.pos = 0;
  }

  writeUInt8(v: number): void {
    if (this.pos + 1 > this.buf.length) this.grow(1);
    this.buf[this.pos++] = v;
  }

  /** Unsigned LEB128 of a non-negative integer up to 2^53. */
  writeVarUInt(v: number): void {
    if (this.pos + 10 > this.buf.length) this.grow(10);
    const b = this.buf;
    let p = this.pos;
    if (v < 0x80) {
      b[p++] = v;
    } else {
      while (v >= 0x80) {
        b[p++] = (v % 128) | 0x80;
        v = Math.floor(v / 128);
      }
      b[p++] = v;
    }
    this.pos = p;
  }

  writeUInt32(v: number): void {
    if (this.pos + 4 > this.buf.length) this.grow(4);
    const b = this.buf;
    const p = this.pos;
    b[p] = v;
    b[p + 1] = v >>> 8;
    b[p + 2] = v >>> 16;
    b[p + 3] = v >>> 24;
    this.pos = p + 4;
  }

  /** 64-bit little endian from two unsigned 32-bit halves (same bytes for Int64 and UInt64). */
  writeUInt64(lo: number, hi: number): void {
    if (this.pos + 8 > this.buf.length) this.grow(8);
    const b = this.buf;
    const p = this.pos;
    b[p] = lo;
    b[p + 1] = lo >>> 8;
    b[p + 2] = lo >>> 16;
    b[p + 3] = lo >>> 24;
    b[p + 4] = hi;
    b[p + 5] = hi >>> 8;
    b[p + 6] = hi >>> 16;
    b[p + 7] = hi >>> 24;
    this.pos = p + 8;
  }

  writeInt64(lo: number, hi: number): void {
    this.writeUInt64(lo, hi);
  }

  writeUInt64Big(v: bigint): void {
    const u = BigInt.asUintN(64, v);
    this.writeUInt64(Number(u & 0xffffffffn), Number(u >> 32n));
  }

  writeInt64Big(v: bigint): void {
    this.writeUInt64Big(v);
  }

  /** A non-negative integer (< 2^64, exact below 2^53) as UInt64; negative numbers write Int64. */
  writeInt64Number(v: number): void {
    if (v >= 0 && v <= Number.MAX_SAFE_INTEGER) {
      this.writeUInt64(v % TWO_32, Math.floor(v / TWO_32));
    } else {
      this.writeUInt64Big(BigInt(Math.trunc(v)));
    }
  }

  writeFloat64(v: number): void {
    if (this.pos + 8 > this.buf.length) this.grow(8);
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
  }

  /** Raw bytes, no length prefix. */
  writeRaw(src: Uint8Array, start = 0, end = src.length): void {
    const n = end - start;
    if (this.pos + n > this.buf.length) this.grow(n);
    const b = this.buf;
    let p = this.pos;
    if (n > 16 && start === 0 && end === src.length) {
      b.set(src, p);
      p += n;
    } else if (n <= COPY_LOOP_MAX) {
      for (let i = start; i < end; i++) b[p++] = src[i];
    } else {
      b.set(src.subarray(start, end), p);
      p += n;
    }
    this.pos = p;
  }

  /** A RowBinary String from raw bytes (length prefix + bytes). */
  writeStringBytes(src: Uint8Array, start = 0, end = src.length): void {
    const n = end - start;
    if (this.pos + n + 10 > this.buf.length) this.grow(n + 10);
    const b = this.buf;
    let p = this.pos;
    if (n < 0x80) {
      b[p++] = n;
    } else {
      let v = n;
      while (v >= 0x80) {
        b[p++] = (v & 0x7f) | 0x80;
        v >>>= 7;
      }
      b[p++] = v;
    }
    if (n <= COPY_LOOP_MAX) {
      for (let i = start; i < end; i++) b[p++] = src[i];
    } else {
      b.set(src.subarray(start, end), p);
      p += n;
    }
    this.pos = p;
  }

  /** A RowBinary String from a JS string (UTF-8; lone surrogates become U+FFFD). */
  writeString(s: string): void {
    const len = s.length;
    // Fast path: short ASCII.
    if (len < 0x80) {
      if (this.pos + len + 1 > this.buf.length) this.grow(len + 1);
      const b = this.buf;
      const p0 = this.pos;
      let p = p0 + 1;
      let i = 0;
      for (; i < len; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        b[p++] = c;
      }
      if (i === len) {
        b[p0] = len;
        this.pos = p;
        return;
      }
    }
    const n = Buffer.byteLength(s, 'utf8');
    this.writeVarUInt(n);
    if (this.pos + n > this.buf.length) this.grow(n);
    this.buf.write(s, this.pos, n, 'utf8');
    this.pos += n;
  }

  /** A RowBinary String holding the lowercase hex of src[start, end). */
  writeHex(src: Uint8Array, start = 0, end = src.length): void {
    const n = end - start;
    const hn = n * 2;
    if (this.pos + hn + 10 > this.buf.length) this.grow(hn + 10);
    const b = this.buf;
    let p = this.pos;
    if (hn < 0x80) {
      b[p++] = hn;
    } else {
      let v = hn;
      while (v >= 0x80) {
        b[p++] = (v & 0x7f) | 0x80;
        v >>>= 7;
      }
      b[p++] = v;
    }
    let i = start;
    const dv = this.dv;
    for (; i + 2 <= end; i += 2, p += 4) dv.setUint32(p, HEX16[src[i]] | (HEX16[src[i + 1]] << 16), true);
    if (i < end) {
      dv.setUint16(p, HEX16[src[i]], true);
      p += 2;
    }
    this.pos = p;
  }

  /** Copy of the bytes written so far. */
  toBuffer(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }

  /**
   * The bytes written so far, exactly sized. Returns a view when little memory is wasted, else a copy.
   * The writer must not be used afterwards (except after reset(), which starts a new buffer).
   */
  finish(): Buffer {
    const n = this.pos;
    const out = this.buf.length - n <= (n >>> 2) + 4096 ? this.buf.subarray(0, n) : Buffer.from(this.buf.subarray(0, n));
    this.buf = Buffer.allocUnsafe(64);
    this.dv = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    this.pos = 0;
    return out;
  }
}

/** A standalone encoded RowBinary String of a JS string (for precomputed constants). */
export function encodeRowBinaryString(s: string): Uint8Array {
  const w = new RowBinaryWriter(s.length * 3 + 16);
  w.writeString(s);
  return w.toBuffer();
}
