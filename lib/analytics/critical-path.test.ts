import { describe, expect, it } from 'vitest';
import { computeCriticalPath } from './critical-path';
import { formatSegments, spansFromDiagram } from '../../test/helpers/span-diagram';

// Each case: a hand-drawn trace (1 column = 1 ms) and the critical path worked out by hand.
const cases: { name: string; diagram: string; path: string; spans: string[] }[] = [
  {
    name: 'sequential children, one with a child of its own',
    diagram: `
      root                        |=================================================|
        A                           |=======|
        B                                    |==================|
          B1                                  |====|
        C                                                        |===============|`,
    path: 'root 0-2, A 2-10, root 10-11, B 11-12, B1 12-17, B 17-30, root 30-31, C 31-47, root 47-50',
    spans: ['root', 'A', 'B', 'B1', 'C'],
  },
  {
    name: 'overlapping children: the one still running when the last one started is not blocking',
    diagram: `
      parent                      |========================|
        A                         |=========|
        B                              |==============|`,
    path: 'parent 0-5, B 5-20, parent 20-25',
    spans: ['parent', 'B'],
  },
  {
    name: 'async child outliving its parent (a timed-out call the gateway kept working on) is cut at the parent end',
    diagram: `
      root:adapter:server         |=========|
        call:adapter:client        |======|
          gw:stripe:server          |===============|`,
    path: 'root 0-1, call 1-2, gw 2-8, root 8-10',
    spans: ['root', 'call', 'gw'],
  },
  {
    name: 'a child started after its parent ended (fire and forget) is not on the path',
    diagram: `
      root                        |=========|
        A                           |==|
          late                           |=|`,
    path: 'root 0-2, A 2-5, root 5-10',
    spans: ['root', 'A'],
  },
  {
    name: 'clock skew: a server span of another service starting before its client is centred in it, with its subtree',
    diagram: `
      root:checkout:server        |===================|
        call:checkout:client          |=========|
          work:order:server         |=====|
            db:order:client          |=|`,
    // work 2..8 shifted by +4 to 6..12 (centred in call 4..14); db 3..5 moves with it to 7..9.
    path: 'root 0-4, call 4-6, work 6-7, db 7-9, work 9-12, call 12-14, root 14-20',
    spans: ['root', 'call', 'work', 'db'],
  },
  {
    name: 'same service: no skew correction, the overflowing child is clipped',
    diagram: `
      root                        |=========|
        A                             |=========|`,
    path: 'root 0-4, A 4-10',
    spans: ['root', 'A'],
  },
  {
    name: 'back-to-back children are both on the path',
    diagram: `
      root                        |=========|
        A                         |====|
        B                              |====|`,
    path: 'A 0-5, B 5-10',
    spans: ['A', 'B'],
  },
  {
    name: 'several roots (a missing parent): the longest one is the trace',
    diagram: `
      short                       |==|
      long                        |==========|
        A                            |===|`,
    path: 'long 0-3, A 3-7, long 7-11',
    spans: ['long', 'A'],
  },
  {
    name: 'several roots that do not overlap: each on the path, the time between them on none (Jaeger agrees)',
    diagram: `
      R1                          |=====|
      R2                                     |=======|
      R3                                       |===|`,
    // Jaeger also walks R3 (13-17) on its own; here it is a sibling still running when R2 began.
    path: 'R1 0-6, R2 11-19',
    spans: ['R1', 'R2'],
  },
  {
    name: 'roots alike in time: the lowest span id (Jaeger: each root walked on its own)',
    diagram: `
      b                           |=========|
        b1                          |===|
      a                           |=========|`,
    path: 'a 0-10',
    spans: ['a'],
  },
  {
    name: 'children ending at the same clipped time: the earliest start is followed (Jaeger agrees)',
    diagram: `
      parent                      |=========|
        A                         |===|
        B                       |=====|`,
    path: 'B 0-4, parent 4-10',
    spans: ['B', 'parent'],
  },
  {
    name: 'children alike in time: the lowest span id, not the one listed first',
    diagram: `
      parent                      |=========|
        b                           |===|
          b1                         |=|
        a                           |===|`,
    path: 'parent 0-2, a 2-6, parent 6-10',
    spans: ['parent', 'a'],
  },
  {
    name: 'a span sent twice (a retried export) counts once',
    diagram: `
      root                        |=========|
        A                           |=====|
          A1                         |==|
        A                           |=====|`,
    path: 'root 0-2, A 2-3, A1 3-6, A 6-8, root 8-10',
    spans: ['root', 'A', 'A1'],
  },
  {
    name: 'a payment callback through a queue: the consumer does not block its producer (Jaeger agrees)',
    diagram: `
      publish:gateway:producer    |=========|
        handle:ledger:consumer      |===|
          write:ledger:client        |=|`,
    path: 'publish 0-10',
    spans: ['publish'],
  },
  {
    name: 'a consumer under a span of its own process (a poll loop) is waited on',
    diagram: `
      poll:ledger:internal        |=========|
        handle:ledger:consumer      |===|`,
    path: 'poll 0-2, handle 2-6, poll 6-10',
    spans: ['poll', 'handle'],
  },
];

