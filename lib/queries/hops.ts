import { computeCriticalPath } from '../analytics/critical-path';
import { gatewayHostArrays, gatewayOf, type GatewayHostArrays, type GatewayHostTable } from '../analytics/gateways';
import { criticalPathByHop, hopKey, type HopSpan, type HopTargetKind } from '../analytics/hops';
import { ident, join, sql, typed, type SqlFragment } from '../store/sql';
import type { Store } from '../store/store';
import { defaultGatewayHostTable, defaultGatewayHosts, gatewayOfSql, msFromNs, num, queryConstants, quantilesMs, type TimeRange } from './common';
import { HOUR_MS, planPartials, registerPartialKind, unionAll, type PartialKind } from './partials';

export interface HopsParams extends TimeRange {
  /**
   * Only calls of payments in this channel / through this gateway: a payment stage span of the
   * call's trace in its window carries it (the critical-path sample: a stage span in the range).
   */
  channel?: string;
  gateway?: string;
  /** Traces sampled for the critical-path share. @default 200 */
  sampleTraces?: number;
  limit?: number;
  /** The gateway host table. @default built-ins + PAYSCOPE_GATEWAY_HOSTS */
  hostTable?: GatewayHostTable;
}

export interface HopRow {
  from: string;
  to: string;
  toKind: HopTargetKind;
  calls: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  errorRate: number;
  /** Mean time per call not spent in the callee's own outgoing calls, ms. */
  selfMs: number;
  /** Share of the critical path (summed over sampled traces) spent in this hop. */
  criticalPathShare: number;
}

export interface HopsResult {
  hops: HopRow[];
  /** Traces the critical-path share was computed over (a deterministic sample of the range). */
  criticalPathTraces: number;
}

const HOSTS_TTL_MS = 60_000;
const hostCache = new WeakMap<Store, WeakMap<GatewayHostTable, { at: number; value: Promise<{ hosts: string[]; gateways: string[] }> }>>();

/**
 * The gateway of every peer host that may be one (the hosts `gateway_calls` has seen), looked up
 * in the host table here: once per distinct host instead of a wildcard search per span in SQL
 * (measured several times faster). Cached for a minute per store and table.
 */
function hostGateways(store: Store, table: GatewayHostTable): Promise<{ hosts: string[]; gateways: string[] }> {
  let perTable = hostCache.get(store);
  if (!perTable) hostCache.set(store, (perTable = new WeakMap()));
  const hit = perTable.get(table);
  if (hit && Date.now() - hit.at < HOSTS_TTL_MS) return hit.value;
  const value = store.query<{ h: string }>(sql`SELECT DISTINCT toString(PeerHost) AS h FROM gateway_calls WHERE PeerHost != ''`).then((rows) => {
    const known = rows.map((r) => [r.h, gatewayOf(table, '', r.h)] as const).filter(([, g]) => g !== '');
    return { hosts: known.map((k) => k[0]), gateways: known.map((k) => k[1]) };
  });
  perTable.set(table, { at: Date.now(), value });
  value.catch(() => perTable!.delete(table));
  return value;
}

/** Where a filtered sample finds its traces: the sample's own stage spans, or all of them. */
const STAGE_SPAN_TABLES = ['hop_sample_payments', 'payment_stage_events'] as const;

/**
 * The critical-path sample's traces when filtered: those with a payment stage span in the range in
 * the channel / through the gateway, as a condition on TraceKey. `hop_sample_payments` holds those
 * spans of the traces in `hop_sample_spans` (migration 0068); `payment_stage_events` all of them.
 */
function traceFilter(p: HopsParams, hosts: GatewayHostArrays, table: (typeof STAGE_SPAN_TABLES)[number]): SqlFragment {
  const conds: SqlFragment[] = [];
  if (p.channel !== undefined) conds.push(sql`PaymentChannel = ${p.channel}`);
  if (p.gateway !== undefined) conds.push(sql`${gatewayOfSql()} = ${p.gateway}`);
  if (!conds.length) return sql``;
  const where = conds.reduce((a, c) => sql`${a} AND ${c}`);
  const constants = p.gateway !== undefined ? sql`WITH ${queryConstants(hosts)}` : sql``;
  const key = table === 'hop_sample_payments' ? sql`TraceKey` : sql`cityHash64(TraceId)`;
  return sql`AND TraceKey IN (
    ${constants} SELECT ${key} FROM ${ident(table, STAGE_SPAN_TABLES)} WHERE Timestamp >= ${p.from} AND Timestamp < ${p.to} AND ${where})`;
}

