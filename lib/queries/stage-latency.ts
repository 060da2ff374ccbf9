import { DEFAULT_WINDOW_SEC } from '../analytics/funnel';
import { compareStages } from '../analytics/stages';
import { sql } from '../store/sql';
import type { Store } from '../store/store';
import { num, quantilesMs, type TimeRange } from './common';

export interface StageLatencyParams extends TimeRange {
  channel?: string;
  /** How far before `from` to look for the stage preceding the first one in range, seconds. @default 3600 */
  lookbackSec?: number;
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

/**
 * Per stage and channel (and per stage over all channels): duration percentiles and the wait before
 * the stage. Each flow's stage spans are ordered by start in ClickHouse and each one's wait computed
 * from its predecessor (lib/analytics/stages.ts `stageWaits`); stage spans without an order id are a
 * flow of their own (no wait).
 */
export async function getStageLatency(store: Store, p: StageLatencyParams): Promise<{ stages: StageLatencyRow[] }> {
  const lookback = new Date(p.from.getTime() - (p.lookbackSec ?? DEFAULT_WINDOW_SEC) * 1000);
  const fromNs = sql`toInt64(toUnixTimestamp64Nano(toDateTime64(${p.from}, 9)))`;
  const channelFilter = p.channel !== undefined ? sql`WHERE channel = ${p.channel}` : sql``;
  const rows = await store.query<{ stage: string; channel: string; all: number; n: string; errors: string; q: unknown[]; nWait: string; qw: unknown[] }>(sql`
    SELECT stage, channel, grouping(channel) AS all, count() AS n, countIf(err) AS errors,
           quantilesExact(0.5, 0.95, 0.99)(dur) AS q,
           countIf(hasWait) AS nWait, quantilesExactIf(0.5, 0.95, 0.99)(wait, hasWait) AS qw
    FROM (
      SELECT e.1 AS start, e.2 AS dur, e.3 AS stage, e.5 AS err, flowChannel AS channel,
             i > 1 AS hasWait,
             if(hasWait, greatest(0, start - if(ev[i - 1].1 + ev[i - 1].2 <= start, ev[i - 1].1 + ev[i - 1].2, ev[i - 1].1)), 0) AS wait
      FROM (
        SELECT if(PaymentOrderId = '', SpanId, PaymentOrderId) AS flow,
               anyIf(toString(PaymentChannel), PaymentChannel != '') AS flowChannel,
               arraySort(x -> (x.1, x.4), groupArray((toInt64(toUnixTimestamp64Nano(Timestamp)), toInt64(Duration), toString(PaymentStage), SpanId, IsError))) AS ev
        FROM payment_stage_events
        WHERE Timestamp >= ${lookback} AND Timestamp < ${p.to}
        GROUP BY flow
      )
      ARRAY JOIN ev AS e, arrayEnumerate(ev) AS i
      WHERE start >= ${fromNs}
    )
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
