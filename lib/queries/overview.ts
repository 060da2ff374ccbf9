import { AMOUNT_BAND_BOUNDS, AMOUNT_BAND_KEY, AMOUNT_PATTERN, amountBandLabels } from '../analytics/deltas';
import { DEFAULT_WINDOW_SEC } from '../analytics/funnel';
import { compareStages } from '../analytics/stages';
import { getConfig, type CallbackSla } from '../config';
import { join, sql, type SqlFragment } from '../store/sql';
import type { Store } from '../store/store';
import { defaultGatewayHosts, gatewayOfSql, isoFromNs, isTimeoutSql, num, queryConstants, quantilesMs, type TimeRange } from './common';
import { attributeEqualsSql } from './traces';
import type { GatewayHostArrays } from '../analytics/gateways';

/**
 * The Overview page's figures: payments, success rate and end-to-end latency, per channel and over
 * time. One payment is one flow (payment.order_id) that entered the checkout in the range:
 *
 *   order.create ─ payment.submit ─ gateway.request ··· gateway.callback ─ order.confirm
 *   t0 (in range)                                                           └ end of the first
 *                                                                             successful confirm
 *
 *   succeeded   an order.confirm span without error, outcome succeeded (or unset), at or after t0
 *               and within the funnel window; end-to-end = its end − t0
 *   failed      not succeeded, and some stage span failed (error status, outcome failed/cancelled)
 *   pending     neither (still waiting, e.g. for a callback)
 *
 * Spans up to one window after `to` still count towards the outcome, as in the default checkout
 * funnel (lib/queries/funnel.ts), whose first step `payments` equals except for a flow repeating
 * order.create (the funnel enters it only with none in the window before, again after a window).
 */

export interface OverviewParams extends TimeRange {
  /** Only payments in this channel. */
  channel?: string;
  /** Width of a time-series bucket, ms; buckets are aligned to the epoch. @default chooseBucketMs(range) */
  bucketMs?: number;
  /** How long after order.create the confirm still counts, seconds. @default 3600 */
  windowSec?: number;
}

export interface OverviewFigures {
  payments: number;
  succeeded: number;
  failed: number;
  /** payments − succeeded − failed. */
  pending: number;
  /** succeeded / payments (0 when there are none). */
  successRate: number;
  /** End-to-end latency of succeeded payments, ms; null when none succeeded. */
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
}

export interface OverviewPoint extends OverviewFigures {
  /** Bucket start, ISO 8601. */
  start: string;
  startMs: number;
}

export interface OverviewResult {
  from: string;
  to: string;
  bucketMs: number;
  total: OverviewFigures;
  /** Per channel, most payments first. */
  channels: (OverviewFigures & { channel: string })[];
  /** Every bucket of the range (empty ones included), all channels together. */
  series: OverviewPoint[];
  /** The same per channel. */
  seriesByChannel: Record<string, OverviewPoint[]>;
}

const BUCKETS_MS = [1, 5, 10, 15, 30, 60, 180, 360, 720, 1440].map((m) => m * 60_000);

/** The smallest round bucket that cuts the range into at most `maxPoints` buckets (enough payments per point to read a rate). */
export function chooseBucketMs(rangeMs: number, maxPoints = 30): number {
  return BUCKETS_MS.find((b) => rangeMs / b <= maxPoints) ?? Math.ceil(rangeMs / maxPoints / 86_400_000) * 86_400_000;
}

interface Row {
  bucket: string;
  channel: string;
  gBucket: number;
  gChannel: number;
  payments: string;
  succeeded: string;
  failed: string;
  q: unknown[];
}

function figures(r: Row | undefined): OverviewFigures {
  const payments = num(r?.payments);
  const succeeded = num(r?.succeeded);
  const failed = num(r?.failed);
  const q = quantilesMs(r?.q, succeeded);
  return { payments, succeeded, failed, pending: payments - succeeded - failed, successRate: payments ? succeeded / payments : 0, p50Ms: q.p50, p95Ms: q.p95, p99Ms: q.p99 };
}

