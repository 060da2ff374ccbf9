import { DEFAULT_WINDOW_SEC } from '../analytics/funnel';
import { compareStages } from '../analytics/stages';
import { join, sql, UNSAFE_RAW_SQL, type SqlFragment } from '../store/sql';
import type { Store } from '../store/store';
import { num, quantilesMs, type TimeRange } from './common';
import { HOUR_MS, partialRowsWhere, planPartials, registerPartialKind, unionAll } from './partials';

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

/**
 * A value's bucket for the two-pass percentiles: the value itself below 128, else the value rounded
 * down to a 64th of its power of two. Buckets rise with the values (every value of a bucket is below
 * every value of a higher one), so counting per bucket finds the bucket that holds a given rank.
 */
const bucketOf = (v: SqlFragment): SqlFragment => sql`if(${v} < 64, ${v}, intDiv(${v}, intDiv(roundToExp2(${v}), 64)) * intDiv(roundToExp2(${v}), 64))`;
/** Buckets below this hold one value each: the bucket is the value. */
const EXACT_BUCKETS_BELOW = 128;

/** stageSpansSql's rows as one row per metric value: the duration (metric 0) and, with a predecessor, the wait (metric 1). */
function metricRows(stageSpans: SqlFragment): SqlFragment {
  return sql`
    SELECT start, stage, channel, err, mv.1 AS metric, mv.2 AS value, ${bucketOf(sql`value`)} AS bucket
    FROM (${stageSpans})
    ARRAY JOIN if(hasWait, [(toUInt8(0), toInt64(dur)), (toUInt8(1), toInt64(wait))], [(toUInt8(0), toInt64(dur))]) AS mv`;
}

/**
 * Hourly partials of the stage latency (migration 0070): every duration and wait of the hour's stage
 * spans in `stage_latency_values`, ordered by metric, stage and bucket, and their counts per bucket in
 * `stage_latency_buckets`.
 */
export const STAGE_LATENCY_PARTIAL = registerPartialKind({
  name: 'stage-latency:buckets',
  before: Math.ceil((STAGE_LOOKBACK_SEC * 1000) / HOUR_MS),
  after: 0,
  table: 'stage_latency_values',
  moreTables: ['stage_latency_buckets'],
  async compute(store, hour, tag) {
    await store.command(sql`
      INSERT INTO stage_latency_values (Kind, Hour, Covers, Metric, Stage, Bucket, Channel, Value, Start, IsError)
      SELECT ${tag}, metric, stage, bucket, channel, value, start, err
      FROM (${metricRows(stageSpansSql({ from: hour, to: new Date(hour.getTime() + HOUR_MS) }))})`);
    // From the rows just written (inserts are synchronous, on a cluster too), so both tables agree.
    await store.command(sql`
      INSERT INTO stage_latency_buckets (Kind, Hour, Covers, Metric, Stage, Channel, Buckets, Counts, Errors)
      SELECT Kind, Hour, Covers, Metric, Stage, Channel, (sumMap([Bucket], [toUInt64(1)]) AS m).1, m.2, sum(IsError)
      FROM stage_latency_values
      WHERE (Kind, Hour, Covers) IN (SELECT ${tag})
      GROUP BY Kind, Hour, Covers, Metric, Stage, Channel`);
  },
});

const nsOf = (d: Date): SqlFragment => sql`toInt64(toUnixTimestamp64Nano(toDateTime64(${d}, 9)))`;

const LEVELS = [0.5, 0.95, 0.99] as const;

type Quantiles = { p50: number | null; p95: number | null; p99: number | null };
const NO_QUANTILES: Quantiles = { p50: null, p95: null, p99: null };

function toRows(groups: { stage: string; channel: string | null; n: number; errors: number; q: Quantiles; nWait: number; w: Quantiles }[]): StageLatencyRow[] {
  const stages = groups.map((g): StageLatencyRow => ({
    stage: g.stage,
    channel: g.channel,
    count: g.n,
    errorRate: g.n ? g.errors / g.n : 0,
    p50Ms: g.q.p50, p95Ms: g.q.p95, p99Ms: g.q.p99,
    waitP50Ms: g.w.p50, waitP95Ms: g.w.p95, waitP99Ms: g.w.p99,
  }));
  stages.sort((a, b) => compareStages(a.stage, b.stage) || (a.channel === null ? -1 : b.channel === null ? 1 : a.channel < b.channel ? -1 : a.channel > b.channel ? 1 : 0));
  return stages;
}

