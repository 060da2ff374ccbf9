import { describe, expect, it } from 'vitest';
import { computeCriticalPath } from './critical-path';
import { criticalPathByHop, hopCalls, hopOf, outgoingTime, type HopSpan } from './hops';
import { spansFromDiagram } from '../../test/helpers/span-diagram';

// c3 calls api.stripe.com (the mock stripe answers with its own server span g); c4 calls a host
// nothing answers for; db is a database call (its host: postgres).
const diagram = `
      root:checkout:server              |=======================================|
        c1:checkout:client                |===========================|
          s1:payment:server                |=========================|
            c2:payment:client                |=========|
              s2:adapter-card:server          |=======|
                c3:adapter-card:client         |=====|
                  g:stripe:server               |===|
            c4:payment:client                       |=======|
            db:payment:client                                 |===|`;

const decorate: Record<string, Partial<HopSpan>> = {
  c1: { peerHost: 'payment' },
  c2: { peerHost: 'adapter-card' },
  c3: { peerHost: 'api.stripe.com', gateway: 'stripe' },
  c4: { peerHost: 'fx.internal' },
  db: { peerHost: 'postgres' },
};
const spans: HopSpan[] = spansFromDiagram(diagram).map((s) => ({ gateway: '', peerHost: '', ...s, ...decorate[s.spanId] }));

describe('hopCalls', () => {
  it('finds every hop with its target kind and self time (worked by hand)', () => {
    const calls = hopCalls(spans).map((c) => [c.client.spanId, `${c.hop.from} → ${c.hop.to} (${c.hop.toKind})`, c.self]);
    expect(calls).toEqual([
      // 28 ms minus payment's calls [5,15] [12,20] [22,26]: min(sum 22, 26 - 5 = 21) = 21
      ['c1', 'checkout → payment (service)', 7],
      // 10 ms minus adapter-card's call to stripe (6)
      ['c2', 'payment → adapter-card (service)', 4],
      // a gateway wins over the mock gateway's own server span
      ['c3', 'adapter-card → stripe (gateway)', 6],
      ['c4', 'payment → fx.internal (external)', 8],
      ['db', 'payment → postgres (external)', 4],
    ]);
  });

  it('ignores server and internal spans, and client spans that name no target', () => {
    const bare: HopSpan = { spanId: 'x', parentSpanId: '', service: 'a', kind: 'client', startMs: 0, durationMs: 1, gateway: '', peerHost: '' };
    expect(hopOf(bare, undefined)).toBeNull();
    expect(hopOf({ ...bare, kind: 'internal', peerHost: 'h' }, undefined)).toBeNull();
    expect(hopOf({ ...bare, kind: 'producer', peerHost: 'kafka' }, undefined)).toEqual({ from: 'a', to: 'kafka', toKind: 'external' });
    // a server child of the same service is not a hop target
    expect(hopOf(bare, { ...bare, spanId: 'y', kind: 'server' })).toBeNull();
  });
});

describe('criticalPathByHop', () => {
  it('blames each path segment on the innermost hop in flight; the root service keeps its own time', () => {
    // Path: root 0-2, c1 2-3, s1 3-12, c4 12-20, s1 20-22, db 22-26, s1 26-29, c1 29-30, root 30-40.
    const byHop = criticalPathByHop(spans, computeCriticalPath(spans));
    const got = Object.fromEntries([...byHop.values()].map((v) => [`${v.hop.from}→${v.hop.to}`, v.time]));
    expect(got).toEqual({ 'checkout→payment': 16, 'payment→fx.internal': 8, 'payment→postgres': 4 });
  });
});

describe('outgoingTime', () => {
  it.each([
    [[], 0],
    [[[0, 5]], 5],
    [[[0, 5], [5, 10]], 10], // one after another: the sum
    [[[0, 5], [7, 10]], 8], // with a gap: still the sum
    [[[0, 8], [2, 8]], 8], // at once: first start to last end
    [[[10, 12], [0, 20]], 20],
    [[[0, 5], [3, 8], [10, 12]], 12], // mixed: min(sum 12, span 12)
  ] as [number[][], number][])('%j → %d', (calls, want) => {
    expect(outgoingTime(calls as [number, number][])).toBe(want);
  });
});
