import type { FunnelDefinition } from '../analytics/funnel';
import type { GatewayHostArrays } from '../analytics/gateways';
import { join, sql, type SqlFragment } from '../store/sql';
import type { Store } from '../store/store';
import { defaultGatewayHosts, gatewayOfSql, isoFromNs, num, queryConstants, type TimeRange } from './common';
import { flowKeySql, flowStepTimesSql, stageOnly, stepArraysSql, stepTimeSql } from './funnel';

/**
 * The flows behind a funnel drop-off: those that reached step k−1 and not step k, with the same
 * matching rules as getFunnel (lib/analytics/funnel.ts `matchFlowSteps`: step 1 in the range, each
 * later step the first match at or after the previous one, within the window). The Funnel page
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
  const steps = f.steps.slice(0, p.step + 1);
  const windowNs = Math.round(f.windowSec * 1e9);
  const scanTo = new Date(p.to.getTime() + f.windowSec * 1000);
  const fast = stageOnly(f.flowKey, steps);
  // Every span of the flow is read (not only the steps' spans) to say where it ended and why.
  const table = fast ? sql`payment_stage_events` : sql`otel_traces`;
  const flowKey = flowKeySql(f.flowKey);
  const arrays = stepArraysSql(steps, p.to);
  const having: SqlFragment[] = [];
  if (p.channel !== undefined) having.push(sql`countIf(PaymentChannel = ${p.channel}) > 0`);
  if (p.gateway !== undefined) having.push(sql`countIf(${gatewayOfSql()} = ${p.gateway}) > 0`);
  const [reached, missed] = [stepTimeSql(p.step - 1), stepTimeSql(p.step)];
  const rows = await store.query<{ flow: string; channel: string; gateway: string; lastNs: string; lastStage: string; errorCode: string; traceIds: string[]; total: string }>(sql`
    WITH ${queryConstants(hosts)}
    SELECT flow, channel, gateway, toString(${reached}) AS lastNs, lastStage, errorCode, traceIds, count() OVER () AS total
    FROM (
      SELECT ${flowKey} AS flow,
             anyIf(toString(PaymentChannel), PaymentChannel != '') AS channel,
             anyIf(${gatewayOfSql()}, ${gatewayOfSql()} != '') AS gateway,
             argMaxIf(toString(PaymentStage), Timestamp, PaymentStage != '') AS lastStage,
             argMaxIf(toString(PaymentErrorCode), Timestamp, PaymentErrorCode != '') AS errorCode,
             arraySort(groupUniqArray(TraceId)) AS traceIds,
             ${flowStepTimesSql(arrays, windowNs)} AS ts
      FROM ${table}
      WHERE Timestamp >= ${p.from} AND Timestamp < ${scanTo} ${fast ? sql`` : sql`AND ${flowKey} != ''`}
      GROUP BY flow
      ${having.length ? sql`HAVING ${join(having, ' AND ')}` : sql``}
    )
    WHERE flow != '' AND ${stepTimeSql(0)} > 0 AND ${reached} > 0 AND ${missed} = 0
    ORDER BY ${reached} DESC, flow
    LIMIT ${p.limit ?? 50}`);
  return {
    total: rows.length ? num(rows[0].total) : 0,
    flows: rows.map((r) => ({
      flow: r.flow, channel: r.channel, gateway: r.gateway, lastStepAt: isoFromNs(r.lastNs), lastStage: r.lastStage, errorCode: r.errorCode, traceIds: r.traceIds,
    })),
  };
}
