import { DEFAULT_WINDOW_SEC } from '../analytics/funnel';
import { compareStages } from '../analytics/stages';
import { sql, type SqlFragment } from '../store/sql';
import type { Store } from '../store/store';
import { num, quantilesMs, type TimeRange } from './common';
import { HOUR_MS, partialRowsWhere, partialTable, planPartials, registerPartialKind, unionAll, type PartialPlan } from './partials';

export interface StageLatencyParams extends TimeRange {
  channel?: string;
}

export interface StageLatencyRow {
  stage: string;
  /** null: all channels together. */
  channel: string | null;
  count: number;
  errorRate: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  /** The wait before the stage (lib/analytics/stages.ts), over the stage spans that had a predecessor. */
  waitP50Ms: number | null;
  waitP95Ms: number | null;
  waitP99Ms: number | null;
}

/** How far back a stage span's predecessor may lie (the funnel window), seconds. */
export const STAGE_LOOKBACK_SEC = DEFAULT_WINDOW_SEC;
const LOOKBACK_NS = STAGE_LOOKBACK_SEC * 1e9;

/**
 * One row per stage span that started in [from, to), with its wait (lib/analytics/stages.ts
 * `stageWaits`): the flow's stage spans (by order id; a span without one is a flow of its own) are
 * ordered by start and span id, and a span's predecessor is the one before it if that started at
 * most STAGE_LOOKBACK_SEC before it. The channel is the span's own, else the latest one among the
 * flow's stage spans in that lookback. Both depend on the span and the hour before it only, never on
 * where a range starts, so hourly partials (below) give the answer the spans give.
 */
function stageSpansSql(range: TimeRange): SqlFragment {
  const lookback = new Date(range.from.getTime() - STAGE_LOOKBACK_SEC * 1000);
  const fromNs = sql`toInt64(toUnixTimestamp64Nano(toDateTime64(${range.from}, 9)))`;
  return sql`
    SELECT e.1 AS start, e.3 AS stage, e.5 AS err, e.2 AS dur,
           i > 1 AND ev[i - 1].1 >= e.1 - ${LOOKBACK_NS} AS hasWait,
           if(hasWait, greatest(0, e.1 - if(ev[i - 1].1 + ev[i - 1].2 <= e.1, ev[i - 1].1 + ev[i - 1].2, ev[i - 1].1)), 0) AS wait,
           if(c.2 != '' AND c.1 >= e.1 - ${LOOKBACK_NS}, c.2, '') AS channel
    FROM (
      SELECT ev, arrayFill(x -> x.2 != '', arrayMap(x -> (x.1, x.6), ev)) AS channels
      FROM (
        SELECT arraySort(x -> (x.1, x.4), groupArray((toInt64(toUnixTimestamp64Nano(Timestamp)), toInt64(Duration), toString(PaymentStage), SpanId, IsError, toString(PaymentChannel)))) AS ev
        FROM payment_stage_events
        WHERE Timestamp >= ${lookback} AND Timestamp < ${range.to}
        GROUP BY if(PaymentOrderId = '', SpanId, PaymentOrderId)
      )
    )
    ARRAY JOIN ev AS e, arrayEnumerate(ev) AS i, channels AS c
    WHERE e.1 >= ${fromNs}`;
}

/** Hourly partials of the stage latency: each hour's stage spans with their waits (`stage_latency_partials`, migration 0051). */
export const STAGE_LATENCY_PARTIAL = registerPartialKind({
  name: 'stage-latency',
  before: Math.ceil((STAGE_LOOKBACK_SEC * 1000) / HOUR_MS),
  after: 0,
  table: 'stage_latency_partials',
  async compute(store, hour, tag) {
    await store.command(sql`
      INSERT INTO stage_latency_partials (Kind, Hour, Covers, Start, Stage, Channel, Duration, IsError, HasWait, Wait)
      SELECT ${tag}, start, stage, channel, dur, err, hasWait, wait
      FROM (${stageSpansSql({ from: hour, to: new Date(hour.getTime() + HOUR_MS) })})`);
  },
});

const nsOf = (d: Date): SqlFragment => sql`toInt64(toUnixTimestamp64Nano(toDateTime64(${d}, 9)))`;

/**
 * Per stage and channel (and per stage over all channels): duration percentiles and the wait before
 * the stage (stageSpansSql). Hours with a valid partial, the range's partial hours at the ends
 * included, are read from `stage_latency_partials`, the rest from the spans (lib/queries/partials.ts).
 */
export async function getStageLatency(store: Store, p: StageLatencyParams, now = Date.now()): Promise<{ stages: StageLatencyRow[] }> {
  const kind = STAGE_LATENCY_PARTIAL;
  const plan = await planPartials(store, kind, p, now, true);
  const parts: SqlFragment[] = plan.live.map((r) => sql`SELECT stage, channel, dur, err, hasWait, wait FROM (${stageSpansSql(r)})`);
  // Only the hours at the range's ends are clipped by start: the others' Start column is not read.
  const isWhole = (h: Date) => h.getTime() >= p.from.getTime() && h.getTime() + HOUR_MS <= p.to.getTime();
  const stored = (hours: PartialPlan['hours'], clip: SqlFragment) => sql`
      SELECT Stage AS stage, Channel AS channel, Duration AS dur, IsError AS err, HasWait AS hasWait, Wait AS wait
      FROM ${partialTable(kind)}
      WHERE ${partialRowsWhere(kind, { hours, live: [] })} ${clip}`;
  const whole = plan.hours.filter((h) => isWhole(h.hour));
  const ends = plan.hours.filter((h) => !isWhole(h.hour));
  if (whole.length) parts.push(stored(whole, sql``));
  if (ends.length || parts.length === 0) parts.push(stored(ends, sql`AND Start >= ${nsOf(p.from)} AND Start < ${nsOf(p.to)}`));
  const channelFilter = p.channel !== undefined ? sql`WHERE channel = ${p.channel}` : sql``;
  const rows = await store.query<{ stage: string; channel: string; all: number; n: string; errors: string; q: unknown[]; nWait: string; qw: unknown[] }>(sql`
    SELECT stage, channel, grouping(channel) AS all, count() AS n, countIf(err) AS errors,
           quantilesExact(0.5, 0.95, 0.99)(dur) AS q,
           countIf(hasWait) AS nWait, quantilesExactIf(0.5, 0.95, 0.99)(wait, hasWait) AS qw
    FROM (${unionAll(parts)})
    ${channelFilter}
    GROUP BY GROUPING SETS ((stage, channel), (stage))`);
  const stages = rows.map((r): StageLatencyRow => {
    const n = num(r.n);
    const q = quantilesMs(r.q, n);
    const w = quantilesMs(r.qw, num(r.nWait));
    return {
      stage: r.stage,
      channel: num(r.all) ? null : r.channel,
      count: n,
      errorRate: n ? num(r.errors) / n : 0,
      p50Ms: q.p50, p95Ms: q.p95, p99Ms: q.p99,
      waitP50Ms: w.p50, waitP95Ms: w.p95, waitP99Ms: w.p99,
    };
  });
  stages.sort((a, b) => compareStages(a.stage, b.stage) || (a.channel === null ? -1 : b.channel === null ? 1 : a.channel < b.channel ? -1 : a.channel > b.channel ? 1 : 0));
  return { stages };
}
