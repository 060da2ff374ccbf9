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
 */

export interface CriticalPathSpan {
  spanId: string;
  /** '' (or an id not in the trace) for a root. */
  parentSpanId: string;
  /** Any consistent unit; milliseconds in payscope. */
  start: number;
  duration: number;
  /** Used to tell a cross-process hop (clock skew possible) from in-process children. */
  service?: string;
}

export interface CriticalPathSegment {
  spanId: string;
  start: number;
  end: number;
}

export interface CriticalPathResult {
  /** The root the path was computed for (the longest root when there are several), or null. */
  rootSpanId: string | null;
  /** Spans on the path, in the order the path first reaches them in time. */
  spanIds: string[];
  /** The path as time slices, each attributed to the one span doing the work; ascending, contiguous. */
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

/** Picks the root: the longest span without a parent in the trace (earliest on ties). */
function pickRoot(nodes: Node[], byId: Map<string, Node>): Node | null {
  let best: Node | null = null;
  for (const n of nodes) {
    const p = n.span.parentSpanId;
    if (p !== '' && byId.has(p) && p !== n.span.spanId) continue;
    if (!best || n.end - n.start > best.end - best.start || (n.end - n.start === best.end - best.start && n.start < best.start)) best = n;
  }
  return best;
}

/**
 * Top-down clock-skew correction of cross-service children (see the module comment). A child's
 * subtree moves with it: each span inherits its parent's total shift before its own correction is
 * worked out, so every span is visited once (no walk per shifted subtree, no recursion).
 */
function adjustClockSkew(root: Node, shifts: Map<string, number>): void {
  const total = new Map<Node, number>([[root, 0]]);
  const queue = [root];
  for (let q = 0; q < queue.length; q++) {
    const p = queue[q];
    const inherited = total.get(p)!;
    for (const c of p.children) {
      if (total.has(c)) continue;
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
      if (delta !== 0) shifts.set(c.span.spanId, (shifts.get(c.span.spanId) ?? 0) + delta);
      total.set(c, delta);
      queue.push(c);
    }
  }
}

/**
 * Computes the critical path of one trace. Spans of other traces must not be mixed in; spans with
 * missing parents are ignored unless one of them is the root.
 */
export function computeCriticalPath(spans: readonly CriticalPathSpan[]): CriticalPathResult {
  const nodes: Node[] = spans.map((s) => ({ span: s, start: s.start, end: s.start + Math.max(0, s.duration), children: [] }));
  const byId = new Map<string, Node>();
  for (const n of nodes) if (!byId.has(n.span.spanId)) byId.set(n.span.spanId, n);
  for (const n of nodes) {
    const p = byId.get(n.span.parentSpanId);
    if (p && p !== n) p.children.push(n);
  }
  const root = pickRoot(nodes, byId);
  const skewShifts = new Map<string, number>();
  if (!root) return { rootSpanId: null, spanIds: [], segments: [], skewShifts };
  adjustClockSkew(root, skewShifts);

  const segments: CriticalPathSegment[] = [];
  const push = (spanId: string, start: number, end: number) => {
    if (end > start) segments.push({ spanId, start, end });
  };
  const onPath = new Set<Node>();

  // Walks each span backwards from `until` (<= its end) to lo = max(span start, bound start),
  // appending segments in reverse time order. An explicit stack, not recursion: a trace's depth is
  // the sender's to choose (a 100,000-span chain is a valid trace).
  interface Frame {
    n: Node;
    lo: number;
    kids: { c: Node; s: number; e: number }[];
    i: number;
    cursor: number;
  }
  const stack: Frame[] = [];
  const enter = (n: Node, lo: number, until: number) => {
    if (onPath.has(n)) return; // a cycle in malformed parent ids
    onPath.add(n);
    // Children clipped to this span's part of the path; drop the ones outside it.
    const kids = n.children
      .map((c) => ({ c, s: Math.max(c.start, lo), e: Math.min(c.end, until) }))
      .filter((k) => k.e > k.s)
      .sort((a, b) => b.e - a.e || a.s - b.s);
    stack.push({ n, lo, kids, i: 0, cursor: until });
  };
  enter(root, root.start, root.end);
  while (stack.length) {
    const f = stack[stack.length - 1];
    let next: { c: Node; s: number; e: number } | undefined;
    while (f.i < f.kids.length && f.cursor > f.lo) {
      const k = f.kids[f.i++];
      if (k.e > f.cursor) continue; // still running when the path's current child started: not blocking
      next = k;
      break;
    }
    if (!next) {
      push(f.n.span.spanId, f.lo, f.cursor);
      stack.pop();
      continue;
    }
    push(f.n.span.spanId, next.e, f.cursor);
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
  return { rootSpanId: root.span.spanId, spanIds, segments, skewShifts };
}
