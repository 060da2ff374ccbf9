import crypto from 'node:crypto';
import { TIMEOUT_ERROR_TYPES, type GatewayHostArrays } from '../analytics/gateways';
import { getConfig, type CallbackSla } from '../config';
import { join, sql, type SqlFragment } from '../store/sql';
import type { Store } from '../store/store';
import { defaultGatewayHosts, gatewayOfSql, isoFromNs, isTimeoutSql, num, queryConstants, type TimeRange } from './common';
import { HOUR_MS, partialRowsWhere, partialTable, planPartials, registerPartialKind, type PartialPlan } from './partials';

export interface StuckParams extends TimeRange {
  sla?: CallbackSla;
  limit?: number;
  hosts?: GatewayHostArrays;
  /** Decides the current hour, never read from hourly partials; 0 reads every hour from the spans. @default Date.now() */
  now?: number;
}

export interface StuckPayment {
  orderId: string;
  channel: string;
  gateway: string;
  lastStage: string;
  /** Seconds since the (last accepted) gateway request ended, as of the end of the range. */
  waitingSec: number;
  /** The SLA that applied. */
  slaSec: number;
  /** The request timed out on the caller's side (the outcome is unknown until a callback says). */
  timedOut: boolean;
  traceIds: string[];
}

interface FlowDetails {
  channel: string;
  gateway: string;
  lastStage: string;
  traceIds: string[];
}

/**
 * Channel, gateway and last stage of a few flows (from their stage spans in the range) and every
 * trace each one touched (from the order → traces lookup).
 */
async function flowDetails(store: Store, range: TimeRange, orderIds: string[], hosts: GatewayHostArrays): Promise<Map<string, FlowDetails>> {
  const out = new Map<string, FlowDetails>();
  if (!orderIds.length) return out;
  const [flows, traces] = await Promise.all([
    store.query<{ orderId: string; channel: string; gateway: string; lastStage: string }>(sql`
      WITH ${queryConstants(hosts)}
      SELECT PaymentOrderId AS orderId,
             anyIf(toString(PaymentChannel), PaymentChannel != '') AS channel,
             anyIf(gw, gw != '') AS gateway,
             argMax(toString(PaymentStage), Timestamp) AS lastStage
      FROM (
        SELECT PaymentOrderId, PaymentChannel, PaymentStage, Timestamp, ${gatewayOfSql()} AS gw
        FROM payment_stage_events
        WHERE Timestamp >= ${range.from} AND Timestamp < ${range.to} AND PaymentOrderId IN (${orderIds})
      )
      GROUP BY PaymentOrderId`),
    store.query<{ orderId: string; traceIds: string[] }>(sql`
      SELECT PaymentOrderId AS orderId, arraySort(groupUniqArray(TraceId)) AS traceIds
      FROM payment_order_traces WHERE PaymentOrderId IN (${orderIds})
      GROUP BY PaymentOrderId`),
  ]);
  const traceIds = new Map(traces.map((t) => [t.orderId, t.traceIds]));
  for (const f of flows) out.set(f.orderId, { channel: f.channel, gateway: f.gateway, lastStage: f.lastStage, traceIds: traceIds.get(f.orderId) ?? [] });
  return out;
}

/**
 * The stuck rule over one payment's facts, as SQL the impact query shares (lib/queries/impact.ts
 * reads the facts from hourly partials). `constants` goes in the WITH; `columns` go after columns
 * `stuckGateway` (a gateway of its requests), `requestEndNs` (the latest end of an accepted
 * request: the gateway took it, or it timed out, outcome unknown), `acceptedRequests` and
 * `callbacks`; `isStuck` is a condition on them.
 */
