import { computeCriticalPath } from '../analytics/critical-path';
import type { GatewayHostArrays } from '../analytics/gateways';
import type { Span, SpanDetailFields } from '../analytics/span';
import { STAGE_ORDER } from '../analytics/stages';
import { join, sql, type SqlFragment } from '../store/sql';
import type { Store } from '../store/store';
import { defaultGatewayHosts, gatewayOfSql, isoFromNs, msFromNs, num, queryConstants, type TimeRange } from './common';

export interface TraceSearchParams extends TimeRange {
  service?: string;
  /** Span name. */
  name?: string;
  stage?: string;
  channel?: string;
  gateway?: string;
  status?: 'error' | 'ok';
  /** Span or resource attributes equal to these values. */
  attr?: { key: string; value: string }[];
  /** Bounds on the trace's duration, or with match 'span' on the matching span's. */
  minDurationMs?: number;
  maxDurationMs?: number;
  /**
   * 'trace' (default): each filter holds on some span of the trace, not necessarily the same one;
   * 'span': service, name, attributes and duration hold on one span together.
   */
  match?: 'trace' | 'span';
  orderId?: string;
  traceId?: string;
  /** @default 'recent' */
  sort?: 'recent' | 'duration';
  /** @default 50 */
  limit?: number;
  hosts?: GatewayHostArrays;
}

export interface TraceSummary {
  traceId: string;
  rootService: string;
  rootName: string;
  /** ISO 8601, nanosecond precision. */
  start: string;
  durationMs: number;
  spanCount: number;
  error: boolean;
}

/**
 * Attributes with columns of their own, filled at insert from the attribute maps: a search on them
 * reads those small columns, not the whole maps. The payment keys have a span column
 * (clickhouse/migrations/0003_payment_columns.sql); the semantic-convention keys searched most have a
 * span and a resource column (0060_search_attribute_columns.sql).
 */
const ATTRIBUTE_COLUMNS: Record<string, { span: SqlFragment; resource?: SqlFragment }> = {
  'payment.order_id': { span: sql`PaymentOrderId` },
  'payment.stage': { span: sql`PaymentStage` },
  'payment.channel': { span: sql`PaymentChannel` },
  'payment.gateway': { span: sql`PaymentGateway` },
  'payment.outcome': { span: sql`PaymentOutcome` },
  'payment.error_code': { span: sql`PaymentErrorCode` },
  'http.response.status_code': { span: sql`HttpResponseStatusCode`, resource: sql`ResourceHttpResponseStatusCode` },
  'http.request.method': { span: sql`HttpRequestMethod`, resource: sql`ResourceHttpRequestMethod` },
  'http.route': { span: sql`HttpRoute`, resource: sql`ResourceHttpRoute` },
  'error.type': { span: sql`ErrorType`, resource: sql`ResourceErrorType` },
};

/** A span or resource attribute equal to `value`. */
export function attributeEqualsSql(key: string, value: string): SqlFragment {
  const columns = Object.hasOwn(ATTRIBUTE_COLUMNS, key) ? ATTRIBUTE_COLUMNS[key] : undefined;
  const span = columns ? sql`${columns.span} = ${value}` : sql`SpanAttributes[${key}] = ${value}`;
  const resource = columns?.resource ? sql`${columns.resource} = ${value}` : sql`ResourceAttributes[${key}] = ${value}`;
  return sql`(${span} OR ${resource})`;
}

/**
 * Traces in a range with every filter satisfied by some span of the trace (not necessarily the
 * same span): e.g. service=payment&stage=gateway.callback finds the callback traces. With match
 * 'span', the service, name, attribute and duration filters must all hold on one span (Jaeger's
 * search): service=payment&attr=http.route:/pay&minDurationMs=500 finds traces where payment's
 * /pay span itself took 500 ms. Most recent (or slowest) first. A trace's root is its span without
 * a parent (its earliest span if the root is missing); its duration runs from its first span start
 * to its last span end in the range.
 *
 * Most recent first is searched in the latest part of the range first (`recentTraces`), so a search
 * need not read the attribute maps of a whole day of spans.
 */
