import { describe, expect, it } from 'vitest';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { encodeExportTraceServiceResponse, exportTraceServiceResponseJson, RowBinaryWriter, SPAN_COLUMN_LIST, SPAN_STRUCTURE } from './index';
import { RowBinaryReader } from './testing/rowbinary-reader';

describe('ExportTraceServiceResponse', () => {
  it('full success is the empty protobuf message and {} in JSON', () => {
    expect(encodeExportTraceServiceResponse(0, '')).toEqual(new Uint8Array(0));
    expect(exportTraceServiceResponseJson(0, '')).toEqual({});
    expect(ProtobufTraceSerializer.deserializeResponse(encodeExportTraceServiceResponse(0, ''))).toEqual({});
  });

  it('partial success decodes with the OpenTelemetry JS response parsers', () => {
    const msg = "2 spans rejected: invalid trace_id length 5 (span 'GET /x') — ünïcode";
    const pb = encodeExportTraceServiceResponse(2, msg);
    expect(ProtobufTraceSerializer.deserializeResponse(pb)).toEqual({ partialSuccess: { rejectedSpans: 2, errorMessage: msg } });
    const big = encodeExportTraceServiceResponse(300_000, 'x'.repeat(200));
    expect(ProtobufTraceSerializer.deserializeResponse(big)).toEqual({ partialSuccess: { rejectedSpans: 300_000, errorMessage: 'x'.repeat(200) } });
    const json = exportTraceServiceResponseJson(2, msg);
    expect(json).toEqual({ partialSuccess: { rejectedSpans: '2', errorMessage: msg } });
    const parsed = JsonTraceSerializer.deserializeResponse(new TextEncoder().encode(JSON.stringify(json)));
    expect(parsed.partialSuccess?.errorMessage).toBe(msg);
    expect(Number(parsed.partialSuccess?.rejectedSpans)).toBe(2);
  });

  it('a warning without rejections keeps only the message', () => {
    const pb = encodeExportTraceServiceResponse(0, 'warn');
    expect(Array.from(pb)).toEqual([0x0a, 0x06, 0x12, 0x04, 0x77, 0x61, 0x72, 0x6e]);
    expect(exportTraceServiceResponseJson(0, 'warn')).toEqual({ partialSuccess: { errorMessage: 'warn' } });
    expect(Array.from(encodeExportTraceServiceResponse(1, ''))).toEqual([0x0a, 0x02, 0x08, 0x01]);
  });
});

describe('RowBinaryWriter', () => {
  it('varints at the 7-bit boundaries', () => {
    const w = new RowBinaryWriter(1);
    const values = [0, 1, 127, 128, 255, 16383, 16384, 2 ** 21 - 1, 2 ** 21, 2 ** 31, 2 ** 32 + 5, Number.MAX_SAFE_INTEGER];
    for (const v of values) w.writeVarUInt(v);
    const r = new RowBinaryReader(w.finish());
    expect(values.map(() => r.varUInt())).toEqual(values);
    expect(Array.from(new RowBinaryWriter(4).finish())).toEqual([]);
  });

  it('strings, hex, 64-bit integers, growth from a tiny buffer, exact-size result', () => {
    const w = new RowBinaryWriter(1);
    w.writeString('');
    w.writeString('ascii');
    w.writeString('ünïcødé ☕ 😀');
    w.writeString('y'.repeat(127));
    w.writeString('z'.repeat(128));
    w.writeString('é'.repeat(100)); // 200 bytes: non-ASCII with a 2-byte prefix
    w.writeString('\ud800'); // lone surrogate → U+FFFD
    w.writeStringBytes(Uint8Array.from([0, 255, 1]));
    w.writeStringBytes(new Uint8Array(1000).fill(65), 10, 300);
    w.writeHex(Uint8Array.from([0x00, 0x0f, 0xa0, 0xff]));
    w.writeHex(new Uint8Array(100).fill(0xab));
    w.writeUInt64(0xffffffff, 0x7fffffff);
    w.writeInt64Big(-2n);
    w.writeUInt64Big(18446744073709551615n);
    w.writeInt64Number(1_700_000_000_123_456_789);
    w.writeInt64Number(-1);
    w.writeUInt32(0xdeadbeef);
    w.writeFloat64(1.5);
    w.writeUInt8(7);
    w.writeRaw(Uint8Array.from([1, 2, 3]));
    const buf = w.finish();
    const r = new RowBinaryReader(buf);
    expect(r.string()).toBe('');
    expect(r.string()).toBe('ascii');
    expect(r.string()).toBe('ünïcødé ☕ 😀');
    expect(r.string()).toBe('y'.repeat(127));
    expect(r.string()).toBe('z'.repeat(128));
    expect(r.string()).toBe('é'.repeat(100));
    expect(r.string()).toBe('\ufffd');
    expect(Array.from(r.bytes())).toEqual([0, 255, 1]);
    expect(r.string()).toBe('A'.repeat(290));
    expect(r.string()).toBe('000fa0ff');
    expect(r.string()).toBe('ab'.repeat(100));
    expect(r.int64()).toBe(9223372036854775807n);
    expect(r.int64()).toBe(-2n);
    expect(r.uint64()).toBe(18446744073709551615n);
    // Number(1_700_000_000_123_456_789) is not exact; the writer keeps the double's integer value
    expect(r.int64()).toBe(BigInt(1_700_000_000_123_456_789));
    expect(r.int64()).toBe(-1n);
    expect(buf.readUInt32LE(r.pos)).toBe(0xdeadbeef);
    r.pos += 4;
    expect(buf.readDoubleLE(r.pos)).toBe(1.5);
    r.pos += 8;
    expect(Array.from(buf.subarray(r.pos))).toEqual([7, 1, 2, 3]);
  });

  it('column list and structure strings for INSERT / file(..., RowBinary, ...)', () => {
    expect(SPAN_COLUMN_LIST.startsWith('`Timestamp`, `TraceId`, `SpanId`')).toBe(true);
    expect(SPAN_COLUMN_LIST).toContain('`Events.Timestamp`');
    expect(SPAN_STRUCTURE).toContain('`ResourceAttributes` Map(LowCardinality(String), String)');
    expect(SPAN_STRUCTURE.endsWith('`Links.Attributes` Array(Map(LowCardinality(String), String))')).toBe(true);
  });
});