/**
 * A call's window: its server child and that child's outgoing calls count only when they start at
 * most a minute before the client span (clock skew between hosts) and at most 15 minutes after it.
 */
export const CALL_WINDOW_BEFORE_MS = 60_000;
export const CALL_WINDOW_AFTER_MS = 15 * 60_000;

/**
 * Spans starting in one of `segments` ([from, to) each), as a condition on `Timestamp`; with
 * `widen`, stretched by the call window: where the calls of client spans in them find their spans.
 */
function inSegments(segments: readonly TimeRange[], widen: boolean): SqlFragment {
  const parts = segments.map((r) => {
    const lo = widen ? new Date(r.from.getTime() - CALL_WINDOW_BEFORE_MS) : r.from;
    const hi = widen ? new Date(r.to.getTime() + CALL_WINDOW_AFTER_MS) : r.to;
    return sql`(Timestamp >= ${lo} AND Timestamp < ${hi})`;
  });
  return parts.length ? sql`(${join(parts, ' OR ')})` : sql`0`;
}

/**
 * The hop edges of the client spans starting in `segments`, per stored dimension (caller,
 * PaymentGateway, PeerHost, answering service; the channels and raw gateway inputs of the payment
 * stage spans of the call's trace in its window, which the filters read): calls, errors, the sum of
 * self times (ns) and the exact-quantile state of durations. The hourly partials (`HOPS_PARTIALS`, table `hop_edges_partials`)
 * hold these rows per hour; both merge.
 *
 * A call's server child and that child's outgoing calls count only inside the call's window
 * (CALL_WINDOW_*), so each client span's answer depends on the spans of that window alone, whichever
 * range is asked: what makes an hour's partial result equal to reading that hour from the spans. The
 * gateway is resolved from the host table only when the states are merged, so a partial does not
 * depend on configuration.
 */
