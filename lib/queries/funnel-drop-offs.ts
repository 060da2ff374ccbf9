import type { FunnelDefinition } from '../analytics/funnel';
import type { GatewayHostArrays } from '../analytics/gateways';
import { join, sql, type SqlFragment } from '../store/sql';
import type { Store } from '../store/store';
import { defaultGatewayHosts, isoFromNs, num, queryConstants, type TimeRange } from './common';
import { flowKeySql, funnelEntriesSql, stageOnly, stepTimeSql } from './funnel';

/**
 * The flows behind a funnel drop-off: the funnel's entries (lib/queries/funnel.ts funnelEntriesSql:
 * a step-1 match in the range with none of the same flow in the window before it; each later step
 * the first match at or after the previous one, within the window) that reached step k−1 and not
 * step k, filtered by channel and gateway as the funnel filters them, so the list's total is the
 * funnel's drop-off. A flow that entered twice in the range can be listed twice. The Funnel page
 * links every drop-off number here, so a product manager can open the payments that left.
 */

export interface DropOffParams extends TimeRange {
  funnel: FunnelDefinition;
  /** The step the flows did not reach (1 … steps − 1; 0-based). */
  step: number;
  channel?: string;
  gateway?: string;
  /** @default 50 */
  limit?: number;
  hosts?: GatewayHostArrays;
}

export interface DroppedFlow {
  /** The flow key's value (the order id for the default funnel). */
  flow: string;
  channel: string;
  gateway: string;
  /** When the flow reached the last step it did reach (step − 1), ISO 8601. */
  lastStepAt: string;
  /** The last stage any span of the flow performed (maybe past the funnel's window). */
  lastStage: string;
  errorCode: string;
  traceIds: string[];
}

export async function listFunnelDropOffs(store: Store, p: DropOffParams): Promise<{ flows: DroppedFlow[]; total: number }> {
  const f = p.funnel;
  if (!Number.isInteger(p.step) || p.step < 1 || p.step >= f.steps.length) return { flows: [], total: 0 };
  const hosts = p.hosts ?? defaultGatewayHosts();
  const scanTo = new Date(p.to.getTime() + f.windowSec * 1000);
  const fast = stageOnly(f.flowKey, f.steps);
  // Every span of the flow is read (not only the steps' spans) to say where it ended and why.
  const table = fast ? sql`payment_stage_events` : sql`otel_traces`;
  const flowKey = flowKeySql(f.flowKey);
  const filters: SqlFragment[] = [sql`flow != ''`];
  if (p.channel !== undefined) filters.push(sql`has(Channels, ${p.channel})`);
  if (p.gateway !== undefined) filters.push(sql`has(Gateways, ${p.gateway})`);
  const [reached, missed] = [stepTimeSql(p.step - 1), stepTimeSql(p.step)];
  const rows = await store.query<{ flow: string; channel: string; gateway: string; lastNs: string; lastStage: string; errorCode: string; traceIds: string[]; total: string }>(sql`
    WITH ${queryConstants(hosts)}
    SELECT e.flow AS flow, e.channel AS channel, e.gateway AS gateway, toString(e.lastNs) AS lastNs,
           i.lastStage AS lastStage, i.errorCode AS errorCode, i.traceIds AS traceIds, count() OVER () AS total
    FROM (
      SELECT Flow AS flow, Channel AS channel, Gateway AS gateway, ${reached} AS lastNs
      FROM (SELECT *, Ts AS ts FROM (${funnelEntriesSql(f, p)}))
      WHERE ${reached} > 0 AND ${missed} = 0 AND ${join(filters, ' AND ')}
    ) AS e
    LEFT JOIN (
      SELECT ${flowKey} AS flow,
             argMaxIf(toString(PaymentStage), Timestamp, PaymentStage != '') AS lastStage,
             argMaxIf(toString(PaymentErrorCode), Timestamp, PaymentErrorCode != '') AS errorCode,
             arraySort(groupUniqArray(TraceId)) AS traceIds
      FROM ${table}
      WHERE Timestamp >= ${p.from} AND Timestamp < ${scanTo} AND ${flowKey} != ''
      GROUP BY flow
    ) AS i ON i.flow = e.flow
    ORDER BY e.lastNs DESC, flow
    LIMIT ${p.limit ?? 50}`);
  return {
    total: rows.length ? num(rows[0].total) : 0,
    flows: rows.map((r) => ({
      flow: r.flow, channel: r.channel, gateway: r.gateway, lastStepAt: isoFromNs(r.lastNs), lastStage: r.lastStage, errorCode: r.errorCode, traceIds: r.traceIds,
    })),
  };
}