/**
 * Per stage and channel (and per stage over all channels): duration percentiles and the wait before
 * the stage (stageSpansSql). Percentiles are exact (ClickHouse's quantileExact: the value at rank
 * floor(level × count) in ascending order). With no valid partial hour in the range, one pass over the
 * spans. Else two passes (docs/dashboard.md "Stage latency on hourly partials"): the counts per value
 * bucket (whole valid hours from `stage_latency_buckets`, the valid hours at the range's ends from
 * `stage_latency_values` within the range, the rest from the spans) give the bucket and position of
 * each percentile's rank; then only those buckets' values are read and ranked.
 */
export async function getStageLatency(store: Store, p: StageLatencyParams, now = Date.now()): Promise<{ stages: StageLatencyRow[] }> {
  const kind = STAGE_LATENCY_PARTIAL;
  const plan = await planPartials(store, kind, p, now, true);
  const channelFilter = p.channel !== undefined ? sql`WHERE channel = ${p.channel}` : sql``;
  if (plan.hours.length === 0) return { stages: toRows(await fromSpans(store, plan.live, channelFilter)) };

  const fromMs = p.from.getTime();
  const toMs = p.to.getTime();
  const isWhole = (h: Date) => h.getTime() >= fromMs && h.getTime() + HOUR_MS <= toMs;
  const whole = { hours: plan.hours.filter((h) => isWhole(h.hour)), live: [] };
  const ends = { hours: plan.hours.filter((h) => !isWhole(h.hour)), live: [] };
  const inRange = sql`Start >= ${nsOf(p.from)} AND Start < ${nsOf(p.to)}`;
  // One row per value: the live ranges from the spans, the hours at the ends from the stored values.
  const valueRows = (where: SqlFragment, wholeToo: boolean): SqlFragment[] => {
    const stored = wholeToo ? { hours: plan.hours, live: [] } : ends;
    const parts = plan.live.map((r) => sql`SELECT * FROM (${metricRows(stageSpansSql(r))}) WHERE ${where}`);
    if (stored.hours.length) {
      parts.push(sql`
        SELECT Start AS start, Stage AS stage, Channel AS channel, IsError AS err, Metric AS metric, Value AS value, Bucket AS bucket
        FROM stage_latency_values
        WHERE ${partialRowsWhere(kind, stored)} AND ${inRange} AND ${where}`);
    }
    return parts;
  };

  // Pass 1: per group, the count, errors, and for each level the bucket holding its rank and the rank within it.
  const countParts = valueRows(sql`1`, false).map((r) => sql`
    SELECT metric, stage, channel, [bucket] AS buckets, [toUInt64(1)] AS counts, toUInt64(err) AS errors FROM (${r})`);
  if (whole.hours.length) {
    countParts.push(sql`
      SELECT Metric AS metric, Stage AS stage, Channel AS channel, Buckets AS buckets, Counts AS counts, Errors AS errors
      FROM stage_latency_buckets WHERE ${partialRowsWhere(kind, whole)}`);
  }
  const levelCols = LEVELS.map((l, i) => UNSAFE_RAW_SQL(`arrayFirstIndex(c -> c > toUInt64(${l} * n), cum) AS pos${i}, m.1[pos${i}] AS b${i}, toUInt64(${l} * n) - (cum[pos${i}] - m.2[pos${i}]) AS o${i}`));
  const groups = await store.query<Record<string, string | number>>(sql`
    SELECT metric, stage, channel, grouping(channel) AS all, sum(errors) AS errs,
           sumMap(buckets, counts) AS m, arraySum(m.2) AS n, arrayCumSum(m.2) AS cum,
           ${join(levelCols, ', ')}
    FROM (${unionAll(countParts)})
    ${channelFilter}
    GROUP BY GROUPING SETS ((metric, stage, channel), (metric, stage))`);

  // Pass 2: the value at each rank; buckets below EXACT_BUCKETS_BELOW are their value.
  const key = (metric: number, stage: string, all: boolean, channel: string) => JSON.stringify([metric, stage, all, channel]);
  const values = new Map<string, number>();
  const targets = new Map<string, { metric: number; stage: string; bucket: number; all: number; channel: string; off: number }>();
  for (const g of groups) {
    const all = num(g.all) === 1;
    const channel = all ? '' : String(g.channel);
    for (let i = 0; i < LEVELS.length; i++) {
      const bucket = num(g[`b${i}`]);
      const off = num(g[`o${i}`]);
      const t = { metric: num(g.metric), stage: String(g.stage), bucket, all: all ? 1 : 0, channel, off };
      const k = JSON.stringify(t);
      if (bucket < EXACT_BUCKETS_BELOW) values.set(k, bucket);
      else targets.set(k, t);
    }
  }
  if (targets.size) {
    const ts = [...targets.values()];
    const inTargets = sql`(metric, stage, bucket) IN (
      SELECT toUInt8(t.1), t.2, t.3 FROM (SELECT arrayJoin(arrayZip(${ts.map((t) => t.metric)}, ${ts.map((t) => t.stage)}, ${ts.map((t) => t.bucket)})) AS t))`;
    const found = await store.query<{ metric: number; stage: string; bucket: string; all: number; channel: string; off: number; v: string }>(sql`
      SELECT g.metric AS metric, g.stage AS stage, g.bucket AS bucket, g.all AS all, g.channel AS channel, t.off AS off, arrayElement(g.vs, t.off + 1) AS v
      FROM (
        SELECT metric, stage, bucket, channel, toUInt8(grouping(channel)) AS all, arraySort(groupArray(value)) AS vs
        FROM (${unionAll(valueRows(inTargets, true))})
        ${channelFilter}
        GROUP BY GROUPING SETS ((metric, stage, bucket, channel), (metric, stage, bucket))
      ) AS g
      INNER JOIN (
        SELECT toUInt8(t.1) AS metric, t.2 AS stage, t.3 AS bucket, toUInt8(t.4) AS all, t.5 AS channel, t.6 AS off
        FROM (SELECT arrayJoin(arrayZip(${ts.map((t) => t.metric)}, ${ts.map((t) => t.stage)}, ${ts.map((t) => t.bucket)}, ${ts.map((t) => t.all)}, ${ts.map((t) => t.channel)}, ${ts.map((t) => t.off)})) AS t)
      ) AS t ON g.metric = t.metric AND g.stage = t.stage AND g.bucket = t.bucket AND g.all = t.all AND g.channel = t.channel`);
    for (const f of found) {
      values.set(JSON.stringify({ metric: num(f.metric), stage: f.stage, bucket: num(f.bucket), all: num(f.all), channel: f.channel, off: num(f.off) }), num(f.v));
    }
  }
  const quantiles = (g: Record<string, string | number> | undefined): Quantiles => {
    if (!g) return NO_QUANTILES;
    const all = num(g.all) === 1;
    const at = (i: number) => {
      const v = values.get(JSON.stringify({ metric: num(g.metric), stage: String(g.stage), bucket: num(g[`b${i}`]), all: all ? 1 : 0, channel: all ? '' : String(g.channel), off: num(g[`o${i}`]) }));
      if (v === undefined) throw new Error(`stage latency: no value at a percentile's rank (${String(g.stage)})`);
      return v / 1e6;
    };
    return { p50: at(0), p95: at(1), p99: at(2) };
  };
  const byGroup = new Map(groups.map((g) => [key(num(g.metric), String(g.stage), num(g.all) === 1, num(g.all) === 1 ? '' : String(g.channel)), g]));
  const out = groups.filter((g) => num(g.metric) === 0).map((g) => {
    const all = num(g.all) === 1;
    const wait = byGroup.get(key(1, String(g.stage), all, all ? '' : String(g.channel)));
    return {
      stage: String(g.stage), channel: all ? null : String(g.channel),
      n: num(g.n), errors: num(g.errs), q: quantiles(g),
      nWait: wait ? num(wait.n) : 0, w: quantiles(wait),
    };
  });
  return { stages: toRows(out) };
}