export async function searchTraces(store: Store, p: TraceSearchParams): Promise<{ traces: TraceSummary[] }> {
  const hosts = p.hosts ?? defaultGatewayHosts();
  const limit = p.limit ?? 50;
  const having: SqlFragment[] = [];
  const ns = (ms: number) => Math.round(ms * 1e6);
  const onSpan: SqlFragment[] = [];
  if (p.service !== undefined) onSpan.push(sql`ServiceName = ${p.service}`);
  if (p.name !== undefined) onSpan.push(sql`SpanName = ${p.name}`);
  for (const { key, value } of p.attr ?? []) onSpan.push(attributeEqualsSql(key, value));
  if (p.match === 'span') {
    if (p.minDurationMs !== undefined) onSpan.push(sql`Duration >= ${ns(p.minDurationMs)}`);
    if (p.maxDurationMs !== undefined) onSpan.push(sql`Duration <= ${ns(p.maxDurationMs)}`);
    if (onSpan.length) having.push(sql`countIf(${join(onSpan, ' AND ')}) > 0`);
  } else {
    for (const cond of onSpan) having.push(sql`countIf(${cond}) > 0`);
    if (p.minDurationMs !== undefined) having.push(sql`durationNs >= ${ns(p.minDurationMs)}`);
    if (p.maxDurationMs !== undefined) having.push(sql`durationNs <= ${ns(p.maxDurationMs)}`);
  }
  if (p.stage !== undefined) having.push(sql`countIf(PaymentStage = ${p.stage}) > 0`);
  if (p.channel !== undefined) having.push(sql`countIf(PaymentChannel = ${p.channel}) > 0`);
  if (p.gateway !== undefined) having.push(sql`countIf(Kind IN ('client', 'producer', 'server') AND ${gatewayOfSql()} = ${p.gateway}) > 0`);
  if (p.status === 'error') having.push(sql`error = 1`);
  if (p.status === 'ok') having.push(sql`error = 0`);
  const order = p.sort === 'duration' ? sql`durationNs DESC, startNs DESC` : sql`startNs DESC, durationNs DESC`;

  // The filters stay in countIf: the same map lookup in WHERE took ~2.5 times as long here
  // (docs/dashboard.md).
  const search = (from: Date) => {
    const where: SqlFragment[] = [sql`Timestamp >= ${from}`, sql`Timestamp < ${p.to}`];
    if (p.traceId !== undefined) where.push(sql`TraceId = ${p.traceId}`);
    if (p.orderId !== undefined) where.push(sql`TraceId IN (SELECT TraceId FROM payment_order_traces WHERE PaymentOrderId = ${p.orderId})`);
    return store.query<SummaryRow>(sql`
      WITH ${queryConstants(hosts)}
      SELECT TraceId AS traceId,
             countIf(ParentSpanId = '') > 0 AS hasRoot,
             if(hasRoot, argMinIf(toString(ServiceName), Timestamp, ParentSpanId = ''), argMin(toString(ServiceName), Timestamp)) AS rootService,
             if(hasRoot, argMinIf(toString(SpanName), Timestamp, ParentSpanId = ''), argMin(toString(SpanName), Timestamp)) AS rootName,
             min(toInt64(toUnixTimestamp64Nano(Timestamp))) AS startNs,
             max(toInt64(toUnixTimestamp64Nano(Timestamp)) + toInt64(Duration)) - startNs AS durationNs,
             count() AS spanCount,
             max(IsError) AS error
      FROM otel_traces
      WHERE ${join(where, ' AND ')}
      GROUP BY TraceId
      ${having.length ? sql`HAVING ${join(having, ' AND ')}` : sql``}
      ORDER BY ${order}, traceId
      LIMIT ${limit}`);
  };
  // An id or order filter leaves a handful of traces: one search over the range.
  const rows = p.sort === 'duration' || p.traceId !== undefined || p.orderId !== undefined
    ? await search(p.from)
    : await recentTraces(store, p, limit, search);
  return {
    traces: rows.map((r) => ({
      traceId: r.traceId,
      rootService: r.rootService,
      rootName: r.rootName,
      start: isoFromNs(String(r.startNs)),
      durationMs: num(r.durationNs) / 1e6,
      spanCount: num(r.spanCount),
      error: num(r.error) === 1,
    })),
  };
}

interface SummaryRow { traceId: string; rootService: string; rootName: string; startNs: string; durationNs: string; spanCount: string; error: number }

/** The first window of a most-recent-first search; then grown until it holds the answer. */
const FIRST_WINDOW_MS = 900_000;
/** Ranges up to this long are searched whole: a first window saved nothing on them (docs/dashboard.md). */
const WHOLE_RANGE_MS = 3_600_000;

