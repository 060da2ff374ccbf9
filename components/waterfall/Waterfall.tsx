'use client';
import Link from 'next/link';
import { memo, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type CSSProperties, type KeyboardEvent } from 'react';
import { colorFor } from '@/lib/ui/colors';
import { formatMs, shortId } from '@/lib/ui/format';
import { ancestorRows, buildSpanTree, matchSpans, rowsDeeperThan, searchText, timeTicks, visibleRows, windowRange, type SpanTree } from '@/lib/ui/waterfall';
import { SpanDetails } from './SpanDetails';
import { criticalSegments, fromWaterfallData, type WfCriticalSegment, type WfData } from '@/lib/ui/waterfall-data';
import type { Span, SpanDetailFields } from '@/lib/analytics/span';

const ROW_H = 24;
const LABEL_W = 360;
const INDENT = 14;
const MAX_INDENT_LEVELS = 16;

export interface WaterfallProps {
  /**
   * The spans, compact (lib/ui/waterfall-data.ts), or that as JSON text: React sends text from the
   * server to the browser as one string but an object's arrays value by value (a large trace costs
   * the server less CPU as text: docs/dashboard.md).
   */
  data: WfData | string;
  /**
   * The JSON API answer with every span's attributes, events and resource (GET /api/traces/{id} or
   * /api/payments/{orderId}), fetched when first wanted.
   */
  detailsUrl: string;
  /** Several traces (a payment): one group row per trace. */
  groupByTrace?: boolean;
  /** Per trace id: a label for its group row and a link to it. */
  traceLinks?: Record<string, { label: string; href: string }>;
  /** Span to select at first (from the URL). */
  initialSpanId?: string;
  /** Link to a payment view for an order id (the details panel shows it). */
  paymentHrefBase?: string;
}

const key = (traceId: string, spanId: string) => `${traceId}\u0000${spanId}`;

/**
 * The trace waterfall: one row per span in tree order, bars on a shared time axis, the critical
 * path drawn on the bars and marked in the labels. Only the rows in view are rendered (windowing),
 * so a trace of thousands of spans scrolls smoothly. Keyboard: ↑/↓ move, ←/→ collapse/expand,
 * Home/End, Enter selects; search with "/" .
 */