/** Per flow entering in the range: channel, t0, end of the successful confirm (0: none), any failure. */
function flowsSql(p: OverviewParams & { details?: boolean; stuck?: boolean }): SqlFragment {
  const windowSec = p.windowSec ?? DEFAULT_WINDOW_SEC;
  const windowNs = Math.round(windowSec * 1e9);
  const scanTo = new Date(p.to.getTime() + windowSec * 1000);
  const channelFilter = p.channel !== undefined ? sql`AND countIf(PaymentChannel = ${p.channel}) > 0` : sql``;
  const details = p.details
    ? sql`,
             anyIf(gw, PaymentStage = 'gateway.request' AND gw != '') AS gateway,
             argMax(toString(PaymentStage), ns) AS lastStage,
             argMaxIf(toString(PaymentErrorCode), ns, PaymentErrorCode != '') AS errorCode,
             arraySort(groupUniqArray(TraceId)) AS traceIds`
    : sql``;
  // What the stuck cohort reads (as lib/queries/deltas.ts): the end of the last accepted or timed-out request, callbacks before `to`.
  const stuck = p.stuck
    ? sql`,
             maxIf(ns + toInt64(Duration), PaymentStage = 'gateway.request' AND (NOT IsError OR timedOut) AND Timestamp < ${p.to}) AS requestEndNs,
             countIf(PaymentStage = 'gateway.callback' AND Timestamp < ${p.to}) AS callbacks`
    : sql``;
  return sql`
      SELECT PaymentOrderId AS flow,
             anyIf(toString(PaymentChannel), PaymentChannel != '') AS channel,
             minIf(ns, PaymentStage = 'order.create' AND Timestamp < ${p.to}) AS t0,
             arrayFirst(c -> c.1 >= t0 AND c.1 <= t0 + ${windowNs},
               arraySort(groupArrayIf((ns, ns + toInt64(Duration)),
                 PaymentStage = 'order.confirm' AND NOT IsError AND PaymentOutcome IN ('', 'succeeded')))).2 AS okEnd,
             countIf(IsError OR PaymentOutcome IN ('failed', 'cancelled')) > 0 AS anyFailure
             ${details} ${stuck}
      FROM (SELECT *, toInt64(toUnixTimestamp64Nano(Timestamp)) AS ns ${p.details ? sql`, ${gatewayOfSql()} AS gw` : sql``}
                   ${p.stuck ? sql`, PaymentStage = 'gateway.request' AND ${isTimeoutSql()} AS timedOut` : sql``}
            FROM payment_stage_events
            WHERE Timestamp >= ${p.from} AND Timestamp < ${scanTo} AND PaymentOrderId != '')
      GROUP BY flow
      HAVING t0 > 0 ${channelFilter}`;
}

export async function getOverview(store: Store, p: OverviewParams): Promise<OverviewResult> {
  const rangeMs = p.to.getTime() - p.from.getTime();
  const bucketMs = p.bucketMs ?? chooseBucketMs(rangeMs);
  const bucketNs = bucketMs * 1_000_000;
  const rows = await store.query<Row>(sql`
    SELECT toString(bucket) AS bucket, channel, grouping(bucket) AS gBucket, grouping(channel) AS gChannel,
           count() AS payments, countIf(okEnd > 0) AS succeeded, countIf(okEnd = 0 AND anyFailure) AS failed,
           quantilesExactIf(0.5, 0.95, 0.99)(okEnd - t0, okEnd > 0) AS q
    FROM (SELECT *, intDiv(t0, ${bucketNs}) * ${bucketNs} AS bucket FROM (${flowsSql(p)}))
    GROUP BY GROUPING SETS ((bucket, channel), (bucket), (channel), ())`);

  const total = rows.find((r) => num(r.gBucket) === 1 && num(r.gChannel) === 1);
  const channels = rows
    .filter((r) => num(r.gBucket) === 1 && num(r.gChannel) === 0)
    .map((r) => ({ channel: r.channel, ...figures(r) }))
    .sort((a, b) => b.payments - a.payments || (a.channel < b.channel ? -1 : 1));

  // Every bucket from the one holding `from` to the one holding the end of the range.
  const firstBucket = Math.floor(p.from.getTime() / bucketMs) * bucketMs;
  const starts: number[] = [];
  for (let t = firstBucket; t < p.to.getTime(); t += bucketMs) starts.push(t);
  const byKey = new Map<string, Row>();
  for (const r of rows) if (num(r.gBucket) === 0) byKey.set(`${Number(BigInt(r.bucket) / 1_000_000n)}|${num(r.gChannel) ? '*' : r.channel}`, r);
  const seriesOf = (channel: string) =>
    starts.map((t): OverviewPoint => ({ start: new Date(t).toISOString(), startMs: t, ...figures(byKey.get(`${t}|${channel}`)) }));
  const seriesByChannel: Record<string, OverviewPoint[]> = {};
  for (const c of channels) seriesByChannel[c.channel] = seriesOf(c.channel);
  return { from: p.from.toISOString(), to: p.to.toISOString(), bucketMs, total: figures(total), channels, series: seriesOf('*'), seriesByChannel };
}

export type PaymentOutcomeFilter = 'succeeded' | 'failed' | 'pending';

