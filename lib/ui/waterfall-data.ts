import type { Span } from '../analytics/span';

/**
 * What the server sends a waterfall: only what drawing the tree needs, as parallel arrays with the
 * repeated strings (trace ids, services, span names) in small tables. A 5,000-span trace is then
 * ~0.3 MB instead of ~4 MB of span objects with their attributes; attributes, events and resources
 * are fetched from the JSON API after the first paint (for the details panel and attribute search).
 */
export interface WfData {
  traceIds: string[];
  services: string[];
  names: string[];
  kinds: string[];
  /** Epoch ms that `start` counts from. */
  base: number;
  spanId: string[];
  parentSpanId: string[];
  /** Indexes into the tables above. */
  trace: number[];
  service: number[];
  name: number[];
  kind: number[];
  /** ms after `base`, rounded to the microsecond. */
  start: number[];
  durationMs: number[];
  /** 0 unset, 1 ok, 2 error. */
  status: number[];
  /** Indexes of the spans on their trace's critical path. */
  critical: number[];
  /** The critical path as time slices: span index, start, end (ms after `base`), flattened. */
  segments: number[];
}

export interface WfCriticalSegment {
  /** Index of the span in the data. */
  span: number;
  startMs: number;
  endMs: number;
}

const STATUS = ['unset', 'ok', 'error'] as const;

const us = (ms: number) => Math.round(ms * 1000) / 1000;

/**
 * Spans → the compact form, with each trace's critical path (span
 * ids) and, when known, its time slices.
 */
export function toWaterfallData(
  spans: readonly Span[],
  path: { critical?: Record<string, readonly string[]>; segments?: readonly { traceId: string; spanId: string; startMs: number; endMs: number }[] } = {},
): WfData {
  const tables = { traceIds: new Map<string, number>(), services: new Map<string, number>(), names: new Map<string, number>(), kinds: new Map<string, number>() };
  const idx = (m: Map<string, number>, v: string) => {
    let i = m.get(v);
    if (i === undefined) m.set(v, (i = m.size));
    return i;
  };
  let base = spans.length ? Infinity : 0;
  for (const s of spans) base = Math.min(base, Math.floor(s.startMs));
  const d: WfData = {
    traceIds: [], services: [], names: [], kinds: [], base, spanId: [], parentSpanId: [], trace: [], service: [], name: [], kind: [], start: [], durationMs: [], status: [],
    critical: [], segments: [],
  };
  // Per trace, each span id's index (the first of an id sent twice): lookups by the ids as they are,
  // not by a joined key built for each of the path's ~2 slices per span.
  const indexOf = new Map<string, Map<string, number>>();
  for (const s of spans) {
    let ids = indexOf.get(s.traceId);
    if (!ids) indexOf.set(s.traceId, (ids = new Map()));
    if (!ids.has(s.spanId)) ids.set(s.spanId, d.spanId.length);
    d.spanId.push(s.spanId);
    d.parentSpanId.push(s.parentSpanId);
    d.trace.push(idx(tables.traceIds, s.traceId));
    d.service.push(idx(tables.services, s.service));
    d.name.push(idx(tables.names, s.name));
    d.kind.push(idx(tables.kinds, s.kind));
    d.start.push(us(s.startMs - base));
    d.durationMs.push(us(s.durationMs));
    d.status.push(STATUS.indexOf(s.status));
  }
  for (const [traceId, critical] of Object.entries(path.critical ?? {})) {
    const ids = indexOf.get(traceId);
    for (const id of critical) {
      const i = ids?.get(id);
      if (i !== undefined) d.critical.push(i);
    }
  }
  for (const seg of path.segments ?? []) {
    const i = indexOf.get(seg.traceId)?.get(seg.spanId);
    if (i !== undefined) d.segments.push(i, us(seg.startMs - base), us(seg.endMs - base));
  }
  d.traceIds = [...tables.traceIds.keys()];
  d.services = [...tables.services.keys()];
  d.names = [...tables.names.keys()];
  d.kinds = [...tables.kinds.keys()];
  return d;
}

/** The critical-path slices of the compact form, in absolute ms. */
export function criticalSegments(d: WfData): WfCriticalSegment[] {
  const out: WfCriticalSegment[] = [];
  for (let k = 0; k + 2 < d.segments.length; k += 3) out.push({ span: d.segments[k], startMs: d.base + d.segments[k + 1], endMs: d.base + d.segments[k + 2] });
  return out;
}

/** The compact form → span objects (client side). */
export function fromWaterfallData(d: WfData): Span[] {
  return d.spanId.map((spanId, i) => ({
    traceId: d.traceIds[d.trace[i]],
    spanId,
    parentSpanId: d.parentSpanId[i],
    service: d.services[d.service[i]],
    name: d.names[d.name[i]],
    kind: d.kinds[d.kind[i]],
    startMs: d.base + d.start[i],
    durationMs: d.durationMs[i],
    status: STATUS[d.status[i]] ?? 'unset',
  }));
}
