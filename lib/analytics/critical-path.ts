import type { Span, TimedSpan } from './span';

/**
 * The critical path of a trace: the chain of work that determined its end-to-end duration, so that
 * making any part of it faster makes the trace faster (and making anything else faster does not).
 *
 * The algorithm is jaeger-ui's: walk back from the end of the root span; at each point the span on
 * the path is the child that finished last before that point; a child is followed to its own start,
 * then the parent continues from there with the children that finished before that child began.
 *
 *   root     |==================================================|     0..100
 *   A          |======|                                              5..20
 *   B                   |==================|                        22..60
 *   B.1                   |=====|                                   25..35
 *   C                                        |=============|        62..95
 *
 *   critical path (time order):
 *   root 0..5 · A 5..20 · root 20..22 · B 22..25 · B.1 25..35 · B 35..60 · root 60..62 · C 62..95 · root 95..100
 *
 * Overlapping children: only the last-finishing one is followed; the next one must have ended by the
 * time it started. A child that was still running when its sibling started did not block anything:
 *
 *   parent   |==========================|    0..25
 *   A        |=========|                     0..10   ← not on the path: B did not wait for it
 *   B             |==============|           5..20
 *   path: parent 0..5 · B 5..20 · parent 20..25
 *
 * Async children that outlive their parent (fire-and-forget, a timed-out call the callee kept
 * working on) are cut at the parent's end; children that start after the parent ended are ignored:
 *
 *   client   |======|           0..7    (timed out)
 *   server     |================|   1..17   → counted as 1..7
 *
 * Clock skew: a child from another service that does not fit in its parent (it starts before the
 * parent, or ends after it) but is not longer than the parent is shifted, with its subtree, to the
 * middle of the parent (Jaeger's clock-skew adjuster): the network time is split evenly both ways.
 *
 *   client (checkout)   |==========|          10..20
 *   server (order)    |======|                 8..14   (order's clock is 4 ms behind)
 *   → server shifted by +4 to 12..18, centred in 10..20
 *
 * Where payscope and jaeger-ui agree and differ (their CriticalPath test cases are re-drawn in
 * critical-path.test.ts):
 * - A CONSUMER child of a PRODUCER is not waited on (a payment callback through a queue): it and its
 *   subtree are left out, as in Jaeger.
 *
 *     publish:checkout:producer  |==========|       0..10
 *       handle:ledger:consumer     |====|           2..6   ← not on the path
 *     path: publish 0-10
 *
 * - Children ending at the same (clipped) time: the earliest start is followed, as in Jaeger; then
 *   the lowest span id, so the answer never depends on the order the spans arrive in (the hops query
 *   reads them in no fixed order). A span id sent twice (a retried export) counts once.
 * - Back-to-back siblings (one ends the instant the next starts) are both on the path; Jaeger follows
 *   only a child that ended strictly before, so it gives the earlier sibling's time to the parent.
 *   Payscope's choice is deliberate: a call that starts the moment the previous one returned is a
 *   sequential await at timestamp resolution, and the parent did no work in between.
 * - Several roots (a parent lost, or not arrived yet): Jaeger walks each root on its own and lists
 *   every path, so roots that overlap count the same time twice. Payscope walks the roots as
 *   siblings under the trace: the same answer as Jaeger's when they do not overlap, one path when they
 *   do. Time that no root on the path covers belongs to no span (a gap between segments).
 *
 *     R1   |=====|                  0..6
 *     R2            |=======|      11..19
 *     R3              |===|        13..17   ← inside R2: not on the path (Jaeger: R3 13-17 too)
 *     path: R1 0-6 · R2 11-19
 */

/**
 * What the walk reads of a span. Service and kind are optional: without a service no hop is
 * corrected for clock skew, without a kind no consumer is left out.
 */
export type CriticalPathSpan = TimedSpan & Partial<Pick<Span, 'service' | 'kind'>>;

export interface CriticalPathSegment {
  spanId: string;
  start: number;
  end: number;
}

export interface CriticalPathResult {
  /** The trace's roots (spans without a parent in it), earliest first; [] when there is none (a parent cycle). */
  rootSpanIds: string[];
  /** Spans on the path, in the order the path first reaches them in time. */
  spanIds: string[];
  /**
   * The path as time slices, each attributed to the one span doing the work; ascending, contiguous
   * while a root on the path runs (a gap only between roots).
   */
  segments: CriticalPathSegment[];
  /** Per span id, how far it was shifted to correct clock skew (only shifted spans). */
  skewShifts: Map<string, number>;
}

interface Node {
  span: CriticalPathSpan;
  start: number;
  end: number;
  children: Node[];
}

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** A total order on span records, to keep one of a span id sent twice whatever the input order. */
function compareSpans(a: CriticalPathSpan, b: CriticalPathSpan): number {
  return a.startMs - b.startMs || b.durationMs - a.durationMs || byString(a.parentSpanId, b.parentSpanId) ||
    byString(a.service ?? '', b.service ?? '') || byString(a.kind ?? '', b.kind ?? '');
}