export function stuckRuleOverFacts(to: Date, sla: CallbackSla): { constants: SqlFragment; columns: SqlFragment; isStuck: SqlFragment } {
  const slaGateways = Object.keys(sla.byGateway);
  const slaSeconds = slaGateways.map((g) => sla.byGateway[g]);
  const toNs = sql`toInt64(toUnixTimestamp64Nano(toDateTime64(${to}, 9)))`;
  return {
    constants: sql`${slaGateways} AS _sla_gateways, ${slaSeconds.length ? slaSeconds : [0]} AS _sla_seconds`,
    columns: sql`${toNs} - requestEndNs AS waitingNs,
           if(has(_sla_gateways, stuckGateway), toFloat64(_sla_seconds[indexOf(_sla_gateways, stuckGateway)]), toFloat64(${sla.defaultSec})) AS slaSec`,
    isStuck: sql`(acceptedRequests > 0 AND callbacks = 0 AND waitingNs > slaSec * 1e9)`,
  };
}

/**
 * The stuck rule over one payment's request and callback rows. `constants` goes in the WITH;
 * `columns` are aggregates of a GROUP BY PaymentOrderId over rows that have `isRequest`,
 * `isCallback`, `accepted`, `timedOut`, `gw`, `Timestamp` and `Duration`; `isStuck` is a condition
 * on them.
 */
export function stuckRuleSql(to: Date, sla: CallbackSla): { constants: SqlFragment; columns: SqlFragment; isStuck: SqlFragment } {
  const rule = stuckRuleOverFacts(to, sla);
  return {
    constants: rule.constants,
    columns: sql`anyIf(gw, isRequest AND gw != '') AS stuckGateway,
           maxIf(toInt64(toUnixTimestamp64Nano(Timestamp)) + toInt64(Duration), isRequest AND accepted) AS requestEndNs,
           countIf(isRequest AND accepted) AS acceptedRequests, countIf(isCallback) AS callbacks,
           ${rule.columns},
           argMaxIf(timedOut, Timestamp, isRequest AND accepted) AS stuckTimedOut`,
    isStuck: rule.isStuck,
  };
}

/**
 * Hourly partials of the stuck list (migration 0058; lib/queries/partials.ts): per hour H the orders
 * with an accepted request in H and no callback from H to the end of H + 1. Any other order with a
 * request in H had a callback by then, so in a range that holds H and H + 1 it is not stuck:
 *
 *   hours          H            H+1
 *   request    accepted ^
 *   callback                 ^          → not a candidate of H: not stuck in any range holding both
 *
 * The list then groups only the candidates of its whole hours (those whose next hour ends inside
 * the range) and the orders with a request in the rest of the range, read from the spans.
 */
export const STUCK_CANDIDATES_PARTIAL = registerPartialKind({
  name: `stuck-candidates:${crypto.createHash('sha256').update(JSON.stringify(TIMEOUT_ERROR_TYPES)).digest('hex').slice(0, 24)}`,
  before: 0,
  after: 1,
  table: 'stuck_candidate_partials',
  async compute(store, hour, tag) {
    const end = new Date(hour.getTime() + HOUR_MS);
    await store.command(sql`
      INSERT INTO stuck_candidate_partials (Kind, Hour, Covers, PaymentOrderId)
      WITH ${queryConstants(defaultGatewayHosts())}
      SELECT ${tag}, PaymentOrderId
      FROM payment_stage_events
      WHERE PaymentStage IN ('gateway.request', 'gateway.callback') AND PaymentOrderId != ''
        AND Timestamp >= ${hour} AND Timestamp < ${new Date(hour.getTime() + 2 * HOUR_MS)}
      GROUP BY PaymentOrderId
      HAVING countIf(PaymentStage = 'gateway.request' AND Timestamp < ${end} AND (NOT IsError OR ${isTimeoutSql()})) > 0
         AND countIf(PaymentStage = 'gateway.callback') = 0`);
  },
});

/**
 * The orders the stuck list must group for `range`: undefined (all of them) when no whole hour has a
 * valid partial, else a subquery of the partials' candidates and the orders with an accepted request
 * in the rest of the range. An hour whose next hour ends past the range is read from the spans: a
 * callback after the range's end would have struck its order off.
 */
