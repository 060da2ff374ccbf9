/**
 * Robustness: truncation at every byte, span-level truncation re-wrapped in valid outer messages,
 * random bytes and random mutations. The decoder must either throw OtlpDecodeError or return a
 * complete, well-formed result — never another exception, never a hang.
 */
import { describe, expect, it } from 'vitest';
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { decodeTraceRequestJson, decodeTraceRequestProtobuf, OtlpDecodeError, type DecodeResult } from './index';
import { av, eventMsg, hex, kv, linkMsg, oneSpanRequest, spanMsg } from './testing/pb';
import { readRows } from './testing/rowbinary-reader';
import { rng } from './testing/rng';

function sdkRequest(): Uint8Array {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'fuzz', 'k8s.pod': 'p-1', n: 3 }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('fuzz-scope', '1.0.0');
  const root = tracer.startSpan('root', { kind: SpanKind.SERVER, attributes: { s: 'x', i: 7, d: 0.5, b: true, arr: ['a', 'b'], nums: [1.5, 2] } });
  root.addEvent('ev', { q: 'r' });
  const child = tracer.startSpan('child', { kind: SpanKind.CLIENT, links: [{ context: root.spanContext(), attributes: { l: 1 } }] }, trace.setSpan(context.active(), root));
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
  child.end();
  root.end();
  return ProtobufTraceSerializer.serializeRequest(exporter.getFinishedSpans()) as Uint8Array;
}

/** Runs the decoder; returns the result or 'error'; fails the test on any other exception. */
function attempt(body: Uint8Array): DecodeResult | 'error' {
  try {
    const res = decodeTraceRequestProtobuf(body);
    // a returned result must be complete and well-formed
    const rows = readRows(res.rows);
    expect(rows.length).toBe(res.accepted);
    expect(res.rejected >= 0 && (res.rejected === 0) === (res.errorMessage === '')).toBe(true);
    return res;
  } catch (e) {
    if (e instanceof OtlpDecodeError) return 'error';
    throw e;
  }
}

describe('truncation', () => {
  const body = sdkRequest();

  it('the fixture is one ResourceSpans with all the structure', () => {
    expect(body[0]).toBe(0x0a);
    expect(decodeTraceRequestProtobuf(body).accepted).toBe(2);
  });

  it('truncated at every byte offset → OtlpDecodeError (0 and full length are valid)', () => {
    expect(attempt(body.subarray(0, 0))).not.toBe('error');
    for (let k = 1; k < body.length; k++) {
      expect(() => decodeTraceRequestProtobuf(body.subarray(0, k)), `cut at ${k}`).toThrow(OtlpDecodeError);
    }
  });

  it('a span truncated at every offset inside valid outer messages → error or valid result', () => {
    const span = spanMsg({
      traceId: hex('0102030405060708090a0b0c0d0e0f10'),
      spanId: hex('1112131415161718'),
      parentSpanId: hex('2122232425262728'),
      traceState: 'a=b',
      name: 'truncate me',
      kind: 3,
      start: 1_700_000_000_000_000_000n,
      end: 1_700_000_001_000_000_000n,
      attributes: [kv('s', av.str('v')), kv('i', av.int(-5)), kv('a', av.array(av.str('x'), av.kvlist(kv('k', av.double(1.5)))))],
      events: [eventMsg(5n, 'e', [kv('b', av.bool(true))])],
      links: [linkMsg(hex('0102030405060708090a0b0c0d0e0f10'), hex('1112131415161718'), 't', [kv('l', av.bytes([1, 2]))])],
      status: { code: 2, message: 'm' },
    });
    let errors = 0;
    let results = 0;
    for (let k = 0; k <= span.length; k++) {
      const r = attempt(oneSpanRequest(span.subarray(0, k)));
      if (r === 'error') errors++;
      else results++;
    }
    expect(errors).toBeGreaterThan(span.length / 2);
    expect(results).toBeGreaterThan(0);
  });
});

describe('random input', () => {
  it('random bytes → OtlpDecodeError or a valid result', () => {
    const rand = rng(12345);
    let ok = 0;
    for (let i = 0; i < 4000; i++) {
      const n = Math.floor(rand() * 160);
      const b = new Uint8Array(n);
      for (let j = 0; j < n; j++) b[j] = Math.floor(rand() * 256);
      if (attempt(b) !== 'error') ok++;
    }
    expect(ok).toBeGreaterThan(0); // e.g. the empty body
  });

  it('random bytes biased towards OTLP tags → OtlpDecodeError or a valid result', () => {
    const rand = rng(777);
    const alphabet = [0x0a, 0x12, 0x1a, 0x22, 0x2a, 0x30, 0x39, 0x41, 0x4a, 0x5a, 0x6a, 0x7a, 0x85, 0x01, 0x00, 0x02, 0x08, 0x10, 0x80, 0xff, 0x0b, 0x0c];
    for (let i = 0; i < 4000; i++) {
      const n = 1 + Math.floor(rand() * 80);
      const b = new Uint8Array(n);
      for (let j = 0; j < n; j++) b[j] = rand() < 0.7 ? alphabet[Math.floor(rand() * alphabet.length)] : Math.floor(rand() * 256);
      attempt(b);
    }
  });

  it('random mutations of a valid request → OtlpDecodeError or a valid result, quickly', () => {
    const body = sdkRequest();
    const rand = rng(4242);
    const t0 = Date.now();
    let valid = 0;
    for (let i = 0; i < 6000; i++) {
      const m = Uint8Array.from(body);
      const flips = 1 + Math.floor(rand() * 4);
      for (let f = 0; f < flips; f++) {
        const at = Math.floor(rand() * m.length);
        const r = rand();
        m[at] = r < 0.4 ? Math.floor(rand() * 256) : r < 0.7 ? m[at] ^ (1 << Math.floor(rand() * 8)) : r < 0.85 ? 0x80 | m[at] : 0;
      }
      if (attempt(m) !== 'error') valid++;
    }
    expect(valid).toBeGreaterThan(0);
    expect(Date.now() - t0).toBeLessThan(30_000);
  });

  it('random JSON-ish garbage → OtlpDecodeError or a valid result', () => {
    const rand = rng(99);
    const pieces = ['{', '}', '[', ']', ',', ':', '"resourceSpans"', '"scopeSpans"', '"spans"', '"traceId"', '"0102030405060708090a0b0c0d0e0f10"', '"attributes"', '"key"', '"value"', '"intValue"', '1', 'null', 'true', '"x"', '"kind"', '-3.5e2'];
    for (let i = 0; i < 3000; i++) {
      let s = '';
      const n = Math.floor(rand() * 30);
      for (let j = 0; j < n; j++) s += pieces[Math.floor(rand() * pieces.length)];
      try {
        const res = decodeTraceRequestJson(s);
        expect(readRows(res.rows).length).toBe(res.accepted);
      } catch (e) {
        if (!(e instanceof OtlpDecodeError)) throw e;
      }
    }
  });
});
