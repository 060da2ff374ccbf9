import type { ErrorCodeTable } from '../analytics/error-taxonomy';
import { DEFAULT_WINDOW_SEC } from '../analytics/funnel';
import type { GatewayHostArrays } from '../analytics/gateways';
import { conversionFactor, parseAmount, roundMoney, type FxRateTable } from '../analytics/money';
import { analyzeOrderAttempts, failoverMatrix, type Attempt, type AttemptEvent, type FailoverRow, type OrderAttempts } from '../analytics/retries';
import { getConfig } from '../config';
import { sql, type SqlFragment } from '../store/sql';
import type { Store } from '../store/store';
import { defaultGatewayHosts, gatewayOfSql, num, queryConstants, type TimeRange } from './common';
import { defaultErrorCodeTable } from './error-class';

/**
 * Retries, failover and double charges (lib/analytics/retries.ts) over the orders whose first
 * gateway attempt falls in the range. Their attempts and callbacks are read from payment_attempts
 * (two rows per payment) up to one funnel window either side of the range, so a callback that
 * arrives after the range still answers its attempt. Only orders that can have been retried or
 * charged twice (several attempts, several successful callbacks, or several charge ids) leave the
 * store, most recent first and at most `maxOrders` of them; the rest are only counted.
 */

export interface RetriesParams extends TimeRange {
  channel?: string;
  /** Chains listed, most recent first. @default 50 */
  limit?: number;
  /** Orders analysed at most (the most recent); the answer says when more were left out. @default 20000 */
  maxOrders?: number;
  hosts?: GatewayHostArrays;
  errorCodes?: ErrorCodeTable;
  fx?: { table: FxRateTable; currency: string };
}

interface CandidateOrder {
  orderId: string;
  channel: string;
  amount: string;
  currency: string;
  firstRequestMs: number;
  /** Every trace of its attempts and callbacks, sorted. */
  traceIds: string[];
  analysis: OrderAttempts;
}

interface Candidates {
  orders: number;
  retried: number;
  candidates: CandidateOrder[];
  truncated: boolean;
}

/** Attempts and callbacks read per order, the earliest: matching them is quadratic, and a real order has a handful. */
const MAX_EVENTS_PER_ORDER = 64;

type EventTuple = [string, number, string, string, string, number, string, string, number, number, number, string, string];

async function loadCandidates(store: Store, p: RetriesParams): Promise<Candidates> {
  const hosts = p.hosts ?? defaultGatewayHosts();
  const table = p.errorCodes ?? defaultErrorCodeTable();
  const windowMs = DEFAULT_WINDOW_SEC * 1000;
  const scan = sql`Timestamp >= ${new Date(p.from.getTime() - windowMs)} AND Timestamp < ${new Date(p.to.getTime() + windowMs)}`;
  const maxOrders = p.maxOrders ?? 20_000;
  const channel: SqlFragment = p.channel !== undefined ? sql`AND countIf(PaymentChannel = ${p.channel}) > 0` : sql``;
  // First the few small columns of every order: the totals, and which orders can qualify (most recent
  // first); then the attempts and callbacks of those orders only.
  const [summary] = await store.query<{ orders: string; retried: string; candidates: [number, string][] }>(sql`
    SELECT count() AS orders, countIf(requests > 1) AS retried,
           arraySlice(arraySort(x -> (-x.1, x.2), groupArrayIf((firstRequestMs, orderId), requests > 1 OR fulfilled > 1 OR chargeIds > 1)), 1, ${maxOrders + 1}) AS candidates
    FROM (
      SELECT PaymentOrderId AS orderId,
             countIf(isRequest) AS requests,
             countIf(NOT isRequest AND PaymentOutcome = 'succeeded' AND NOT Duplicate) AS fulfilled,
             uniqExactIf(ProviderRef, ProviderRef != '' AND PaymentOutcome = 'succeeded' AND NOT Duplicate) AS chargeIds,
             minIf(Timestamp, isRequest) AS firstRequest,
             toFloat64(toUnixTimestamp64Milli(firstRequest)) AS firstRequestMs
      FROM (SELECT *, PaymentStage = 'gateway.request' AS isRequest FROM payment_attempts WHERE ${scan})
      GROUP BY PaymentOrderId
      HAVING requests > 0 AND firstRequest >= ${p.from} AND firstRequest < ${p.to} ${channel}
    )`);
  const picked = (summary?.candidates ?? []).slice(0, maxOrders);
  const rows = picked.length
    ? await store.query<{ orderId: string; channel: string; amount: string; currency: string; events: EventTuple[] }>(sql`
        WITH ${queryConstants(hosts)}
        SELECT PaymentOrderId AS orderId,
               anyIf(toString(PaymentChannel), PaymentChannel != '') AS channel,
               anyIf(Amount, Amount != '') AS amount,
               anyIf(toString(Currency), Currency != '') AS currency,
               arraySlice(arraySort(e -> e.2, groupArray((toString(PaymentStage), toFloat64(toUnixTimestamp64Nano(Timestamp)) / 1e6, gw, toString(PaymentOutcome),
                 toString(PaymentErrorCode), IsError, toString(ErrorType), toString(TimeoutFlag), HttpStatus, Attempt, Duplicate, ProviderRef, TraceId))),
                 1, ${MAX_EVENTS_PER_ORDER}) AS events
        FROM (SELECT *, ${gatewayOfSql()} AS gw FROM payment_attempts WHERE ${scan} AND PaymentOrderId IN (${picked.map((c) => c[1])}))
        GROUP BY PaymentOrderId`)
    : [];
  const byId = new Map(rows.map((r) => [r.orderId, r]));
  const candidates = picked.flatMap(([firstRequestMs, orderId]) => {
    const r = byId.get(orderId);
    if (!r) return [];
    return [{
      orderId, channel: r.channel, amount: r.amount, currency: r.currency, firstRequestMs: num(firstRequestMs),
      traceIds: [...new Set(r.events.map((e) => e[12]))].sort(),
      analysis: analyzeOrderAttempts(r.events.map(eventOf), table),
    }];
  });
  return { orders: num(summary?.orders), retried: num(summary?.retried), candidates, truncated: (summary?.candidates.length ?? 0) > maxOrders };
}