function edgeStatesSql(segments: readonly TimeRange[], opts: { byBucket?: boolean; byPayment?: boolean } = {}): SqlFragment {
  const clients = inSegments(segments, false);
  const near = inSegments(segments, true);
  const startNs = sql`toInt64(toUnixTimestamp64Nano(Timestamp))`;
  const before = CALL_WINDOW_BEFORE_MS * 1_000_000;
  const after = CALL_WINDOW_AFTER_MS * 1_000_000;
  // The payment stage spans of the call's trace in its window: their channels and raw gateway inputs
  // (read for the partials, and for a filtered query's live ranges; an unfiltered one needs none).
  const payment = opts.byPayment
    ? sql`arrayFilter(e -> e.1 >= j.start - ${before} AND e.1 <= j.start + ${after}, t.ev) AS evs,
          arraySort(arrayDistinct(arrayFilter(x -> x != '', arrayMap(e -> e.2, evs)))) AS Channels,
          arraySort(arrayDistinct(arrayFilter(x -> x.1 != '' OR x.2 != '', arrayMap(e -> (e.3, e.4), evs)))) AS Gateways,`
    : sql`CAST([], 'Array(LowCardinality(String))') AS Channels, CAST([], 'Array(Tuple(String, String))') AS Gateways,`;
  const paymentJoin = opts.byPayment
    ? sql`LEFT ANY JOIN (
        SELECT cityHash64(TraceId) AS TraceKey,
               groupArray((${startNs}, toString(PaymentChannel), toString(PaymentGateway), toString(PeerHost))) AS ev
        FROM payment_stage_events
        WHERE ${near} AND (PaymentChannel != '' OR PaymentGateway != '' OR PeerHost != '')
        GROUP BY TraceKey
      ) AS t ON t.TraceKey = j.TraceKey`
    : sql``;
  // Each client span, its server child (LEFT ANY JOIN on raw rows: a join against an aggregated
  // right side measured several times slower), then the child's outgoing calls, kept per call so
  // only those in the call's window count.
  const bucket = opts.byBucket ? sql`intDiv(toUInt32(intDiv(j.start, 1000000000) % 3600), ${BUCKET_MS / 1000})` : sql`0`;
  return sql`
    SELECT Bucket, FromService, PaymentGateway, PeerHost, Callee, Channels, Gateways,
           count() AS Calls, countIf(IsError) AS Errors, sum(self) AS SelfSum,
           quantilesExactState(0.5, 0.95, 0.99)(Duration) AS Durations
    FROM (
      SELECT ${bucket} AS Bucket, j.from AS FromService, j.gw AS PaymentGateway, j.host AS PeerHost, if(j.answered, j.callee, '') AS Callee,
             j.Duration AS Duration, j.IsError AS IsError,
             ${payment}
             -- lib/analytics/hops.ts outgoingTime over the child's calls in the window.
             arrayFilter(o -> o.1 >= j.start - ${before} AND o.1 <= j.start + ${after}, d.outs) AS os,
             if(j.answered AND notEmpty(os),
                greatest(0, toInt64(j.Duration) - least(arraySum(o -> o.2, os), arrayMax(o -> o.1 + o.2, os) - arrayMin(o -> o.1, os))),
                toInt64(j.Duration)) AS self
      FROM (
        SELECT c.start AS start, c.TraceKey AS TraceKey, c.ServiceName AS from, c.PaymentGateway AS gw, c.PeerHost AS host, c.Duration AS Duration, c.IsError AS IsError,
               s.ServiceName AS callee, s.SpanKey AS calleeKey,
               s.ServiceName != '' AND s.ServiceName != c.ServiceName
                 AND s.start >= c.start - ${before} AND s.start <= c.start + ${after} AS answered
        FROM (
          SELECT SpanKey, TraceKey, ServiceName, PaymentGateway, PeerHost, Duration, IsError, ${startNs} AS start
          FROM hop_spans
          WHERE Kind IN ('client', 'producer') AND ${clients}
        ) AS c
        LEFT ANY JOIN (
          SELECT ParentKey, SpanKey, ServiceName, ${startNs} AS start
          FROM hop_spans
          WHERE Kind IN ('server', 'consumer') AND ${near}
        ) AS s ON s.ParentKey = c.SpanKey
      ) AS j
      LEFT ANY JOIN (
        -- Per server span: its direct outgoing calls (start ns, duration).
        SELECT ParentKey, groupArray((${startNs}, toInt64(Duration))) AS outs
        FROM hop_spans
        WHERE Kind IN ('client', 'producer') AND ${near}
        GROUP BY ParentKey
      ) AS d ON d.ParentKey = j.calleeKey
      ${paymentJoin}
    )
    GROUP BY Bucket, FromService, PaymentGateway, PeerHost, Callee, Channels, Gateways`;
}

/** The partials' rows are per five minutes of the client span's start (column Bucket). */
const BUCKET_MS = 5 * 60_000;
const BUCKETS = HOUR_MS / BUCKET_MS;
/**
 * An hour's calls in two kinds. Those of its first 45 minutes (buckets 0–8) have their whole window
 * inside the hour, so they depend on it and the hour before only: computed once the hour closes,
 * while the next one is still being written (the last 24 h then reads about 45 minutes fewer from
 * the spans). The last 15 minutes' windows reach into the next hour.
 */
const HEAD_BUCKETS = Math.floor((HOUR_MS - CALL_WINDOW_AFTER_MS) / BUCKET_MS);

/** Hourly partials of the hop edges of the client spans in buckets [lo, hi) of each hour. */
function hopEdgesKind(name: string, lo: number, hi: number) {
  const kind = registerPartialKind({
    name,
    before: Math.ceil(Math.max(0, CALL_WINDOW_BEFORE_MS - lo * BUCKET_MS) / HOUR_MS),
    after: Math.ceil(Math.max(0, hi * BUCKET_MS + CALL_WINDOW_AFTER_MS - HOUR_MS) / HOUR_MS),
    table: 'hop_edges_partials',
    async compute(store, hour, tag) {
      const h = hour.getTime();
      await store.command(sql`
        INSERT INTO hop_edges_partials (Kind, Hour, Covers, Bucket, FromService, PaymentGateway, PeerHost, Callee, Channels, Gateways, Calls, Errors, SelfSum, Durations)
        SELECT ${tag}, Bucket, FromService, PaymentGateway, PeerHost, Callee, Channels, Gateways, Calls, Errors, SelfSum, Durations
        FROM (${edgeStatesSql([{ from: new Date(h + lo * BUCKET_MS), to: new Date(h + hi * BUCKET_MS) }], { byBucket: true, byPayment: true })})`);
    },
  });
  return { kind, lo, hi };
}