export interface PaymentListParams extends OverviewParams {
  outcome?: PaymentOutcomeFilter;
  /** Only succeeded payments at least this slow end to end. */
  minE2eMs?: number;
  /** Only payments whose gateway request went to this gateway. */
  gateway?: string;
  /**
   * Only payments with, for each of these, some span carrying it as a span or resource attribute
   * (trace search's `attr`). `payment.amount_band` is the What's-different page's derived band
   * (`100–500 USD`): a span whose payment.amount lies in that band, in that currency.
   */
  attr?: { key: string; value: string }[];
  /** Only the What's-different cohort (lib/queries/deltas.ts defines them). */
  cohort?: PaymentCohort;
  /** The slow cohort's threshold, end to end. @default the p90 of the succeeded payments in the range, channel and gateway (as lib/queries/deltas.ts) */
  slowMs?: number;
  /** The stuck cohort's callback SLA. @default the configured one */
  sla?: CallbackSla;
  /** @default 'recent' */
  sort?: 'recent' | 'slowest';
  /** @default 100 */
  limit?: number;
  hosts?: GatewayHostArrays;
}

export type PaymentCohort = 'failed' | 'slow' | 'stuck';

export interface PaymentSummary {
  orderId: string;
  channel: string;
  gateway: string;
  /** When order.create started, ISO 8601. */
  start: string;
  outcome: PaymentOutcomeFilter;
  /** End to end (succeeded payments only), ms. */
  e2eMs: number | null;
  lastStage: string;
  errorCode: string;
  traceIds: string[];
}

/**
 * The span condition an `attr` filter stands for. The amount band is derived from payment.amount and
 * payment.currency on one span (lib/queries/deltas.ts); a band label it does not make matches nothing.
 */
function attrConditionSql({ key, value }: { key: string; value: string }): SqlFragment {
  if (key !== AMOUNT_BAND_KEY) return attributeEqualsSql(key, value);
  const labels = amountBandLabels();
  const i = labels.findIndex((l) => value === l || (value.startsWith(`${l} `) && value.length > l.length + 1));
  if (i < 0) return sql`0`;
  const currency = value.slice(labels[i].length + 1);
  const amount = sql`SpanAttributes['payment.amount']`;
  const conds = [sql`match(${amount}, ${AMOUNT_PATTERN})`, sql`SpanAttributes['payment.currency'] = ${currency}`];
  if (i > 0) conds.push(sql`toFloat64(${amount}) >= ${AMOUNT_BAND_BOUNDS[i - 1]}`);
  if (i < AMOUNT_BAND_BOUNDS.length) conds.push(sql`toFloat64(${amount}) < ${AMOUNT_BAND_BOUNDS[i]}`);
  return sql`(${join(conds, ' AND ')})`;
}