async function stuckCandidatesSql(store: Store, range: TimeRange, now?: number): Promise<SqlFragment | undefined> {
  const kind = STUCK_CANDIDATES_PARTIAL;
  const planned: PartialPlan = await planPartials(store, kind, range, now);
  const toMs = range.to.getTime();
  const hours = planned.hours.filter((h) => h.hour.getTime() + 2 * HOUR_MS <= toMs);
  if (!hours.length) return undefined;
  const live = [...planned.live, ...planned.hours.filter((h) => !hours.includes(h)).map((h) => ({ from: h.hour, to: new Date(Math.min(h.hour.getTime() + HOUR_MS, toMs)) }))];
  const parts = [sql`SELECT PaymentOrderId FROM ${partialTable(kind)} WHERE ${partialRowsWhere(kind, { hours, live: [] })}`];
  if (live.length) {
    parts.push(sql`
      SELECT PaymentOrderId FROM payment_stage_events
      WHERE PaymentStage = 'gateway.request' AND PaymentOrderId != '' AND (NOT IsError OR ${isTimeoutSql()})
        AND (${join(live.map((r) => sql`(Timestamp >= ${r.from} AND Timestamp < ${r.to})`), ' OR ')})`);
  }
  return join(parts, ' UNION ALL ');
}

/**
 * Payments stuck waiting for the gateway: a gateway.request in the range that the gateway accepted
 * (or that timed out, outcome unknown), and no gateway.callback by the end of the range although the
 * gateway's SLA has passed. Requests the provider rejected outright are failures, not stuck.
 * Longest waiting first. Only request and callback spans are grouped (the table is ordered by stage,
 * so that reads little); the listed flows' details come after.
 */
export async function listStuckPayments(store: Store, p: StuckParams): Promise<{ payments: StuckPayment[]; total: number }> {
  const hosts = p.hosts ?? defaultGatewayHosts();
  const rule = stuckRuleSql(p.to, p.sla ?? getConfig().callbackSla);
  const candidates = await stuckCandidatesSql(store, p, p.now);
  const rows = await store.query<{ orderId: string; gateway: string; waitingNs: string; slaSec: number; timedOut: number; total: string }>(sql`
    WITH ${queryConstants(hosts)}, ${rule.constants}
    SELECT PaymentOrderId AS orderId, ${rule.columns}, stuckGateway AS gateway, stuckTimedOut AS timedOut,
           count() OVER () AS total
    FROM (
      SELECT PaymentOrderId, Timestamp, Duration, ${gatewayOfSql()} AS gw, PaymentStage = 'gateway.request' AS isRequest,
             PaymentStage = 'gateway.callback' AS isCallback, ${isTimeoutSql()} AS timedOut, NOT IsError OR timedOut AS accepted
      FROM payment_stage_events
      WHERE PaymentStage IN ('gateway.request', 'gateway.callback') AND Timestamp >= ${p.from} AND Timestamp < ${p.to} AND PaymentOrderId != ''
        ${candidates ? sql`AND PaymentOrderId IN (${candidates})` : sql``}
    )
    GROUP BY PaymentOrderId
    HAVING ${rule.isStuck}
    ORDER BY waitingNs DESC, orderId
    LIMIT ${p.limit ?? 100}`);
  const details = await flowDetails(store, p, rows.map((r) => r.orderId), hosts);
  return {
    total: rows.length ? num(rows[0].total) : 0,
    payments: rows.map((r) => {
      const d = details.get(r.orderId);
      return {
        orderId: r.orderId,
        channel: d?.channel ?? '',
        gateway: r.gateway,
        lastStage: d?.lastStage ?? 'gateway.request',
        waitingSec: num(r.waitingNs) / 1e9,
        slaSec: num(r.slaSec),
        timedOut: num(r.timedOut) === 1,
        traceIds: d?.traceIds ?? [],
      };
    }),
  };
}

export interface InconsistentParams extends TimeRange {
  limit?: number;
  hosts?: GatewayHostArrays;
}

export interface InconsistentPayment {
  orderId: string;
  channel: string;
  gateway: string;
  /** When the gateway reported success. */
  succeededAt: string;
  /** The first stage that failed after it, and its error code. */
  failedStage: string;
  errorCode: string;
  traceIds: string[];
}