/** The hops' partial kinds, each an hour's buckets [lo, hi) (the rows of `hop-edges-by-payment`, whole hours, are no longer read). */
export const HOPS_PARTIALS = [hopEdgesKind('hop-edges-head', 0, HEAD_BUCKETS), hopEdgesKind('hop-edges-tail', HEAD_BUCKETS, BUCKETS)];

/** At most this many ranges read from the spans: more are merged across their smallest gaps. */
const MAX_LIVE_RANGES = 8;

export interface HopsPlan {
  /** Partial rows read: a kind's hour, its version, the buckets [lo, hi) inside the range. */
  pieces: { kind: PartialKind; hour: Date; covers: string; lo: number; hi: number }[];
  /** The rest of the range, read from the spans, in order. */
  live: TimeRange[];
}

/**
 * Which parts of a range the hops read from partials: each valid kind-hour's buckets inside the
 * range (so a range that starts or ends inside a valid hour reads at most five minutes at each end
 * from the spans); the rest from the spans.
 */
export async function planHops(store: Store, range: TimeRange, now: number): Promise<HopsPlan> {
  const from = range.from.getTime();
  const to = range.to.getTime();
  const whole = { from: new Date(Math.floor(from / HOUR_MS) * HOUR_MS), to: new Date(Math.ceil(to / HOUR_MS) * HOUR_MS) };
  const plans = await Promise.all(HOPS_PARTIALS.map((k) => planPartials(store, k.kind, whole, now)));
  let pieces: HopsPlan['pieces'] = [];
  HOPS_PARTIALS.forEach((k, i) => {
    for (const { hour, covers } of plans[i].hours) {
      const h = hour.getTime();
      const lo = Math.max(k.lo, Math.ceil((from - h) / BUCKET_MS));
      const hi = Math.min(k.hi, Math.floor((to - h) / BUCKET_MS));
      if (lo < hi) pieces.push({ kind: k.kind, hour, covers, lo, hi });
    }
  });
  const startOf = (x: HopsPlan['pieces'][number]) => x.hour.getTime() + x.lo * BUCKET_MS;
  pieces.sort((a, b) => startOf(a) - startOf(b));
  const live: TimeRange[] = [];
  let at = from;
  for (const x of pieces) {
    if (at < startOf(x)) live.push({ from: new Date(at), to: new Date(startOf(x)) });
    at = x.hour.getTime() + x.hi * BUCKET_MS;
  }
  if (at < to) live.push({ from: new Date(at), to: new Date(to) });
  // A read of spans is exact either way; fewer ranges keep its statement small.
  while (live.length > MAX_LIVE_RANGES) {
    let best = 1;
    for (let i = 2; i < live.length; i++) {
      if (live[i].from.getTime() - live[i - 1].to.getTime() < live[best].from.getTime() - live[best - 1].to.getTime()) best = i;
    }
    const [gapFrom, gapTo] = [live[best - 1].to.getTime(), live[best].from.getTime()];
    live.splice(best - 1, 2, { from: live[best - 1].from, to: live[best].to });
    pieces = pieces.filter((x) => startOf(x) < gapFrom || startOf(x) >= gapTo);
  }
  return { pieces, live };
}