/**
 * The `limit` most recent traces of the range, searched in a window at its end, [cut, to), grown
 * until the answer is known: the window's first `limit` traces are the range's when none of them
 * has a span in [from, cut) (judged from the trace-id lookup table, which may only err towards a
 * larger window). Then their summaries and filters saw
 * all their spans in the range, and every trace the window missed starts before cut, later in the
 * order than all of them. Windows grow at least twofold, so a 400-day range takes at most 17; the
 * last is the whole range. (Spans stored before the lookup table's view existed have no row there:
 * their traces count as starting in the window.)
 */
async function recentTraces(store: Store, p: TimeRange, limit: number, search: (from: Date) => Promise<SummaryRow[]>): Promise<SummaryRow[]> {
  if (p.to.getTime() - p.from.getTime() <= WHOLE_RANGE_MS) return search(p.from);
  for (let windowMs = FIRST_WINDOW_MS; ; ) {
    // A whole second, so the lookup table's second-precision Start compares exactly.
    const cut = Math.ceil((p.to.getTime() - windowMs) / 1000) * 1000;
    if (cut <= p.from.getTime()) return search(p.from);
    const rows = await search(new Date(cut));
    if (rows.length >= Math.max(1, limit) && (await startAtOrAfter(store, rows.map((r) => r.traceId), p.from, new Date(cut))) === rows.length) return rows;
    // Aim a quarter past what is needed, judging by what this window held.
    windowMs *= rows.length ? Math.min(16, Math.max(2, (1.25 * limit) / rows.length)) : 16;
  }
}

/**
 * How many of these traces have no lookup row reaching into [from, cut): a row spans its insert
 * block's first to last span start, so a span in [from, cut) always shows.
 */
async function startAtOrAfter(store: Store, traceIds: string[], from: Date, cut: Date): Promise<number> {
  const [r] = await store.query<{ n: string }>(sql`
    SELECT ${traceIds.length} - uniqExact(TraceId) AS n FROM otel_traces_trace_id_ts
    WHERE TraceId IN ${traceIds} AND Start < ${cut} AND End >= toStartOfSecond(${from})`);
  return num(r.n);
}

/** A stored span as the trace and payment views send it: the span, its ISO start and its details. */
export type SpanView = Span & SpanDetailFields & {
  /** ISO 8601, nanosecond precision. */
  start: string;
};

/** The columns every span read returns. */
interface SpanCoreRow {
  TraceId: string;
  SpanId: string;
  ParentSpanId: string;
  service: string;
  name: string;
  kind: string;
  startNs: string;
  Duration: string;
  StatusCode: string;
}

interface SpanRow extends SpanCoreRow {
  StatusMessage: string;
  attributes: Record<string, string>;
  resource: Record<string, string>;
  scope: string;
  eventTimes: string[];
  eventNames: string[];
  eventAttributes: Record<string, string>[];
}

function toSpan(r: SpanCoreRow): Span {
  const code = r.StatusCode;
  return {
    traceId: r.TraceId,
    spanId: r.SpanId,
    parentSpanId: r.ParentSpanId,
    service: r.service,
    name: r.name,
    kind: r.kind,
    startMs: msFromNs(r.startNs),
    durationMs: num(r.Duration) / 1e6,
    status: code === 'Error' || code === 'STATUS_CODE_ERROR' ? 'error' : code === 'Ok' || code === 'STATUS_CODE_OK' ? 'ok' : 'unset',
  };
}

function toSpanView(r: SpanRow): SpanView {
  return {
    ...toSpan(r),
    start: isoFromNs(r.startNs),
    statusMessage: r.StatusMessage,
    attributes: r.attributes,
    resource: r.resource,
    scope: r.scope,
    events: r.eventNames.map((name, i) => ({ time: isoFromNs(r.eventTimes[i]), name, attributes: r.eventAttributes[i] ?? {} })),
  };
}

/**
 * A span as the trace page draws it first: without its details (attributes, resource, events), which
 * the page's waterfall fetches from the JSON API when first wanted; with its payment order id.
 */
export type OutlineSpan = Span & { orderId: string };

