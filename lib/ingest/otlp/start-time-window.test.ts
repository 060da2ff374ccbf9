/**
 * The accepted window of span start times: spans outside it are dropped with an OTLP partial success
 * reason, the same way by the protobuf and the JSON decoder; without a window every start is kept.
 */
import { describe, expect, it } from 'vitest';
import { decodeTraceRequestJson, decodeTraceRequestProtobuf, startTimeWindow, type DecodeOptions } from './index';
import { hex, requestMsg, resourceSpansMsg, scopeSpansMsg, spanMsg } from './testing/pb';
import { readRows } from './testing/rowbinary-reader';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 15, 12, 0, 0);
const TID = '0af7651916cd43dd8448eb211c80319c';

/** Spans named by their start, given in ms relative to NOW (null: no start time at all). */
function bodies(starts: (number | null)[]): { pb: Uint8Array; json: string } {
  const sid = (i: number) => (i + 1).toString(16).padStart(16, '0');
  const ns = (ms: number) => BigInt(NOW + ms) * 1_000_000n;
  const pbSpans = starts.map((s, i) => spanMsg({ traceId: hex(TID), spanId: hex(sid(i)), name: `s${i}`, ...(s === null ? {} : { start: ns(s), end: ns(s) + 1000n }) }));
  const jsonSpans = starts.map((s, i) => ({ traceId: TID, spanId: sid(i), name: `s${i}`, ...(s === null ? {} : { startTimeUnixNano: String(ns(s)), endTimeUnixNano: String(ns(s) + 1000n) }) }));
  return {
    pb: requestMsg([resourceSpansMsg(null, [scopeSpansMsg({ name: 'sc' }, pbSpans)])]),
    json: JSON.stringify({ resourceSpans: [{ scopeSpans: [{ scope: { name: 'sc' }, spans: jsonSpans }] }] }),
  };
}

function decodeBoth(starts: (number | null)[], opts?: DecodeOptions) {
  const b = bodies(starts);
  const pb = decodeTraceRequestProtobuf(b.pb, opts);
  const json = decodeTraceRequestJson(b.json, opts);
  expect({ ...json, rows: readRows(json.rows) }).toEqual({ ...pb, rows: readRows(pb.rows) });
  return { ...pb, names: readRows(pb.rows).map((r) => r.SpanName) };
}

describe('span start time window', () => {
  it('with 30 days of retention: keeps starts from 30 days back to 1 day ahead, drops the rest as partial success', () => {
    const window = { ...startTimeWindow(30), nowMs: NOW };
    const r = decodeBoth([0, -29 * DAY, -31 * DAY, 23 * 3_600_000, 2 * DAY, null, -3_000 * DAY], { startTimeWindow: window });
    expect(r.names).toEqual(['s0', 's1', 's3']);
    expect(r.accepted).toBe(3);
    expect(r.rejected).toBe(4);
    expect(r.errorMessage).toBe("4 spans rejected: start time 2026-05-15T12:00:00.000Z is older than 30 days (retention) (span 's2')");
  });

  it('reports a start too far ahead with its time', () => {
    const r = decodeBoth([2 * DAY], { startTimeWindow: { ...startTimeWindow(30), nowMs: NOW } });
    expect(r.accepted).toBe(0);
    expect(r.errorMessage).toBe("1 span rejected: start time 2026-06-17T12:00:00.000Z is more than 1 day in the future (span 's0')");
  });

  it('with retention 0 (keep forever): any past start, still at most a day ahead', () => {
    const r = decodeBoth([-3_000 * DAY, null, 0, 2 * DAY], { startTimeWindow: { ...startTimeWindow(0), nowMs: NOW } });
    expect(r.names).toEqual(['s0', 's1', 's2']);
    expect(r.rejected).toBe(1);
  });

  it('a request over 101 days keeps the days within retention (bounding the partitions one insert writes)', () => {
    const starts = Array.from({ length: 101 }, (_, i) => -i * DAY);
    const r = decodeBoth(starts, { startTimeWindow: { ...startTimeWindow(30), nowMs: NOW } });
    expect(r.accepted).toBe(31);
    expect(r.rejected).toBe(70);
    expect(r.errorMessage).toMatch(/^70 spans rejected: start time .* is older than 30 days \(retention\) \(span 's31'\)$/);
  });

  it('without a window every start time is kept', () => {
    const r = decodeBoth([-3_000 * DAY, null, 400 * DAY]);
    expect(r.accepted).toBe(3);
    expect(r.rejected).toBe(0);
  });

  it('defaults "now" to the time of decoding', () => {
    const ahead = Date.now() - NOW + 2 * DAY; // two days after the real now
    const r = decodeBoth([Date.now() - NOW, ahead], { startTimeWindow: startTimeWindow(30) });
    expect(r.names).toEqual(['s0']);
  });
});