/**
 * jaeger-ui's own critical-path cases (packages/jaeger-ui/src/components/TracePage/CriticalPath/
 * testCases/test1..9.js), re-drawn at their times: column 0 is `t0`, one column per `unit` (1 ms
 * unless given). Jaeger lists the sections latest first; here they are in time order.
 */
const jaegerCases: { name: string; diagram: string; t0: number; unit?: number; path: string; spans: string[] }[] = [
  {
    name: 'test1: two sequential children', t0: 1,
    diagram: `
      C                           |===================================================================================================|
        D                                            |===================|
        E                                                                          |=========|`,
    path: 'C 1-20, D 20-40, C 40-50, E 50-60, C 60-101', spans: ['C', 'D', 'E'],
  },
  {
    name: 'test2: overlapping children, the last-finishing one blocks', t0: 1,
    diagram: `
      X                           |===================================================================================================|
        A                                  |=======================================|
        C                                            |=======================================|`,
    path: 'X 1-20, C 20-60, X 60-101', spans: ['X', 'C'],
  },
  {
    name: 'test3: a child of another service starting after its parent ended', t0: 100, unit: 10,
    diagram: `
      A:one:producer              |===|
        B:two:client                        |=============================|`,
    path: 'A 100-140', spans: ['A'],
  },
  {
    name: 'test4: a child after its parent ended, with its own child', t0: 1,
    diagram: `
      A                           |=============================|
        B                                                                |=======================================|
          C                                                                        |=========|`,
    path: 'A 1-31', spans: ['A'],
  },
  {
    name: 'test5: a consumer under a producer does not block it', t0: 1,
    diagram: `
      A:svc:producer              |=============================|
        B:svc:consumer                     |=========|
          C                                  |=|`,
    path: 'A 1-31', spans: ['A'],
  },
  {
    name: 'test6: a grandchild starting before its parent is clipped', t0: 1,
    diagram: `
      A                           |============================|
        B                                       |===================|
          C                                |==============|`,
    path: 'A 1-15, C 15-25, B 25-30', spans: ['A', 'C', 'B'],
  },
  {
    name: 'test7: children outliving their parents are clipped', t0: 1,
    diagram: `
      A                           |============================|
        B                                       |===================|
          C                                          |===================|`,
    path: 'A 1-15, B 15-20, C 20-30', spans: ['A', 'B', 'C'],
  },
  {
    name: 'test8: a child longer than its parent on both sides', t0: 10,
    diagram: `
      A                           |===================|
        B                    |=============================|`,
    path: 'B 10-30', spans: ['B'],
  },
  {
    name: 'test9: a child that ended before its parent started', t0: 10,
    diagram: `
      A                           |===================|
        B                |===|`,
    path: 'A 10-30', spans: ['A'],
  },
];

const jaegerSpans = (c: (typeof jaegerCases)[number]) =>
  spansFromDiagram(c.diagram, c.unit).map((s) => ({ ...s, startMs: s.startMs + c.t0 }));