export function Waterfall(props: WaterfallProps) {
  const { detailsUrl, groupByTrace, traceLinks, initialSpanId, paymentHrefBase } = props;
  const data = useMemo(() => (typeof props.data === 'string' ? (JSON.parse(props.data) as WfData) : props.data), [props.data]);
  const spans = useMemo(() => fromWaterfallData(data), [data]);
  const tree: SpanTree = useMemo(() => buildSpanTree(spans, { groupByTrace }), [spans, groupByTrace]);

  // Attributes, events, resources: fetched when first wanted (a span selected, the search box used,
  // the pointer over the spans), not on every view: for a 5,000-span trace they are 3 MB of JSON that
  // cost the server about as much CPU as the page itself.
  const [details, setDetails] = useState<Map<string, SpanDetailFields> | 'error' | null>(null);
  const [detailsWanted, setDetailsWanted] = useState(false);
  const wantDetails = useCallback(() => setDetailsWanted(true), []);
  useEffect(() => {
    if (!detailsWanted) return;
    let live = true;
    fetch(detailsUrl, { headers: { accept: 'application/json' } })
      .then((r) => (r.ok ? r.json() : Promise.reject(new Error(String(r.status)))))
      .then((body: { spans: (SpanDetailFields & Pick<Span, 'traceId' | 'spanId'>)[] }) => {
        if (!live) return;
        const m = new Map<string, SpanDetailFields>();
        for (const sp of body.spans) m.set(key(sp.traceId, sp.spanId), sp);
        setDetails(m);
      })
      .catch(() => live && setDetails('error'));
    return () => { live = false; };
  }, [detailsUrl, detailsWanted]);
  const detailsOf = (s: Span) => (details instanceof Map ? details.get(key(s.traceId, s.spanId)) : undefined);
  // Critical path: span indexes, and time slices per span index.
  const criticalSet = useMemo(() => new Set(data.critical), [data]);
  const segmentsBySpan = useMemo(() => {
    const m = new Map<number, WfCriticalSegment[]>();
    for (const seg of criticalSegments(data)) (m.get(seg.span) ?? m.set(seg.span, []).get(seg.span)!).push(seg);
    return m;
  }, [data]);
  const traceExtent = useMemo(() => {
    const m = new Map<string, { start: number; end: number }>();
    for (const s of spans) {
      const e = m.get(s.traceId);
      if (!e) m.set(s.traceId, { start: s.startMs, end: s.startMs + s.durationMs });
      else {
        e.start = Math.min(e.start, s.startMs);
        e.end = Math.max(e.end, s.startMs + s.durationMs);
      }
    }
    return m;
  }, [spans]);

  const [collapsed, setCollapsed] = useState<Set<number>>(() => new Set());
  const rows = useMemo(() => visibleRows(tree, collapsed), [tree, collapsed]);
  const positionOf = useMemo(() => {
    const m = new Int32Array(tree.rows.length).fill(-1);
    rows.forEach((r, i) => (m[r] = i));
    return m;
  }, [rows, tree]);

  const initialRow = useMemo(() => {
    if (!initialSpanId) return -1;
    const i = spans.findIndex((s) => s.spanId === initialSpanId);
    return i === -1 ? -1 : tree.rowOfSpan[i];
  }, [initialSpanId, spans, tree]);
  const [selected, setSelected] = useState<number>(initialRow);
  useEffect(() => {
    if (selected >= 0) wantDetails();
  }, [selected, wantDetails]);
  const [query, setQuery] = useState('');
  // The search texts are built when a search starts, not on the server nor at the first paint (the
  // largest cost of rendering a 5,000-span trace there); an empty search matches nothing anyway.
  const searching = query.trim() !== '';
  const texts = useMemo(
    () => (searching ? spans.map((s) => {
      const d = details instanceof Map ? details.get(key(s.traceId, s.spanId)) : undefined;
      return searchText({ ...s, attributes: d?.attributes, statusMessage: d?.statusMessage });
    }) : []),
    [spans, details, searching],
  );
  const matches = useMemo(() => matchSpans(texts, query), [texts, query]);
  const matchRows = useMemo(() => new Set(matches.map((i) => tree.rowOfSpan[i])), [matches, tree]);
  const [matchCursor, setMatchCursor] = useState(-1);

  const scroller = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewport, setViewport] = useState(600);
  const focusWanted = useRef(false);

  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    setViewport(el.clientHeight);
    const ro = new ResizeObserver(() => setViewport(el.clientHeight));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const scrollToRow = useCallback((row: number) => {
    const el = scroller.current;
    const pos = positionOf[row];
    if (!el || pos < 0) return;
    const top = pos * ROW_H;
    if (top < el.scrollTop) el.scrollTop = top;
    else if (top + ROW_H > el.scrollTop + el.clientHeight) el.scrollTop = top + ROW_H - el.clientHeight;
  }, [positionOf]);

  // Show the span from the URL once, in the middle of the view.
  useEffect(() => {
    if (initialRow < 0 || !scroller.current) return;
    scroller.current.scrollTop = Math.max(0, positionOf[initialRow] * ROW_H - scroller.current.clientHeight / 2);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  // Keep the selected span in the URL (shareable) without a server round trip.
  useEffect(() => {
    if (selected < 0) return;
    const s = tree.rows[selected]?.span;
    const url = new URL(window.location.href);
    if (s === undefined || s < 0) url.searchParams.delete('span');
    else url.searchParams.set('span', spans[s].spanId);
    window.history.replaceState(window.history.state, '', url);
  }, [selected, spans, tree]);

  // After a keyboard move, focus the row once it is rendered.
  useEffect(() => {
    if (!focusWanted.current || selected < 0) return;
    focusWanted.current = false;
    scroller.current?.querySelector<HTMLElement>(`[data-row="${selected}"]`)?.focus();
  });

  const select = useCallback((row: number, focus = false) => {
    setSelected(row);
    focusWanted.current = focus;
    scrollToRow(row);
  }, [scrollToRow]);

  const toggle = useCallback((row: number) => {
    setCollapsed((prev) => {
      const next = new Set(prev);
      if (next.has(row)) next.delete(row);
      else next.add(row);
      return next;
    });
  }, []);

  const reveal = useCallback((row: number) => {
    const anc = ancestorRows(tree, row);
    if (anc.some((a) => collapsed.has(a))) {
      setCollapsed((prev) => {
        const next = new Set(prev);
        for (const a of anc) next.delete(a);
        return next;
      });
    }
  }, [tree, collapsed]);

  // Scroll a jumped-to row to the middle once the reveal has rendered.
  const pendingScroll = useRef(-1);
  const jumpToMatch = useCallback((dir: 1 | -1) => {
    if (!matches.length) return;
    const ordered = [...matchRows].sort((a, b) => a - b);
    const cur = matchCursor < 0 ? (dir === 1 ? -1 : 0) : matchCursor;
    const next = (cur + dir + ordered.length) % ordered.length;
    setMatchCursor(next);
    const row = ordered[next];
    reveal(row);
    setSelected(row);
    pendingScroll.current = row;
  }, [matches, matchRows, matchCursor, reveal]);
  useEffect(() => {
    if (pendingScroll.current < 0) return;
    const el = scroller.current;
    const pos = positionOf[pendingScroll.current];
    pendingScroll.current = -1;
    if (el && pos >= 0) el.scrollTop = Math.max(0, pos * ROW_H - el.clientHeight / 2);
  });

  const onRowKey = (e: KeyboardEvent, row: number) => {
    const pos = positionOf[row];
    const r = tree.rows[row];
    const move = (p: number) => {
      const target = rows[Math.max(0, Math.min(rows.length - 1, p))];
      if (target !== undefined) select(target, true);
    };
    switch (e.key) {
      case 'ArrowDown': move(pos + 1); break;
      case 'ArrowUp': move(pos - 1); break;
      case 'PageDown': move(pos + Math.floor(viewport / ROW_H)); break;
      case 'PageUp': move(pos - Math.floor(viewport / ROW_H)); break;
      case 'Home': move(0); break;
      case 'End': move(rows.length - 1); break;
      case 'ArrowRight':
        if (r.childCount && collapsed.has(row)) toggle(row);
        else if (r.childCount) move(pos + 1);
        break;
      case 'ArrowLeft':
        if (r.childCount && !collapsed.has(row)) toggle(row);
        else if (r.parent >= 0) select(r.parent, true);
        break;
      case 'Enter':
      case ' ':
        if (r.childCount && e.key === ' ') toggle(row);
        setSelected(row);
        break;
      default:
        return;
    }
    e.preventDefault();
  };

  const searchBox = useRef<HTMLInputElement>(null);
  useEffect(() => {
    const onKey = (e: globalThis.KeyboardEvent) => {
      if (e.key === '/' && document.activeElement?.tagName !== 'INPUT' && document.activeElement?.tagName !== 'TEXTAREA') {
        e.preventDefault();
        searchBox.current?.focus();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const t0 = tree.startMs;
  const total = Math.max(tree.endMs - tree.startMs, 1e-6);
  const pct = (ms: number) => ((ms - t0) / total) * 100;
  const ticks = useMemo(() => timeTicks(total, 6), [total]);
  const { first, last } = windowRange(scrollTop, viewport, ROW_H, rows.length);
  const selectedSpan = selected >= 0 && tree.rows[selected]?.span >= 0 ? spans[tree.rows[selected].span] : null;
  const criticalCount = criticalSet.size;

  return (
    <div className={`trace-layout${selectedSpan ? ' with-details' : ''}`}>
      <div>
        <div className="wf-toolbar">
          <label>
            <span className="sr-only">Search spans</span>
            <input
              ref={searchBox}
              type="search"
              placeholder="Search spans (service, name, key=value)  /"
              value={query}
              onFocus={wantDetails}
              onChange={(e) => { setQuery(e.target.value); setMatchCursor(-1); }}
              onKeyDown={(e) => {
                if (e.key === 'Enter') { e.preventDefault(); jumpToMatch(e.shiftKey ? -1 : 1); }
                if (e.key === 'Escape') { setQuery(''); setMatchCursor(-1); }
              }}
            />
          </label>
          <span className="muted small" aria-live="polite" data-testid="match-count">
            {query.trim() ? `${matches.length} of ${spans.length} spans match${matchCursor >= 0 ? ` · ${matchCursor + 1}/${matches.length}` : ''}` : `${spans.length.toLocaleString('en')} spans`}
          </span>
          {details === null && detailsWanted && <span className="muted small" data-testid="details-loading">(loading attributes…)</span>}
          {details === 'error' && <span className="error small">attributes could not be loaded: names only</span>}
          <button type="button" onClick={() => jumpToMatch(-1)} disabled={!matches.length} aria-label="Previous match">↑</button>
          <button type="button" onClick={() => jumpToMatch(1)} disabled={!matches.length} aria-label="Next match">↓</button>
          <span style={{ flex: 1 }} />
          <button type="button" onClick={() => setCollapsed(new Set())}>Expand all</button>
          <button type="button" onClick={() => setCollapsed(rowsDeeperThan(tree, groupByTrace ? 2 : 1))}>Collapse to services</button>
          <div className="legend">
            <span><span className="legend crit-key" />critical path ({criticalCount} spans)</span>
          </div>
        </div>
        <div className="wf" style={{ '--label-w': `${LABEL_W}px` } as CSSProperties}>
          <div className="wf-head" aria-hidden="true">
            <div style={{ padding: '5px 8px' }}>service · operation</div>
            <div className="axis">
              {ticks.map((t) => (
                <span key={t} className="tick" style={{ left: `${(t / total) * 100}%`, transform: t / total > 0.93 ? 'translateX(-100%)' : undefined }}>{t === 0 ? '0' : formatMs(t)}</span>
              ))}
            </div>
          </div>
          <div
            ref={scroller}
            className="wf-scroll"
            style={{ height: `min(62vh, 640px, ${Math.max(rows.length, 4) * ROW_H + 2}px)` }}
            role="tree"
            aria-label="Spans of the trace"
            aria-multiselectable="false"
            onScroll={(e) => setScrollTop((e.target as HTMLDivElement).scrollTop)}
            onPointerEnter={wantDetails}
            data-testid="waterfall"
            data-rows={rows.length}
          >
            <div style={{ height: rows.length * ROW_H, position: 'relative' }}>
              {rows.slice(first, last).map((row, k) => {
                const i = first + k;
                const r = tree.rows[row];
                const tabbable = selected >= 0 ? row === selected : i === first;
                if (r.span < 0) {
                  const ext = traceExtent.get(r.traceId)!;
                  const link = traceLinks?.[r.traceId];
                  return (
                    <div
                      key={row}
                      className="wf-row wf-group"
                      style={{ top: i * ROW_H, height: ROW_H }}
                      role="treeitem"
                      aria-level={1}
                      aria-expanded={!collapsed.has(row)}
                      aria-selected={selected === row}
                      tabIndex={tabbable ? 0 : -1}
                      data-row={row}
                      data-trace-group={r.traceId}
                      onClick={() => setSelected(row)}
                      onKeyDown={(e) => onRowKey(e, row)}
                    >
                      <div className="wf-label">
                        <button type="button" className="wf-toggle" tabIndex={-1} aria-label={collapsed.has(row) ? 'Expand' : 'Collapse'} onClick={(e) => { e.stopPropagation(); toggle(row); }}>
                          {collapsed.has(row) ? '▶' : '▼'}
                        </button>
                        {link ? <Link href={link.href} onClick={(e) => e.stopPropagation()}>{link.label}</Link> : <span>trace {shortId(r.traceId, 10)}</span>}
                      </div>
                      <div className="wf-timeline">
                        <div className="wf-bar" style={{ left: `${pct(ext.start)}%`, width: `${Math.max(0.2, ((ext.end - ext.start) / total) * 100)}%`, background: '#c9ced6' }} />
                      </div>
                    </div>
                  );
                }
                return (
                  <SpanRow
                    key={row}
                    row={row}
                    top={i * ROW_H}
                    span={spans[r.span]}
                    depth={r.depth}
                    childCount={r.childCount}
                    orphan={r.orphan}
                    collapsed={collapsed.has(row)}
                    selected={selected === row}
                    tabbable={tabbable}
                    match={matchRows.has(row)}
                    critical={criticalSet.has(r.span)}
                    segments={segmentsBySpan.get(r.span)}
                    t0={t0}
                    total={total}
                    onSelect={setSelected}
                    onToggle={toggle}
                    onKey={onRowKey}
                  />
                );
              })}
            </div>
          </div>
        </div>
        <p className="muted small">
          {tree.rows.length.toLocaleString('en')} rows; click a span for its details. Keys: ↑ ↓ move · ← → collapse / expand · / search · Enter next match.
        </p>
      </div>
      {selectedSpan && (
        <SpanDetails
          span={selectedSpan}
          details={details === 'error' ? 'error' : details === null ? null : detailsOf(selectedSpan) ?? 'error'}
          traceStartMs={traceExtent.get(selectedSpan.traceId)?.start ?? t0}
          critical={criticalSet.has(tree.rows[selected].span)}
          criticalMs={(segmentsBySpan.get(tree.rows[selected].span) ?? []).reduce((a, s) => a + s.endMs - s.startMs, 0)}
          paymentHrefBase={paymentHrefBase}
          onClose={() => setSelected(-1)}
        />
      )}
    </div>
  );
}

interface SpanRowProps {
  row: number;
  top: number;
  span: Span;
  depth: number;
  childCount: number;
  orphan: boolean;
  collapsed: boolean;
  selected: boolean;
  tabbable: boolean;
  match: boolean;
  critical: boolean;
  segments?: WfCriticalSegment[];
  t0: number;
  total: number;
  onSelect: (row: number) => void;
  onToggle: (row: number) => void;
  onKey: (e: KeyboardEvent, row: number) => void;
}

const SpanRow = memo(function SpanRow(p: SpanRowProps) {
  const { span, row } = p;
  const left = ((span.startMs - p.t0) / p.total) * 100;
  const width = (span.durationMs / p.total) * 100;
  const color = colorFor(span.service);
  const indent = Math.min(p.depth, MAX_INDENT_LEVELS) * INDENT;
  const error = span.status === 'error';
  return (
    <div
      className={`wf-row${p.match ? ' match' : ''}`}
      style={{ top: p.top, height: ROW_H }}
      role="treeitem"
      aria-level={p.depth + 1}
      aria-expanded={p.childCount ? !p.collapsed : undefined}
      aria-selected={p.selected}
      aria-label={`${span.service} ${span.name}, ${formatMs(span.durationMs)}${error ? ', error' : ''}${p.critical ? ', on the critical path' : ''}`}
      tabIndex={p.tabbable ? 0 : -1}
      data-row={row}
      data-span-id={span.spanId}
      data-depth={p.depth}
      data-critical={p.critical ? 'true' : undefined}
      data-error={error ? 'true' : undefined}
      onClick={() => p.onSelect(row)}
      onKeyDown={(e) => p.onKey(e, row)}
    >
      <div className="wf-label" style={{ paddingLeft: 4 + indent }}>
        {p.childCount ? (
          <button type="button" className="wf-toggle" tabIndex={-1} aria-label={p.collapsed ? `Expand (${p.childCount})` : 'Collapse'} onClick={(e) => { e.stopPropagation(); p.onToggle(row); }}>
            {p.collapsed ? '▶' : '▼'}
          </button>
        ) : <span className="wf-spacer" />}
        {p.depth > MAX_INDENT_LEVELS && <span className="muted small">{p.depth}</span>}
        <span className="svc" style={{ color }}>{span.service}</span>
        <span className="op" title={span.name}>{span.name}</span>
        {p.critical && <span className="crit-mark" title="on the critical path" aria-hidden="true">◆</span>}
        {error && <span className="err-mark" title="error status" aria-hidden="true">●</span>}
        {p.orphan && <span className="muted small" title="parent span not in the trace">⤴</span>}
      </div>
      <div className="wf-timeline">
        <div className={`wf-bar${error ? ' error' : ''}`} style={{ left: `${left}%`, width: `${Math.max(width, 0.15)}%`, background: color }} />
        {p.segments?.map((s, i) => (
          <div key={i} className="wf-crit" style={{ left: `${((s.startMs - p.t0) / p.total) * 100}%`, width: `${Math.max(((s.endMs - s.startMs) / p.total) * 100, 0.1)}%` }} />
        ))}
        <span className="wf-dur" style={left + width > 85 ? { right: `${100 - left + 0.5}%` } : { left: `${left + width + 0.5}%` }}>{formatMs(span.durationMs)}</span>
      </div>
    </div>
  );
});