function eventOf(t: EventTuple): AttemptEvent {
  const [stage, at, gateway, outcome, errorCode, isError, errorType, timeoutFlag, httpStatus, attempt, duplicate, providerRef, traceId] = t;
  return {
    stage: stage === 'gateway.request' ? 'gateway.request' : 'gateway.callback',
    at: num(at), gateway, outcome, errorCode, isError: num(isError) === 1, errorType, timeoutFlag,
    httpStatus: num(httpStatus), attempt: num(attempt), duplicate: num(duplicate) === 1, providerRef, traceId,
  };
}

export interface RetryChain {
  orderId: string;
  channel: string;
  attempts: Pick<Attempt, 'gateway' | 'outcome' | 'errorClass' | 'errorCode' | 'traceId'>[];
  recovered: boolean;
  charges: number;
}

export interface RetriesResult {
  /** Orders with a gateway attempt in the range. */
  orders: number;
  /** Of those, orders with more than one attempt. */
  retried: number;
  /** Retried orders where an attempt after the first succeeded; amount in `currency` (the reporting currency). */
  recovered: { count: number; amount: number };
  currency: string;
  /** Recovered orders whose amount could not be converted (no amount, or a currency without a rate): counted, amount left out. */
  unconverted: { count: number; currencies: string[] };
  matrix: FailoverRow[];
  chains: RetryChain[];
  /** More orders could have been retried than were analysed (`maxOrders`): figures cover the most recent ones. */
  truncated: boolean;
}

export async function getRetries(store: Store, p: RetriesParams): Promise<RetriesResult> {
  const fx = p.fx ?? { table: getConfig().fxRates, currency: getConfig().reportingCurrency };
  const { orders, retried, candidates, truncated } = await loadCandidates(store, p);
  const retriedOrders = candidates.filter((c) => c.analysis.retried);
  let count = 0;
  let amount = 0;
  const unconvertedCurrencies = new Set<string>();
  let unconverted = 0;
  for (const c of retriedOrders) {
    if (!c.analysis.recovered) continue;
    count++;
    const value = parseAmount(c.amount);
    const factor = conversionFactor(fx.table, c.currency, fx.currency);
    if (value === null || factor === undefined) {
      unconverted++;
      unconvertedCurrencies.add(c.currency);
    } else amount += value * factor;
  }
  return {
    orders,
    retried,
    recovered: { count, amount: roundMoney(amount) },
    currency: fx.currency,
    unconverted: { count: unconverted, currencies: [...unconvertedCurrencies].sort() },
    matrix: failoverMatrix(retriedOrders.map((c) => c.analysis)),
    chains: retriedOrders.slice(0, p.limit ?? 50).map((c) => ({
      orderId: c.orderId,
      channel: c.channel,
      attempts: c.analysis.attempts.map((a) => ({ gateway: a.gateway, outcome: a.outcome, errorClass: a.errorClass, errorCode: a.errorCode, traceId: a.traceId })),
      recovered: c.analysis.recovered,
      charges: c.analysis.charges,
    })),
    truncated,
  };
}

export interface DoubleCharge {
  orderId: string;
  channel: string;
  /** The gateways that charged, in attempt order. */
  gateways: string[];
  charges: number;
  /** The order's amount (`payment.amount`), in its own currency. */
  amount: string;
  currency: string;
  /** The traces of its attempts and callbacks. */
  traceIds: string[];
}

/** Orders charged more than once at the provider, most recent first (`limit` of them; `total` counts all). */
export async function listDoubleCharges(store: Store, p: Omit<RetriesParams, 'fx'>): Promise<{ payments: DoubleCharge[]; total: number; truncated: boolean }> {
  const { candidates, truncated } = await loadCandidates(store, p);
  const charged = candidates.filter((c) => c.analysis.charges > 1);
  const payments = charged
    .slice(0, p.limit ?? 100)
    .map((c) => {
      const charged = c.analysis.attempts.filter((a) => a.outcome === 'succeeded');
      return {
        orderId: c.orderId,
        channel: c.channel,
        gateways: [...new Set((charged.length ? charged : c.analysis.attempts).map((a) => a.gateway))],
        charges: c.analysis.charges,
        amount: c.amount,
        currency: c.currency,
        traceIds: c.traceIds,
      };
    });
  return { payments, total: charged.length, truncated };
}