export interface DuplicateCallback {
  orderId: string;
  channel: string;
  gateway: string;
  callbacks: number;
  traceIds: string[];
}

/**
 * The inconsistency rule over one payment's stage rows, as SQL the impact query shares: aggregates
 * of a GROUP BY PaymentOrderId over rows that have `ns` (start, ns since the epoch), `succeeded`
 * (a gateway.request or gateway.callback with outcome succeeded), `failed` (error status or outcome
 * failed), PaymentStage and PaymentErrorCode; `isInconsistent` is a condition on them.
 */
export function inconsistentRuleSql(): { columns: SqlFragment; isInconsistent: SqlFragment } {
  return {
    columns: sql`minIf(ns, succeeded) AS succeededNs,
               arrayFirst(f -> f.1 > succeededNs, arraySort(groupArrayIf((ns, toString(PaymentStage), toString(PaymentErrorCode)), failed))) AS firstFailure`,
    isInconsistent: sql`(succeededNs > 0 AND firstFailure.1 > 0)`,
  };
}

/**
 * Payments whose money moved but whose order did not follow: the gateway reported success
 * (payment.outcome = succeeded on gateway.request or gateway.callback) and a later stage span failed
 * (error status or outcome failed). Also flows that received more than one callback. Only the
 * stage spans that can matter are grouped; the listed flows' details come after.
 */
export async function listInconsistentPayments(
  store: Store,
  p: InconsistentParams,
): Promise<{ payments: InconsistentPayment[]; duplicateCallbacks: DuplicateCallback[] }> {
  const hosts = p.hosts ?? defaultGatewayHosts();
  const limit = p.limit ?? 100;
  const range = sql`Timestamp >= ${p.from} AND Timestamp < ${p.to} AND PaymentOrderId != ''`;
  const rule = inconsistentRuleSql();
  const [bad, dup] = await Promise.all([
    store.query<{ orderId: string; succeededAtNs: string; failedStage: string; errorCode: string }>(sql`
      SELECT orderId, toString(succeededNs) AS succeededAtNs, firstFailure.2 AS failedStage, firstFailure.3 AS errorCode
      FROM (
        SELECT PaymentOrderId AS orderId, ${rule.columns}
        FROM (
          SELECT PaymentOrderId, PaymentStage, PaymentErrorCode, toInt64(toUnixTimestamp64Nano(Timestamp)) AS ns,
                 PaymentStage IN ('gateway.request', 'gateway.callback') AND PaymentOutcome = 'succeeded' AS succeeded,
                 IsError OR PaymentOutcome = 'failed' AS failed
          FROM payment_stage_events
          WHERE ${range} AND (succeeded OR failed)
        )
        GROUP BY PaymentOrderId
      )
      WHERE ${rule.isInconsistent}
      ORDER BY succeededNs DESC, orderId
      LIMIT ${limit}`),
    store.query<{ orderId: string; callbacks: string }>(sql`
      SELECT PaymentOrderId AS orderId, count() AS callbacks
      FROM payment_stage_events
      WHERE PaymentStage = 'gateway.callback' AND ${range}
      GROUP BY PaymentOrderId
      HAVING callbacks > 1
      ORDER BY callbacks DESC, orderId
      LIMIT ${limit}`),
  ]);
  const details = await flowDetails(store, p, [...new Set([...bad.map((b) => b.orderId), ...dup.map((d) => d.orderId)])], hosts);
  const of = (id: string) => details.get(id) ?? { channel: '', gateway: '', lastStage: '', traceIds: [] };
  return {
    payments: bad.map((r) => ({
      orderId: r.orderId, channel: of(r.orderId).channel, gateway: of(r.orderId).gateway, succeededAt: isoFromNs(r.succeededAtNs),
      failedStage: r.failedStage, errorCode: r.errorCode, traceIds: of(r.orderId).traceIds,
    })),
    duplicateCallbacks: dup.map((d) => ({ orderId: d.orderId, channel: of(d.orderId).channel, gateway: of(d.orderId).gateway, callbacks: num(d.callbacks), traceIds: of(d.orderId).traceIds })),
  };
}
