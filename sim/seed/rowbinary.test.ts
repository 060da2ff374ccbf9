import { describe, expect, it } from 'vitest';
import { decodeTraceRequestJson, decodeTraceRequestProtobuf, RowBinaryWriter } from '../../lib/ingest/otlp';
import { av, eventMsg, hex, kv, requestMsg, resourceSpansMsg, scopeSpansMsg, spanMsg } from '../../lib/ingest/otlp/testing/pb';
import { RESOURCES, SCOPES, type SeedSpan } from './generate';
import { writeSeedSpan } from './rowbinary';
import { paymentStream } from './seed';

// The three producers of otel_traces rows (protobuf decoder, OTLP/JSON decoder, seeder) must write
// the same bytes for the same span: each seeded span is sent to both decoders as an OTLP request.

const KIND: Record<SeedSpan['kind'], number> = { Internal: 1, Server: 2, Client: 3 };
const STATUS: Record<SeedSpan['status'], number> = { Unset: 0, Ok: 1, Error: 2 };
const KIND_JSON: Record<SeedSpan['kind'], string> = { Internal: 'SPAN_KIND_INTERNAL', Server: 'SPAN_KIND_SERVER', Client: 'SPAN_KIND_CLIENT' };
const STATUS_JSON: Record<SeedSpan['status'], string> = { Unset: 'STATUS_CODE_UNSET', Ok: 'STATUS_CODE_OK', Error: 'STATUS_CODE_ERROR' };

/** Epoch milliseconds (fractional) to nanoseconds, rounded to the nearest nanosecond. */
function ns(ms: number): bigint {
  const whole = Math.floor(ms);
  return BigInt(whole) * 1_000_000n + BigInt(Math.round((ms - whole) * 1e6));
}

function pairs(flat: readonly string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i], flat[i + 1]]);
  return out;
}

function spanAttributes(s: SeedSpan): Array<[string, string]> {
  return [...pairs(s.context ?? []), ...pairs(s.attrs)];
}

function protobufRequest(s: SeedSpan): Uint8Array {
  const start = ns(s.startMs);
  const span = spanMsg({
    traceId: hex(s.traceId),
    spanId: hex(s.spanId),
    parentSpanId: s.parentSpanId ? hex(s.parentSpanId) : undefined,
    name: s.name,
    kind: KIND[s.kind],
    start,
    end: start + BigInt(Math.round(s.durationMs * 1e6)),
    attributes: spanAttributes(s).map(([k, v]) => kv(k, av.str(v))),
    events: (s.events ?? []).map((e) => eventMsg(ns(e.timeMs), e.name, pairs(e.attrs).map(([k, v]) => kv(k, av.str(v))))),
    status: { code: STATUS[s.status], message: s.statusMessage },
  });
  const resource = pairs(RESOURCES[s.resource].attrs).map(([k, v]) => kv(k, av.str(v)));
  return requestMsg([resourceSpansMsg(resource, [scopeSpansMsg(SCOPES[s.scope], [span])])]);
}

function jsonRequest(s: SeedSpan): string {
  const attrs = (p: Array<[string, string]>) => p.map(([key, v]) => ({ key, value: { stringValue: v } }));
  const start = ns(s.startMs);
  return JSON.stringify({
    resourceSpans: [{
      resource: { attributes: attrs(pairs(RESOURCES[s.resource].attrs)) },
      scopeSpans: [{
        scope: SCOPES[s.scope],
        spans: [{
          traceId: s.traceId,
          spanId: s.spanId,
          parentSpanId: s.parentSpanId,
          name: s.name,
          kind: KIND_JSON[s.kind],
          startTimeUnixNano: String(start),
          endTimeUnixNano: String(start + BigInt(Math.round(s.durationMs * 1e6))),
          attributes: attrs(spanAttributes(s)),
          events: (s.events ?? []).map((e) => ({ timeUnixNano: String(ns(e.timeMs)), name: e.name, attributes: attrs(pairs(e.attrs)) })),
          status: { code: STATUS_JSON[s.status], message: s.statusMessage },
        }],
      }],
    }],
  });
}

describe('one row writer for otel_traces', () => {
  it('the seeder, the protobuf decoder and the OTLP/JSON decoder write byte-equal rows for the same span', () => {
    const stream = paymentStream({ payments: 400, seed: 'row-writer', fromMs: Date.parse('2025-02-01T00:00:00Z'), toMs: Date.parse('2025-02-01T01:00:00Z'), scenario: 'timeout-misconfig' });
    const spans: SeedSpan[] = [];
    for (let i = 0; i < 400; i++) stream.next((s) => spans.push(s));
    // kinds and statuses this sample of the simulator does not produce
    spans.push({ ...spans[1], kind: 'Internal' }, { ...spans[2], status: 'Ok' }, { ...spans[3], status: 'Error', statusMessage: 'gateway timeout <é>' });
    // the sample covers every kind and status, parents, events and the shared payment context
    expect(new Set(spans.map((s) => s.kind))).toEqual(new Set(['Server', 'Client', 'Internal']));
    expect(new Set(spans.map((s) => s.status))).toEqual(new Set(['Unset', 'Ok', 'Error']));
    expect(spans.some((s) => s.events && s.events.length > 0)).toBe(true);
    expect(spans.some((s) => s.context && s.context.length > 0)).toBe(true);
    expect(spans.some((s) => s.parentSpanId === '')).toBe(true);

    for (const s of spans) {
      const w = new RowBinaryWriter(1024);
      writeSeedSpan(w, s);
      const seeded = w.toBuffer();
      const pb = decodeTraceRequestProtobuf(protobufRequest(s));
      const js = decodeTraceRequestJson(jsonRequest(s));
      expect([pb.accepted, js.accepted]).toEqual([1, 1]);
      expect(Buffer.compare(pb.rows, seeded), `protobuf vs seeder, span ${s.name}`).toBe(0);
      expect(Buffer.compare(js.rows, seeded), `JSON vs seeder, span ${s.name}`).toBe(0);
    }
  });
});