/** The edge states of a range (`planHops`): partial rows and the rest from the spans, to merge. */
async function rangeEdgeStates(store: Store, p: HopsParams, now: number): Promise<SqlFragment> {
  const { pieces, live } = await planHops(store, p, now);
  const byPayment = p.channel !== undefined || p.gateway !== undefined;
  const parts = live.length || !pieces.length ? [edgeStatesSql(live, { byPayment })] : [];
  if (pieces.length) {
    // Pieces of whole kind-hours by their (hour, version); cut ones (at the range's ends) by bucket too.
    const isWhole = (x: HopsPlan['pieces'][number]) => HOPS_PARTIALS.some((k) => x.kind === k.kind && x.lo === k.lo && x.hi === k.hi);
    const version = (x: HopsPlan['pieces'][number]) => sql`(${x.kind.name}, ${x.hour.getTime() / 1000}, ${typed(x.covers, "DateTime64(6, 'UTC')")})`;
    const conds: SqlFragment[] = [];
    const whole = pieces.filter(isWhole);
    if (whole.length) conds.push(sql`(Kind, toUnixTimestamp(Hour), Covers) IN (${join(whole.map(version), ', ')})`);
    for (const x of pieces.filter((y) => !isWhole(y))) {
      conds.push(sql`((Kind, toUnixTimestamp(Hour), Covers) = ${version(x)} AND Bucket >= ${x.lo} AND Bucket < ${x.hi})`);
    }
    // The kinds and hours first, as plain conditions on the sorting key, so only their rows are read.
    const hours = pieces.map((x) => x.hour.getTime());
    parts.push(sql`SELECT Bucket, FromService, PaymentGateway, PeerHost, Callee, Channels, Gateways, Calls, Errors, SelfSum, Durations
      FROM hop_edges_partials
      WHERE Kind IN (${join(HOPS_PARTIALS.map((k) => sql`${k.kind.name}`), ', ')}) AND Hour >= ${new Date(Math.min(...hours))} AND Hour <= ${new Date(Math.max(...hours))}
        AND (${join(conds, ' OR ')})`);
  }
  return unionAll(parts);
}

/**
 * Service→service and service→gateway edges (lib/analytics/hops.ts): calls, latency, error rate and
 * self time over every call in the range, from `edgeStatesSql`: the parts with a current partial
 * result (`planHops`) from `hop_edges_partials`, the rest from `hop_spans`; and
 * each edge's share of the critical path over a sample of traces (the critical path is the pure
 * function's, per trace). Slowest (p95) first.
 */
export async function getSlowestHops(store: Store, p: HopsParams, now = Date.now()): Promise<HopsResult> {
  const table = p.hostTable ?? defaultGatewayHostTable();
  const hosts = p.hostTable ? gatewayHostArrays(p.hostTable) : defaultGatewayHosts();
  const sharesP = criticalPathShares(store, p, hosts);
  sharesP.catch(() => {});
  const [known, states] = await Promise.all([hostGateways(store, table), rangeEdgeStates(store, p, now)]);
  const conds: SqlFragment[] = [sql`to != ''`];
  if (p.channel !== undefined) conds.push(sql`has(Channels, ${p.channel})`);
  if (p.gateway !== undefined) conds.push(sql`arrayExists(g -> ${gatewayOfSql('g.1', 'g.2')} = ${p.gateway}, Gateways)`);
  const rowsP = store.query<{ from: string; to: string; toKind: HopTargetKind; calls: string; q: unknown[]; errors: string; selfSum: string }>(sql`
    WITH ${queryConstants(hosts)}
    SELECT from, to, toKind, sum(Calls) AS calls, quantilesExactMerge(0.5, 0.95, 0.99)(Durations) AS q,
           sum(Errors) AS errors, sum(SelfSum) AS selfSum
    FROM (
      SELECT toString(FromService) AS from,
             if(PaymentGateway != '', toString(PaymentGateway), transform(toString(PeerHost), ${known.hosts}, ${known.gateways}, '')) AS gateway,
             multiIf(gateway != '', gateway, Callee != '', toString(Callee), toString(PeerHost)) AS to,
             multiIf(gateway != '', 'gateway', Callee != '', 'service', 'external') AS toKind,
             Channels, Gateways, Calls, Errors, SelfSum, Durations
      FROM (${states})
    )
    WHERE ${join(conds, ' AND ')}
    GROUP BY from, to, toKind`);
  const [rows, shares] = await Promise.all([rowsP, sharesP]);
  const hops: HopRow[] = rows.map((r) => {
    const calls = num(r.calls);
    const q = quantilesMs(r.q, calls);
    return {
      from: r.from,
      to: r.to,
      toKind: r.toKind,
      calls,
      p50Ms: q.p50,
      p95Ms: q.p95,
      p99Ms: q.p99,
      errorRate: calls ? num(r.errors) / calls : 0,
      selfMs: calls ? num(r.selfSum) / calls / 1e6 : 0,
      criticalPathShare: shares.byHop.get(hopKey(r)) ?? 0,
    };
  });
  hops.sort((a, b) => (b.p95Ms ?? 0) - (a.p95Ms ?? 0) || b.calls - a.calls || (a.from + a.to < b.from + b.to ? -1 : 1));
  return { hops: p.limit ? hops.slice(0, p.limit) : hops, criticalPathTraces: shares.traces };
}