/** The same answer in one pass over the spans (no valid partial hour in the range). */
async function fromSpans(store: Store, live: TimeRange[], channelFilter: SqlFragment) {
  const rows = await store.query<{ stage: string; channel: string; all: number; n: string; errors: string; q: unknown[]; nWait: string; qw: unknown[] }>(sql`
    SELECT stage, channel, grouping(channel) AS all, count() AS n, countIf(err) AS errors,
           quantilesExact(${join(LEVELS.map((l) => UNSAFE_RAW_SQL(String(l))), ', ')})(dur) AS q,
           countIf(hasWait) AS nWait, quantilesExactIf(${join(LEVELS.map((l) => UNSAFE_RAW_SQL(String(l))), ', ')})(wait, hasWait) AS qw
    FROM (${unionAll(live.map((r) => sql`SELECT start, stage, channel, dur, err, hasWait, wait FROM (${stageSpansSql(r)})`))})
    ${channelFilter}
    GROUP BY GROUPING SETS ((stage, channel), (stage))`);
  return rows.map((r) => {
    const n = num(r.n);
    const nWait = num(r.nWait);
    return {
      stage: r.stage, channel: num(r.all) ? null : r.channel, n, errors: num(r.errors),
      q: quantilesMs(r.q, n), nWait, w: quantilesMs(r.qw, nWait),
    };
  });
}