const SPAN_CORE_COLUMNS = sql`TraceId, SpanId, ParentSpanId, toString(ServiceName) AS service, toString(SpanName) AS name, toString(Kind) AS kind,
  toString(toUnixTimestamp64Nano(Timestamp)) AS startNs, Duration, toString(StatusCode) AS StatusCode`;

const SPAN_COLUMNS = sql`${SPAN_CORE_COLUMNS}, StatusMessage,
  SpanAttributes AS attributes, ResourceAttributes AS resource, ScopeName AS scope,
  arrayMap(t -> toString(toUnixTimestamp64Nano(t)), Events.Timestamp) AS eventTimes,
  Events.Name AS eventNames, Events.Attributes AS eventAttributes`;

/** How a read turns rows into spans: with every detail (the JSON API), or the outline (the trace page). */
interface SpanReading<R, S> {
  columns: SqlFragment;
  span: (row: R) => S;
}
const DETAILED: SpanReading<SpanRow, SpanView> = { columns: SPAN_COLUMNS, span: toSpanView };
// The order id is a materialized column: the attribute maps are not read at all.
const OUTLINE: SpanReading<SpanCoreRow & { orderId: string }, OutlineSpan> = {
  columns: sql`${SPAN_CORE_COLUMNS}, PaymentOrderId AS orderId`,
  span: (r) => ({ ...toSpan(r), orderId: r.orderId }),
};

/** Spans of the given traces, each read from its own time slice (from the trace-id lookup table). */
async function spansOf<R, S>(store: Store, traces: { traceId: string; startSec: number; endSec: number }[], how: SpanReading<R, S>): Promise<S[]> {
  if (!traces.length) return [];
  const slices = traces.map(
    // Bounds as DateTime64 (Date parameters): against `toDateTime(seconds)` the engine's min-max part
    // pruning turns `Timestamp < :02` into `<= :01` and drops parts whose spans all lie in :01.xxx.
    (t) => sql`(TraceId = ${t.traceId} AND Timestamp >= ${new Date(t.startSec * 1000)} AND Timestamp < ${new Date((t.endSec + 1) * 1000)})`,
  );
  const rows = await store.query<R>(sql`
    SELECT ${how.columns}
    FROM otel_traces
    WHERE ${join(slices, ' OR ')}
    ORDER BY Timestamp, SpanId`);
  return rows.map(how.span);
}

export interface TraceView<S = SpanView> {
  traceId: string;
  spans: S[];
  /** Span ids on the critical path, in time order (lib/analytics/critical-path.ts). */
  criticalPath: string[];
  /** The path as time slices (epoch ms), for drawing. */
  criticalPathSegments: { spanId: string; startMs: number; endMs: number }[];
}

function withCriticalPath<S extends Span>(traceId: string, spans: S[]): TraceView<S> {
  const path = computeCriticalPath(spans);
  return {
    traceId,
    spans,
    criticalPath: path.spanIds,
    criticalPathSegments: path.segments.map((s) => ({ spanId: s.spanId, startMs: s.start, endMs: s.end })),
  };
}

/**
 * Where to look for a trace, as Jaeger's and Tempo's start/end on a lookup by id: only the spans that
 * start in [from, to) are read, straight from otel_traces (its trace-id bloom filter skips the other
 * granules of the window), so the lookup table is not asked and the cost does not grow with the
 * history outside the window. A trace partly outside the window comes back partly.
 */
export type TraceHint = TimeRange;

/**
 * One trace with all its spans and its critical path; null when the trace is unknown. With a hint,
 * the trace's spans that start in it; without, every span (its time slice from the lookup table). One
 * query either way.
 */
export function getTrace(store: Store, traceId: string, hint?: TraceHint): Promise<TraceView | null> {
  return readTrace(store, traceId, hint, DETAILED);
}

/** The same trace as getTrace, each span without its details but with its order id (`OutlineSpan`). */
export function getTraceOutline(store: Store, traceId: string, hint?: TraceHint): Promise<TraceView<OutlineSpan> | null> {
  return readTrace(store, traceId, hint, OUTLINE);
}

