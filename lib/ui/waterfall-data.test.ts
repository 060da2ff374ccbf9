import { describe, expect, it } from 'vitest';
import type { Span } from '../analytics/span';
import { criticalSegments, fromWaterfallData, toWaterfallData } from './waterfall-data';

describe('the waterfall wire format', () => {
  const spans: Span[] = [
    { traceId: 't1', spanId: 'a', parentSpanId: '', service: 'checkout', name: 'POST /api/checkout', kind: 'server', startMs: 1_700_000_000_123.456789, durationMs: 12.3456789, status: 'ok' },
    { traceId: 't1', spanId: 'b', parentSpanId: 'a', service: 'payment', name: 'POST', kind: 'client', startMs: 1_700_000_000_124, durationMs: 5, status: 'error' },
    { traceId: 't2', spanId: 'c', parentSpanId: '', service: 'payment', name: 'POST', kind: 'server', startMs: 1_700_000_003_000, durationMs: 1, status: 'unset' },
  ];
  it('keeps every field (times to the microsecond) and stores repeated strings once', () => {
    const d = toWaterfallData(spans);
    expect([d.traceIds, d.services, d.names, d.kinds, d.base]).toEqual([['t1', 't2'], ['checkout', 'payment'], ['POST /api/checkout', 'POST'], ['server', 'client'], 1_700_000_000_123]);
    const back = fromWaterfallData(JSON.parse(JSON.stringify(d)));
    expect(back.map((s) => ({ ...s, startMs: Math.round(s.startMs * 1000) / 1000 }))).toEqual(spans.map((s) => ({ ...s, startMs: Math.round(s.startMs * 1000) / 1000, durationMs: Math.round(s.durationMs * 1000) / 1000 })));
    expect(fromWaterfallData(toWaterfallData([]))).toEqual([]);
  });
  it('carries the critical path as span indexes and time slices', () => {
    const d = toWaterfallData(spans, {
      critical: { t1: ['a', 'b'], t2: ['c'], gone: ['x'] },
      segments: [{ traceId: 't1', spanId: 'a', startMs: 1_700_000_000_123.5, endMs: 1_700_000_000_124 }, { traceId: 't1', spanId: 'b', startMs: 1_700_000_000_124, endMs: 1_700_000_000_129 }],
    });
    expect(d.critical).toEqual([0, 1, 2]);
    expect(criticalSegments(JSON.parse(JSON.stringify(d)))).toEqual([
      { span: 0, startMs: 1_700_000_000_123.5, endMs: 1_700_000_000_124 },
      { span: 1, startMs: 1_700_000_000_124, endMs: 1_700_000_000_129 },
    ]);
  });
});
