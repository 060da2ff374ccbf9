/**
 * Every walk over a span tree on a parent→child chain as deep as a sender likes: 20,000 and 100,000
 * spans. Recursion overflows the stack long before that; each answer here is worked out by hand.
 *
 *   s0      |==============================|   0 .. 2N        (span i: i .. 2N - i)
 *   s1       |============================|    1 .. 2N-1
 *   ...
 *   sN-1                 |==|                  N-1 .. N+1
 *
 *   critical path: s0 0-1 · s1 1-2 · … · sN-1 (N-1)-(N+1) · sN-2 (N+1)-(N+2) · … · s0 (2N-1)-2N
 */
import { describe, expect, it } from 'vitest';
import { layoutServiceMap } from '../ui/service-map';
import { ancestorRows, buildSpanTree, visibleRows } from '../ui/waterfall';
import { toWaterfallData } from '../ui/waterfall-data';
import { computeCriticalPath, type CriticalPathSpan } from './critical-path';
import { criticalPathByHop, hopCalls, type HopSpan } from './hops';

const DEPTHS = [20_000, 100_000];

const chain = (n: number): CriticalPathSpan[] =>
  Array.from({ length: n }, (_, i) => ({ spanId: `s${i}`, parentSpanId: i ? `s${i - 1}` : '', startMs: i, durationMs: 2 * n - 2 * i }));

/** The path drawn above: down the chain one ms per span, the last span's 2 ms, back up one ms each. */
function expectedSegments(n: number) {
  const out: { spanId: string; start: number; end: number }[] = [];
  for (let i = 0; i < n - 1; i++) out.push({ spanId: `s${i}`, start: i, end: i + 1 });
  out.push({ spanId: `s${n - 1}`, start: n - 1, end: n + 1 });
  for (let i = n - 2; i >= 0; i--) out.push({ spanId: `s${i}`, start: 2 * n - i - 1, end: 2 * n - i });
  return out;
}

describe.each(DEPTHS)('a %i-span chain', (n) => {
  it('critical path: every span, in depth order, with its slices on the way down and up', () => {
    const r = computeCriticalPath(chain(n));
    expect(r.rootSpanIds).toEqual(['s0']);
    expect(r.spanIds).toEqual(chain(n).map((s) => s.spanId));
    expect(r.segments).toEqual(expectedSegments(n));
    expect(r.skewShifts.size).toBe(0);
  });

  // Each span from its own service, whose clock reads 1 ms earlier than its caller's: span i is
  // recorded at -i with duration 2N - 2i, so it starts before its (already corrected) parent. Centred in
  // the parent it moves to i, a shift of 2i (its parent's 2(i-1) plus its own 2): the same
  // nested chain as above, so the same path.
  it('clock-skew correction moves each subtree once: shifts 2i, then the same path', () => {
    const skewed = chain(n).map((s, i) => ({ ...s, startMs: -i || 0, service: `svc${i}` }));
    const r = computeCriticalPath(skewed);
    expect(r.segments).toEqual(expectedSegments(n));
    expect(r.skewShifts.size).toBe(n - 1);
    for (const i of [1, 2, n >> 1, n - 1]) expect(r.skewShifts.get(`s${i}`)).toBe(2 * i);
  });

  // Spans alternate server (even, service k = i/2) and client (odd, service (i-1)/2) down the chain:
  // client 2k+1 → server 2k+2 is the hop svc_k → svc_k+1. Each hop is blamed for its client's 2 ms of
  // the path and its server's 2 ms: 4 ms; the root's 2 ms belong to no hop. n + 1 spans so the chain
  // ends on a server.
  it('hops: every client→server pair is a hop with 4 ms of the critical path', () => {
    const spans: HopSpan[] = chain(n + 1).map((s, i) => ({
      ...s, service: `svc${i >> 1}`, kind: i % 2 ? 'client' : 'server', gateway: '', peerHost: '',
    }));
    expect(hopCalls(spans).length).toBe(n / 2);
    const byHop = criticalPathByHop(spans, computeCriticalPath(spans));
    expect(byHop.size).toBe(n / 2);
    for (const k of [0, n / 4, n / 2 - 1]) {
      expect(byHop.get(`svc${k}\u0000svc${k + 1}\u0000service`)).toEqual({ hop: { from: `svc${k}`, to: `svc${k + 1}`, toKind: 'service' }, time: 4 });
    }
  });

  it('waterfall: one row per span at depth i, each subtree running to the end, ancestors in order', () => {
    const spans = chain(n).map((s) => ({ ...s, traceId: 't', service: 'svc', name: 'op' }));
    const tree = buildSpanTree(spans);
    expect(tree.rows.length).toBe(n);
    expect(tree.rows.every((r, i) => r.span === i && r.depth === i && r.parent === i - 1 && r.end === n)).toBe(true);
    expect(ancestorRows(tree, n - 1)).toEqual(Array.from({ length: n - 1 }, (_, i) => i));
    expect(visibleRows(tree, new Set([1]))).toEqual([0, 1]);
    const data = toWaterfallData(spans.map((s) => ({ ...s, kind: 'internal', status: 'ok' as const })), { critical: { t: computeCriticalPath(chain(n)).spanIds } });
    expect(data.critical.length).toBe(n);
  });

  it('service map: a chain of services gets one column per call', () => {
    const edges = Array.from({ length: n - 1 }, (_, i) => ({ from: `svc${i}`, to: `svc${i + 1}`, toKind: 'service' as const }));
    edges.push({ from: `svc${n - 1}`, to: 'svc0', toKind: 'service' }); // and back: a cycle, cut
    const columns = new Map(layoutServiceMap(edges).nodes.map((node) => [node.id, node.column]));
    expect(columns.size).toBe(n);
    for (let i = 0; i < n; i++) if (columns.get(`svc${i}`) !== i) expect([`svc${i}`, columns.get(`svc${i}`)]).toEqual([`svc${i}`, i]);
  });
});