/** The payments behind the Overview's numbers (same rules), most recent or slowest first. */
export async function listPayments(store: Store, p: PaymentListParams): Promise<{ payments: PaymentSummary[]; total: number }> {
  const hosts = p.hosts ?? defaultGatewayHosts();
  const sla = p.sla ?? getConfig().callbackSla;
  const slaGateways = Object.keys(sla.byGateway);
  const slaSeconds = slaGateways.map((g) => sla.byGateway[g]);
  const scanTo = new Date(p.to.getTime() + (p.windowSec ?? DEFAULT_WINDOW_SEC) * 1000);
  const conds: SqlFragment[] = [];
  if (p.outcome === 'succeeded') conds.push(sql`okEnd > 0`);
  if (p.outcome === 'failed') conds.push(sql`okEnd = 0 AND anyFailure`);
  if (p.outcome === 'pending') conds.push(sql`okEnd = 0 AND NOT anyFailure`);
  if (p.minE2eMs !== undefined) conds.push(sql`okEnd > 0 AND okEnd - t0 >= ${Math.round(p.minE2eMs * 1e6)}`);
  if (p.cohort === 'failed') conds.push(sql`okEnd = 0 AND anyFailure`);
  if (p.cohort === 'slow') conds.push(sql`okEnd > 0 AND okEnd - t0 >= slowNs`);
  if (p.cohort === 'stuck') conds.push(sql`stuck`);
  // Each value: the payments with a stage span in a trace that has a span carrying it (one set per
  // value, read within the range the flows are read in).
  for (const a of p.attr ?? []) {
    conds.push(sql`flow IN (
      SELECT PaymentOrderId FROM payment_stage_events
      WHERE Timestamp >= ${p.from} AND Timestamp < ${scanTo} AND PaymentOrderId != ''
        AND TraceId IN (SELECT TraceId FROM otel_traces WHERE Timestamp >= ${p.from} AND Timestamp < ${scanTo} AND ${attrConditionSql(a)}))`);
  }
  const where = conds.length ? sql`WHERE ${join(conds, ' AND ')}` : sql``;
  const order = p.sort === 'slowest' ? sql`(okEnd > 0) DESC, okEnd - t0 DESC, t0 DESC` : sql`t0 DESC`;
  // The cohort's threshold and the gateway filter apply before `attr`, as on the What's-different page.
  const slowNs = p.cohort !== 'slow' ? sql`0`
    : p.slowMs !== undefined ? sql`${Math.round(p.slowMs * 1e6)}`
      : sql`toInt64(quantileExactIf(0.9)(okEnd - t0, okEnd > 0) OVER ())`;
  const toNs = sql`toInt64(toUnixTimestamp64Nano(toDateTime64(${p.to}, 9)))`;
  const stuck = p.cohort !== 'stuck' ? sql`0`
    : sql`requestEndNs > 0 AND callbacks = 0
          AND ${toNs} - requestEndNs > 1e9 * if(has(_sla_gateways, gateway), toFloat64(_sla_seconds[indexOf(_sla_gateways, gateway)]), toFloat64(${sla.defaultSec}))`;
  const rows = await store.query<{
    flow: string; channel: string; gateway: string; t0: string; okEnd: string; anyFailure: number; lastStage: string; errorCode: string; traceIds: string[]; total: string;
  }>(sql`
    WITH ${queryConstants(hosts)}, ${slaGateways} AS _sla_gateways, ${slaSeconds.length ? slaSeconds : [0]} AS _sla_seconds
    SELECT *, count() OVER () AS total
    FROM (
      SELECT *, ${slowNs} AS slowNs, ${stuck} AS stuck
      FROM (${flowsSql({ ...p, details: true, stuck: p.cohort === 'stuck' })})
      ${p.gateway !== undefined ? sql`WHERE gateway = ${p.gateway}` : sql``}
    )
    ${where}
    ORDER BY ${order}, flow
    LIMIT ${p.limit ?? 100}`);
  return {
    total: rows.length ? num(rows[0].total) : 0,
    payments: rows.map((r) => {
      const okEnd = num(r.okEnd);
      const failed = num(r.anyFailure) === 1;
      return {
        orderId: r.flow,
        channel: r.channel,
        gateway: r.gateway,
        start: isoFromNs(String(r.t0)),
        outcome: okEnd > 0 ? 'succeeded' : failed ? 'failed' : 'pending',
        e2eMs: okEnd > 0 ? (okEnd - num(r.t0)) / 1e6 : null,
        lastStage: r.lastStage,
        errorCode: r.errorCode,
        traceIds: r.traceIds,
      };
    }),
  };
}

export interface FilterValues {
  channels: string[];
  gateways: string[];
  services: string[];
  stages: string[];
}

/**
 * The values the dashboard's filters offer: channels, gateways, services and stages seen in the
 * range (each sorted; stages in checkout order). Small, fast reads of the rollups and of the span
 * table's leading sort key.
 */
export async function listFilterValues(store: Store, p: TimeRange & { hosts?: GatewayHostArrays }): Promise<FilterValues> {
  const hosts = p.hosts ?? defaultGatewayHosts();
  const range = sql`Timestamp >= ${p.from} AND Timestamp < ${p.to}`;
  const [stageRows, gatewayRows, serviceRows] = await Promise.all([
    store.query<{ channels: string[]; stages: string[] }>(sql`
      SELECT groupUniqArrayIf(toString(PaymentChannel), PaymentChannel != '') AS channels, groupUniqArray(toString(PaymentStage)) AS stages
      FROM payment_stage_events WHERE ${range}`),
    store.query<{ gateways: string[] }>(sql`
      WITH ${queryConstants(hosts)}
      SELECT groupUniqArrayIf(g, g != '') AS gateways FROM (SELECT ${gatewayOfSql()} AS g FROM gateway_calls WHERE ${range})`),
    store.query<{ services: string[] }>(sql`
      SELECT groupUniqArray(toString(ServiceName)) AS services FROM otel_traces WHERE ${range}`),
  ]);
  const sorted = (a: string[] | undefined) => [...(a ?? [])].filter(Boolean).sort();
  return {
    channels: sorted(stageRows[0]?.channels),
    gateways: sorted(gatewayRows[0]?.gateways),
    services: sorted(serviceRows[0]?.services),
    stages: sorted(stageRows[0]?.stages).sort(compareStages),
  };
}

/** Whether the store holds any span at all (the dashboard's "no spans yet" state). */
export async function hasAnySpans(store: Store): Promise<boolean> {
  const rows = await store.query<{ n: string }>(sql`SELECT count() AS n FROM (SELECT 1 FROM otel_traces LIMIT 1)`);
  return num(rows[0]?.n) > 0;
}