/**
 * The critical-path share of each hop: over a deterministic sample of the range's traces (of the
 * traces with a span in the range, those with the lowest keys, cityHash64 of the trace id), the time
 * on each trace's critical path blamed on the hop, divided by the sampled traces' total critical-path
 * time; each trace from its spans in the range. The spans come from `hop_sample_spans`, ordered by
 * trace, when the range holds enough of its traces (those are then the lowest keys of all), else
 * from `hop_spans`: so the cost stays that of a few thousand traces however long the range. Filtered,
 * the traces are those with a matching payment stage span in the range, found in the same way
 * (`hop_sample_payments`, else `payment_stage_events`).
 * Traces and spans are read and summed in key order, so the shares do not vary from call to call.
 */
async function criticalPathShares(store: Store, p: HopsParams, hosts: GatewayHostArrays): Promise<{ byHop: Map<string, number>; traces: number }> {
  const n = p.sampleTraces ?? 200;
  const range = sql`Timestamp >= ${p.from} AND Timestamp < ${p.to}`;
  type Row = { TraceKey: string; SpanKey: string; ParentKey: string; service: string; kind: string; startNs: string; Duration: string; gateway: string; PeerHost: string };
  const read = (table: 'hop_sample_spans' | 'hop_spans', filter: SqlFragment) => store.query<Row>(sql`
    WITH ${queryConstants(hosts)}
    SELECT TraceKey, SpanKey, ParentKey, toString(ServiceName) AS service, toString(Kind) AS kind,
           toString(toUnixTimestamp64Nano(Timestamp)) AS startNs, Duration, ${gatewayOfSql()} AS gateway, toString(PeerHost) AS PeerHost
    FROM ${ident(table, ['hop_sample_spans', 'hop_spans'])}
    WHERE ${range}
      AND TraceKey IN (SELECT DISTINCT TraceKey FROM ${ident(table, ['hop_sample_spans', 'hop_spans'])} WHERE ${range} ${filter} ORDER BY TraceKey LIMIT ${n})
    ORDER BY TraceKey, SpanKey, startNs, Duration, service, kind`);
  let rows = await read('hop_sample_spans', traceFilter(p, hosts, 'hop_sample_payments'));
  // Fewer than n there: the range has fewer than n (matching) traces below the tables' bound, so the
  // lowest n of all include some above it.
  if (new Set(rows.map((r) => r.TraceKey)).size < n) rows = await read('hop_spans', traceFilter(p, hosts, 'payment_stage_events'));
  const byTrace = new Map<string, HopSpan[]>();
  for (const r of rows) {
    const span: HopSpan = {
      spanId: r.SpanKey, parentSpanId: r.ParentKey, service: r.service, kind: r.kind,
      startMs: msFromNs(r.startNs), durationMs: num(r.Duration) / 1e6, gateway: r.kind === 'client' || r.kind === 'producer' ? r.gateway : '', peerHost: r.PeerHost,
    };
    const list = byTrace.get(r.TraceKey);
    if (list) list.push(span);
    else byTrace.set(r.TraceKey, [span]);
  }
  const timeByHop = new Map<string, number>();
  let total = 0;
  for (const spans of byTrace.values()) {
    const path = computeCriticalPath(spans);
    for (const seg of path.segments) total += seg.end - seg.start;
    for (const [k, v] of criticalPathByHop(spans, path)) timeByHop.set(k, (timeByHop.get(k) ?? 0) + v.time);
  }
  const byHop = new Map<string, number>();
  for (const [k, t] of timeByHop) byHop.set(k, total > 0 ? t / total : 0);
  return { byHop, traces: byTrace.size };
}
