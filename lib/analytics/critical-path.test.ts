import { describe, expect, it } from 'vitest';
import { computeCriticalPath } from './critical-path';
import { formatSegments, spansFromDiagram } from './testing/span-diagram';

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
];

describe('computeCriticalPath', () => {
  it.each(cases)('$name', ({ diagram, path, spans }) => {
    const result = computeCriticalPath(spansFromDiagram(diagram));
    expect(formatSegments(result.segments)).toBe(path);
    expect(result.spanIds).toEqual(spans);
  });

  it('covers the root span exactly once, segments contiguous', () => {
    for (const { diagram } of cases) {
      const spans = spansFromDiagram(diagram);
      const r = computeCriticalPath(spans);
      const root = spans.find((s) => s.spanId === r.rootSpanId)!;
      expect(r.segments[0].start).toBe(root.start);
      expect(r.segments.at(-1)!.end).toBe(root.start + root.duration);
      for (let i = 1; i < r.segments.length; i++) expect(r.segments[i].start).toBe(r.segments[i - 1].end);
      const total = r.segments.reduce((a, s) => a + (s.end - s.start), 0);
      expect(total).toBeCloseTo(root.duration, 9);
    }
  });

  it('reports the clock-skew shift it applied', () => {
    const r = computeCriticalPath(spansFromDiagram(cases[4].diagram));
    expect(Object.fromEntries(r.skewShifts)).toEqual({ work: 4, db: 4 });
  });

  it('survives empty input and parent cycles', () => {
    expect(computeCriticalPath([]).segments).toEqual([]);
    const cyclic = [
      { spanId: 'a', parentSpanId: 'b', start: 0, duration: 5 },
      { spanId: 'b', parentSpanId: 'a', start: 1, duration: 2 },
    ];
    expect(computeCriticalPath(cyclic).rootSpanId).toBeNull();
    const selfParent = [{ spanId: 'a', parentSpanId: 'a', start: 0, duration: 5 }];
    expect(formatSegments(computeCriticalPath(selfParent).segments)).toBe('a 0-5');
  });

  it('handles a deep chain without recursion trouble', () => {
    const spans = Array.from({ length: 2000 }, (_, i) => ({ spanId: `s${i}`, parentSpanId: i ? `s${i - 1}` : '', start: i * 0.001, duration: 10 - i * 0.002 }));
    const r = computeCriticalPath(spans);
    expect(r.spanIds.length).toBe(2000);
  });
});
