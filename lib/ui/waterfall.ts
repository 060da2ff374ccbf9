import type { Span, SpanDetailFields } from '../analytics/span';

/**
 * The waterfall's model, pure so it is tested without a browser: the span tree in display order,
 * which rows are visible when some are collapsed, which spans a search matches, the window of rows
 * to render while scrolling, and the time axis ticks.
 *
 *   spans (any order)          rows (pre-order, children by start)     collapsed {B}
 *   C  parent B  start 30      0 A          depth 0                    0 A
 *   A  root      start 0       1 ├ B        depth 1  (end 3)           1 ├ B ▸
 *   D  parent A  start 50      2 │ └ C      depth 2                    3 └ D
 *   B  parent A  start 10      3 └ D        depth 1
 *
 * Spans whose parent is not in the trace (lost, or still arriving) are shown as roots. With several
 * traces (a payment), each trace gets a group row and its roots become the group's children.
 */

/** What the tree and the search read of a span. */
export type WaterfallSpan = Pick<Span, 'traceId' | 'spanId' | 'parentSpanId' | 'service' | 'name' | 'startMs' | 'durationMs'>;

export interface TreeRow {
  /** Index into the spans array, or -1 for a trace group row. */
  span: number;
  /** For group rows: the trace id. */
  traceId: string;
  depth: number;
  /** Index of the parent row, -1 for top-level rows. */
  parent: number;
  /** One past this row's last descendant: rows [i + 1, end) are its subtree. */
  end: number;
  childCount: number;
  /** The span's parent id is set but not in the trace. */
  orphan: boolean;
}

export interface SpanTree {
  rows: TreeRow[];
  /** Row index of each span. */
  rowOfSpan: Int32Array;
  startMs: number;
  endMs: number;
}

const byStart = (spans: readonly WaterfallSpan[]) => (a: number, b: number) =>
  spans[a].startMs - spans[b].startMs || (spans[a].spanId < spans[b].spanId ? -1 : spans[a].spanId > spans[b].spanId ? 1 : 0);

/** The rows in display order. `groupByTrace`: one group row per trace (traces in start order). */
export function buildSpanTree(spans: readonly WaterfallSpan[], opts: { groupByTrace?: boolean } = {}): SpanTree {
  const key = (traceId: string, spanId: string) => `${traceId}\u0000${spanId}`;
  const index = new Map<string, number>();
  spans.forEach((s, i) => {
    if (!index.has(key(s.traceId, s.spanId))) index.set(key(s.traceId, s.spanId), i);
  });
  const children = new Map<number, number[]>();
  const roots: number[] = [];
  const orphan = new Uint8Array(spans.length);
  spans.forEach((s, i) => {
    const p = s.parentSpanId ? index.get(key(s.traceId, s.parentSpanId)) : undefined;
    if (p === undefined || p === i) {
      if (s.parentSpanId && p === undefined) orphan[i] = 1;
      roots.push(i);
    } else {
      const list = children.get(p);
      if (list) list.push(i);
      else children.set(p, [i]);
    }
  });
  const cmp = byStart(spans);
  for (const list of children.values()) list.sort(cmp);
  roots.sort(cmp);

  const rows: TreeRow[] = [];
  const rowOfSpan = new Int32Array(spans.length).fill(-1);
  // Iterative pre-order walk (a 5,000-deep chain must not overflow the stack).
  const walk = (top: number, depth0: number, parentRow: number) => {
    const stack: { span: number; depth: number; parent: number }[] = [{ span: top, depth: depth0, parent: parentRow }];
    const open: number[] = [];
    while (stack.length) {
      const { span, depth, parent } = stack.pop()!;
      if (rowOfSpan[span] !== -1) continue;
      // Close the subtrees this row is not inside.
      while (open.length && rows[open[open.length - 1]].depth >= depth) rows[open.pop()!].end = rows.length;
      const row = rows.length;
      rowOfSpan[span] = row;
      const kids = children.get(span) ?? [];
      rows.push({ span, traceId: spans[span].traceId, depth, parent, end: row + 1, childCount: kids.length, orphan: orphan[span] === 1 });
      open.push(row);
      for (let k = kids.length - 1; k >= 0; k--) stack.push({ span: kids[k], depth: depth + 1, parent: row });
    }
    while (open.length) rows[open.pop()!].end = rows.length;
  };

  if (opts.groupByTrace) {
    const traceOrder: string[] = [];
    const rootsByTrace = new Map<string, number[]>();
    for (const r of roots) {
      const t = spans[r].traceId;
      if (!rootsByTrace.has(t)) {
        rootsByTrace.set(t, []);
        traceOrder.push(t);
      }
      rootsByTrace.get(t)!.push(r);
    }
    for (const t of traceOrder) {
      const groupRow = rows.length;
      const tops = rootsByTrace.get(t)!;
      rows.push({ span: -1, traceId: t, depth: 0, parent: -1, end: groupRow + 1, childCount: tops.length, orphan: false });
      for (const r of tops) walk(r, 1, groupRow);
      rows[groupRow].end = rows.length;
    }
  } else {
    for (const r of roots) walk(r, 0, -1);
  }
  // Spans in a parent cycle were never reached from a root: show them as roots.
  spans.forEach((_, i) => {
    if (rowOfSpan[i] === -1) walk(i, 0, -1);
  });

  let startMs = Infinity;
  let endMs = -Infinity;
  for (const s of spans) {
    startMs = Math.min(startMs, s.startMs);
    endMs = Math.max(endMs, s.startMs + s.durationMs);
  }
  if (!spans.length) startMs = endMs = 0;
  return { rows, rowOfSpan, startMs, endMs };
}