/** Among children ending at the same clipped time, the earliest start (as Jaeger), then the lowest id. */
const followOrder = (a: { c: Node; e: number }, b: { c: Node; e: number }) =>
  b.e - a.e || a.c.start - b.c.start || byString(a.c.span.spanId, b.c.span.spanId);

/**
 * Top-down clock-skew correction of cross-service children (see the module comment). A child's
 * subtree moves with it: each span inherits its parent's total shift before its own correction is
 * worked out, so every span is visited once (no walk per shifted subtree, no recursion).
 */
function adjustClockSkew(roots: Node[], shifts: Map<string, number>): void {
  const total = new Map<Node, number>();
  for (const r of roots) total.set(r, 0);
  const queue = [...roots];
  for (let q = 0; q < queue.length; q++) {
    const p = queue[q];
    const inherited = total.get(p)!;
    for (const c of p.children) {
      c.start += inherited;
      c.end += inherited;
      let delta = inherited;
      const cross = c.span.service !== undefined && p.span.service !== undefined && c.span.service !== p.span.service;
      const fits = c.start >= p.start && c.end <= p.end;
      const cDur = c.end - c.start;
      if (cross && !fits && cDur <= p.end - p.start) {
        const own = p.start + (p.end - p.start - cDur) / 2 - c.start;
        c.start += own;
        c.end += own;
        delta += own;
      }
      if (delta !== 0) shifts.set(c.span.spanId, delta);
      total.set(c, delta);
      queue.push(c);
    }
  }
}

/**
 * Computes the critical path of one trace. Spans of other traces must not be mixed in; spans whose
 * parent is missing from the trace are roots. The answer does not depend on the order of `spans`.
 */
export function computeCriticalPath(spans: readonly CriticalPathSpan[]): CriticalPathResult {
  const byId = new Map<string, Node>();
  for (const s of spans) {
    const had = byId.get(s.spanId);
    if (!had || compareSpans(s, had.span) < 0) byId.set(s.spanId, { span: s, start: s.startMs, end: s.startMs + Math.max(0, s.durationMs), children: [] });
  }
  const roots: Node[] = [];
  for (const n of byId.values()) {
    const p = byId.get(n.span.parentSpanId);
    if (!p || p === n) roots.push(n);
    // A consumer does not block the producer that sent its message: not a child on the path.
    else if (!(p.span.kind === 'producer' && n.span.kind === 'consumer')) p.children.push(n);
  }
  roots.sort((a, b) => a.start - b.start || byString(a.span.spanId, b.span.spanId));
  const skewShifts = new Map<string, number>();
  const rootSpanIds = roots.map((r) => r.span.spanId);
  if (!roots.length) return { rootSpanIds, spanIds: [], segments: [], skewShifts };
  adjustClockSkew(roots, skewShifts);

  // The roots are the children of the trace, a span of its own that does no work (no segments).
  const trace: Node = { span: { spanId: '', parentSpanId: '', startMs: 0, durationMs: 0 }, start: Infinity, end: -Infinity, children: roots };
  for (const r of roots) {
    trace.start = Math.min(trace.start, r.start);
    trace.end = Math.max(trace.end, r.end);
  }
  const segments: CriticalPathSegment[] = [];
  const push = (n: Node, start: number, end: number) => {
    if (end > start && n !== trace) segments.push({ spanId: n.span.spanId, start, end });
  };

  // Walks each span backwards from `until` (<= its end) to lo = max(span start, bound start),
  // appending segments in reverse time order. An explicit stack, not recursion: a trace's depth is
  // the sender's to choose (a 100,000-span chain is a valid trace). Each span has one parent, so
  // each is entered at most once.
  interface Frame {
    n: Node;
    lo: number;
    kids: { c: Node; s: number; e: number }[];
    i: number;
    cursor: number;
  }
  const stack: Frame[] = [];
  const enter = (n: Node, lo: number, until: number) => {
    // Children clipped to this span's part of the path; drop the ones outside it.
    const kids = n.children
      .map((c) => ({ c, s: Math.max(c.start, lo), e: Math.min(c.end, until) }))
      .filter((k) => k.e > k.s)
      .sort(followOrder);
    stack.push({ n, lo, kids, i: 0, cursor: until });
  };
  enter(trace, trace.start, trace.end);
  while (stack.length) {
    const f = stack[stack.length - 1];
    let next: { c: Node; s: number; e: number } | undefined;
    while (f.i < f.kids.length && f.cursor > f.lo) {
      const k = f.kids[f.i++];
      // Still running when the path's current child started: not blocking. A child that ended
      // exactly then is (back-to-back siblings: see the module comment).
      if (k.e > f.cursor) continue;
      next = k;
      break;
    }
    if (!next) {
      push(f.n, f.lo, f.cursor);
      stack.pop();
      continue;
    }
    push(f.n, next.e, f.cursor);
    f.cursor = next.s;
    enter(next.c, next.s, next.e);
  }
  segments.reverse();

  const spanIds: string[] = [];
  const seen = new Set<string>();
  for (const s of segments) {
    if (!seen.has(s.spanId)) {
      seen.add(s.spanId);
      spanIds.push(s.spanId);
    }
  }
  return { rootSpanIds, spanIds, segments, skewShifts };
}
