import { describe, expect, it } from 'vitest';
import { ancestorRows, buildSpanTree, matchSpans, rowsDeeperThan, searchText, timeTicks, visibleRows, windowRange, type WaterfallSpan } from './waterfall';

const span = (spanId: string, parentSpanId: string, startMs: number, durationMs = 10, traceId = 't1'): WaterfallSpan => ({
  traceId, spanId, parentSpanId, service: `svc-${spanId}`, name: `op ${spanId}`, startMs, durationMs,
});
const names = (spans: WaterfallSpan[], rows: number[], tree = buildSpanTree(spans)) =>
  rows.map((r) => (tree.rows[r].span === -1 ? `[${tree.rows[r].traceId}]` : `${'  '.repeat(tree.rows[r].depth)}${spans[tree.rows[r].span].spanId}`));

describe('buildSpanTree', () => {
  //   A |====================|   0..100
  //   B   |======|               10..40
  //   C      |==|                30..40
  //   D           |=====|        50..80
  const spans = [span('C', 'B', 30), span('A', '', 0, 100), span('D', 'A', 50, 30), span('B', 'A', 10, 30)];

  it('orders rows depth-first, children by start time', () => {
    const tree = buildSpanTree(spans);
    expect(names(spans, tree.rows.map((_, i) => i))).toEqual(['A', '  B', '    C', '  D']);
    expect(tree.rows.map((r) => [r.depth, r.parent, r.end, r.childCount])).toEqual([[0, -1, 4, 2], [1, 0, 3, 1], [2, 1, 3, 0], [1, 0, 4, 0]]);
    expect([tree.startMs, tree.endMs]).toEqual([0, 100]);
    expect(Array.from(tree.rowOfSpan)).toEqual([2, 0, 3, 1]);
  });

  it('collapsing a row hides its subtree; expanding its ancestors reveals a row', () => {
    const tree = buildSpanTree(spans);
    expect(names(spans, visibleRows(tree, new Set([1])))).toEqual(['A', '  B', '  D']);
    expect(names(spans, visibleRows(tree, new Set([0, 1])))).toEqual(['A']);
    expect(ancestorRows(tree, 2)).toEqual([0, 1]);
    expect([...rowsDeeperThan(tree, 1)]).toEqual([1]);
  });

  //   X (parent "lost" not in the trace) and Y (no parent): two roots, X flagged as an orphan
  it('shows spans with a missing parent as roots, and survives parent cycles', () => {
    const s = [span('Y', '', 5), span('X', 'lost', 0), span('P', 'Q', 1), span('Q', 'P', 2)];
    const tree = buildSpanTree(s);
    expect(names(s, tree.rows.map((_, i) => i))).toEqual(['X', 'Y', 'P', '  Q']);
    expect(tree.rows.map((r) => r.orphan)).toEqual([true, false, false, false]);
  });

  it('groups the traces of a payment, each under its own row', () => {
    // trace t1: R ─ S;   trace t2 (the callback, later): K
    const s = [span('K', '', 500, 10, 't2'), span('S', 'R', 10, 5, 't1'), span('R', '', 0, 50, 't1')];
    const tree = buildSpanTree(s, { groupByTrace: true });
    expect(names(s, tree.rows.map((_, i) => i), tree)).toEqual(['[t1]', '  R', '    S', '[t2]', '  K']);
    expect(tree.rows.map((r) => r.end)).toEqual([3, 3, 3, 5, 5]);
    expect(names(s, visibleRows(tree, new Set([0])), tree)).toEqual(['[t1]', '[t2]', '  K']);
  });

  it('handles a 5,000-deep chain without recursion', () => {
    const chain = Array.from({ length: 5000 }, (_, i) => span(`s${i}`, i ? `s${i - 1}` : '', i, 5000 - i));
    const tree = buildSpanTree(chain);
    expect(tree.rows[4999].depth).toBe(4999);
    expect(tree.rows[0].end).toBe(5000);
    expect(visibleRows(tree, new Set([10])).length).toBe(11);
  });
});

describe('search within a trace', () => {
  const spans: Parameters<typeof searchText>[0][] = [
    { ...span('a', '', 0), service: 'checkout', name: 'POST /api/checkout', attributes: { 'payment.channel': 'card' } },
    { ...span('b', 'a', 1), service: 'payment', name: 'POST', attributes: { 'payment.gateway': 'stripe' }, statusMessage: 'card_declined' },
  ];
  const texts = spans.map(searchText);
  it('matches service, name, attributes and status message, every term, any case', () => {
    expect(matchSpans(texts, 'CHECKOUT')).toEqual([0]);
    expect(matchSpans(texts, 'card')).toEqual([0, 1]);
    expect(matchSpans(texts, 'payment.gateway=stripe')).toEqual([1]);
    expect(matchSpans(texts, 'card declined')).toEqual([1]);
    expect(matchSpans(texts, '   ')).toEqual([]);
  });
});

describe('windowing and ticks', () => {
  it('renders only the rows in view, plus overscan', () => {
    expect(windowRange(0, 480, 24, 5000)).toEqual({ first: 0, last: 30 });
    expect(windowRange(24_000, 480, 24, 5000)).toEqual({ first: 990, last: 1030 });
    expect(windowRange(119_600, 480, 24, 5000)).toEqual({ first: 4973, last: 5000 });
    expect(windowRange(0, 480, 24, 3)).toEqual({ first: 0, last: 3 });
  });
  it('picks round ticks', () => {
    expect(timeTicks(100)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(timeTicks(1234)).toEqual([0, 250, 500, 750, 1000]);
    expect(timeTicks(0)).toEqual([0]);
  });
});