/** Indexes of the rows shown when the rows in `collapsed` hide their subtrees. */
export function visibleRows(tree: SpanTree, collapsed: ReadonlySet<number>): number[] {
  const out: number[] = [];
  let i = 0;
  while (i < tree.rows.length) {
    out.push(i);
    i = collapsed.has(i) ? tree.rows[i].end : i + 1;
  }
  return out;
}

/** The rows (ancestors first) that must be expanded for row `row` to be visible. */
export function ancestorRows(tree: SpanTree, row: number): number[] {
  const out: number[] = [];
  for (let p = tree.rows[row]?.parent ?? -1; p !== -1; p = tree.rows[p].parent) out.push(p);
  return out.reverse();
}

/** Every row with children at depth >= `depth`: collapsing them shows the tree down to `depth`. */
export function rowsDeeperThan(tree: SpanTree, depth: number): Set<number> {
  const out = new Set<number>();
  tree.rows.forEach((r, i) => {
    if (r.childCount > 0 && r.depth >= depth) out.add(i);
  });
  return out;
}

/** What a search looks at for one span, lower-cased; build once per trace. */
export function searchText(span: WaterfallSpan & Partial<Pick<SpanDetailFields, 'attributes' | 'statusMessage'>>): string {
  const parts = [span.service, span.name, span.spanId, span.statusMessage ?? ''];
  for (const [k, v] of Object.entries(span.attributes ?? {})) parts.push(`${k}=${v}`);
  return parts.join('\n').toLowerCase();
}

/**
 * Span indexes matching a search: every whitespace-separated term must occur in the span's service,
 * name, id, status message or `key=value` attributes (case-insensitive).
 */
export function matchSpans(texts: readonly string[], query: string): number[] {
  const terms = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (!terms.length) return [];
  const out: number[] = [];
  texts.forEach((t, i) => {
    if (terms.every((term) => t.includes(term))) out.push(i);
  });
  return out;
}

/** The rows to render for a scroll position: those in view plus `overscan` either side. */
export function windowRange(scrollTop: number, viewportHeight: number, rowHeight: number, rowCount: number, overscan = 10): { first: number; last: number } {
  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan);
  const last = Math.min(rowCount, Math.ceil((scrollTop + viewportHeight) / rowHeight) + overscan);
  return { first, last: Math.max(first, last) };
}

/** Round tick positions (ms from the start) for an axis of `durationMs`, about `count` of them. */
export function timeTicks(durationMs: number, count = 5): number[] {
  if (!(durationMs > 0)) return [0];
  const raw = durationMs / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let t = 0; t <= durationMs + step * 1e-9; t += step) ticks.push(Math.round(t * 1e6) / 1e6);
  return ticks;
}