async function readTrace<R, S extends Span>(store: Store, traceId: string, hint: TraceHint | undefined, how: SpanReading<R, S>): Promise<TraceView<S> | null> {
  if (hint) {
    const rows = await store.query<R>(sql`
      SELECT ${how.columns} FROM otel_traces
      WHERE TraceId = ${traceId} AND Timestamp >= ${hint.from} AND Timestamp < ${hint.to}
      ORDER BY Timestamp, SpanId`);
    return rows.length ? withCriticalPath(traceId, rows.map(how.span)) : null;
  }
  // One statement: the scalar subquery's bounds are known before the span table's index is read, so
  // the read is as narrow as with bounds bound as parameters, without a second round trip. The upper
  // bound as DateTime64, as in spansOf.
  const rows = await store.query<R>(sql`
    WITH (SELECT (min(Start), max(End)) FROM otel_traces_trace_id_ts WHERE TraceId = ${traceId}) AS bounds
    SELECT ${how.columns} FROM otel_traces
    WHERE TraceId = ${traceId} AND Timestamp >= bounds.1 AND Timestamp < toDateTime64(bounds.2, 3) + INTERVAL 1 SECOND
    ORDER BY Timestamp, SpanId`);
  return rows.length ? withCriticalPath(traceId, rows.map(how.span)) : null;
}

/** A span that performs a payment stage, with the stage's outcome. */
export type PaymentStageView = Pick<SpanView, 'traceId' | 'spanId' | 'service' | 'start' | 'startMs' | 'durationMs' | 'status'> & {
  stage: string;
  outcome: string;
  errorCode: string;
};

export interface PaymentView {
  orderId: string;
  traceIds: string[];
  /** Every span of every trace the payment touched, on one timeline (start order). */
  spans: SpanView[];
  /** The spans that perform a payment stage, in time order. */
  stages: PaymentStageView[];
  criticalPaths: Record<string, string[]>;
}

/**
 * Every span of every trace with this order id (the callback traces included); null when unknown.
 * With a hint (TraceHint): the payment's traces with an order-id span overlapping it, and their spans
 * that start in it, in one query.
 */
export async function getPayment(store: Store, orderId: string, hint?: TraceHint): Promise<PaymentView | null> {
  let traces: { traceId: string }[];
  let spans: SpanView[];
  if (hint) {
    const rows = await store.query<SpanRow>(sql`
      SELECT ${SPAN_COLUMNS} FROM otel_traces
      WHERE TraceId IN (
          SELECT TraceId FROM payment_order_traces
          WHERE PaymentOrderId = ${orderId} AND Start < ${hint.to} AND End >= toStartOfSecond(${hint.from})
          LIMIT 1000)
        AND Timestamp >= ${hint.from} AND Timestamp < ${hint.to}
      ORDER BY Timestamp, SpanId`);
    spans = rows.map(toSpanView);
    // In the order of their first span, as without the hint.
    traces = [...new Set(spans.map((s) => s.traceId))].map((traceId) => ({ traceId }));
  } else {
    const bounds = await store.query<{ traceId: string; s: string; e: string }>(sql`
      SELECT TraceId AS traceId, toUnixTimestamp(min(Start)) AS s, toUnixTimestamp(max(End)) AS e
      FROM otel_traces_trace_id_ts
      WHERE TraceId IN (SELECT TraceId FROM payment_order_traces WHERE PaymentOrderId = ${orderId})
      GROUP BY TraceId
      ORDER BY s, traceId
      LIMIT 1000`);
    traces = bounds;
    spans = await spansOf(store, bounds.map((t) => ({ traceId: t.traceId, startSec: num(t.s), endSec: num(t.e) })), DETAILED);
  }
  if (!traces.length) return null;
  const stages = spans
    .filter((s) => (s.attributes['payment.stage'] ?? '') !== '')
    .map((s) => ({
      stage: s.attributes['payment.stage'],
      traceId: s.traceId,
      spanId: s.spanId,
      service: s.service,
      start: s.start,
      startMs: s.startMs,
      durationMs: s.durationMs,
      status: s.status,
      outcome: s.attributes['payment.outcome'] ?? '',
      errorCode: s.attributes['payment.error_code'] ?? '',
    }))
    .sort((a, b) => a.startMs - b.startMs || STAGE_ORDER.indexOf(a.stage) - STAGE_ORDER.indexOf(b.stage));
  const criticalPaths: Record<string, string[]> = {};
  for (const t of traces) criticalPaths[t.traceId] = withCriticalPath(t.traceId, spans.filter((s) => s.traceId === t.traceId)).criticalPath;
  return { orderId, traceIds: traces.map((t) => t.traceId), spans, stages, criticalPaths };
}