const allTraces = [...cases.map((c) => spansFromDiagram(c.diagram)), ...jaegerCases.map(jaegerSpans)];

/** A seeded shuffle (mulberry32), so a failure can be replayed. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let a = seed;
  const random = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

describe('computeCriticalPath', () => {
  it.each(cases)('$name', ({ diagram, path, spans }) => {
    const result = computeCriticalPath(spansFromDiagram(diagram));
    expect(formatSegments(result.segments)).toBe(path);
    expect(result.spanIds).toEqual(spans);
  });

  it.each(jaegerCases)('jaeger-ui $name', (c) => {
    const result = computeCriticalPath(jaegerSpans(c));
    expect(formatSegments(result.segments)).toBe(c.path);
    expect(result.spanIds).toEqual(c.spans);
  });

  it('covers a single root exactly once, segments contiguous; several roots without overlap', () => {
    for (const spans of allTraces) {
      const r = computeCriticalPath(spans);
      for (let i = 1; i < r.segments.length; i++) expect(r.segments[i].start).toBeGreaterThanOrEqual(r.segments[i - 1].end);
      if (r.rootSpanIds.length !== 1) continue;
      const root = spans.find((s) => s.spanId === r.rootSpanIds[0])!;
      expect(r.segments[0].start).toBe(root.startMs);
      expect(r.segments.at(-1)!.end).toBe(root.startMs + root.durationMs);
      for (let i = 1; i < r.segments.length; i++) expect(r.segments[i].start).toBe(r.segments[i - 1].end);
      const total = r.segments.reduce((a, s) => a + (s.end - s.start), 0);
      expect(total).toBeCloseTo(root.durationMs, 9);
    }
  });

  // The hops query reads a trace's spans in no fixed order: the same trace must give the same path.
  it('gives the same answer whatever the order of the spans', () => {
    // A span id sent twice with different times (a faulty sender): one copy is kept, the same one.
    const conflicting = [
      { spanId: 'root', parentSpanId: '', startMs: 0, durationMs: 10 },
      { spanId: 'A', parentSpanId: 'root', startMs: 2, durationMs: 6 },
      { spanId: 'A', parentSpanId: 'root', startMs: 2, durationMs: 4 },
    ];
    for (const spans of [...allTraces, conflicting]) {
      const want = computeCriticalPath(spans);
      for (const order of [[...spans].reverse(), ...Array.from({ length: 20 }, (_, seed) => shuffled(spans, seed))]) {
        const got = computeCriticalPath(order);
        expect(got.segments).toEqual(want.segments);
        expect(got.spanIds).toEqual(want.spanIds);
        expect(got.rootSpanIds).toEqual(want.rootSpanIds);
        expect(got.skewShifts).toEqual(want.skewShifts);
      }
    }
  });

  it('reports the clock-skew shift it applied', () => {
    const r = computeCriticalPath(spansFromDiagram(cases[4].diagram));
    expect(Object.fromEntries(r.skewShifts)).toEqual({ work: 4, db: 4 });
  });

  it('survives empty input and parent cycles', () => {
    expect(computeCriticalPath([]).segments).toEqual([]);
    const cyclic = [
      { spanId: 'a', parentSpanId: 'b', startMs: 0, durationMs: 5 },
      { spanId: 'b', parentSpanId: 'a', startMs: 1, durationMs: 2 },
    ];
    expect(computeCriticalPath(cyclic).rootSpanIds).toEqual([]);
    const selfParent = [{ spanId: 'a', parentSpanId: 'a', startMs: 0, durationMs: 5 }];
    expect(formatSegments(computeCriticalPath(selfParent).segments)).toBe('a 0-5');
  });

  it('handles a deep chain without recursion trouble', () => {
    const spans = Array.from({ length: 2000 }, (_, i) => ({ spanId: `s${i}`, parentSpanId: i ? `s${i - 1}` : '', startMs: i * 0.001, durationMs: 10 - i * 0.002 }));
    const r = computeCriticalPath(spans);
    expect(r.spanIds.length).toBe(2000);
  });
});
