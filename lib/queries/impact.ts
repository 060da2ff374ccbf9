import { classifyGatewayError, ERROR_CLASSES, PROVIDER_SIDE_CLASSES, type ErrorClass, type ErrorCodeTable } from '../analytics/error-taxonomy';
import type { GatewayHostArrays } from '../analytics/gateways';
import { conversionArrays, convertedCents, parseAmount, type FxRateTable, type Money, type Unconverted } from '../analytics/money';
import { getConfig, type CallbackSla } from '../config';
import { join, sql, typed } from '../store/sql';
import type { Store } from '../store/store';
import { defaultGatewayHosts, num, queryConstants, type TimeRange } from './common';
import { defaultErrorCodeTable } from './error-class';
import { listDoubleCharges } from './retries';
import { mergedPaymentFactsSql } from './payments-rollup';
import { stuckRuleOverFacts } from './stuck';

/**
 * Money at stake: the payments with stage spans in the range, each counted once by its final
 * outcome, with their amounts (`payment.amount`, `payment.currency`) converted into the reporting
 * currency (lib/analytics/money.ts):
 *
 *   the gateway reported it paid (request or callback outcome succeeded)
 *     ├─ a later stage failed                  → inconsistent (money moved, order did not follow)
 *     └─ otherwise                             → succeeded
 *   not paid, its last gateway request rejected → failed (a failover that failed too)
 *   not paid, accepted (or timed out) and no callback past the SLA  → stuck   (lib/queries/stuck.ts rule)
 *   not paid, some stage failed (a timed-out request alone is no failure: its outcome is unknown)
 *                                              → failed
 *   otherwise                                  → pending (counted in payments only)
 *
 * A failed payment is classed by its last failed gateway call; one that failed before reaching a
 * gateway (risk, stock, ...) by the code of its last failed span (the code table's `*` entries,
 * e.g. a configured RISK_REJECTED → fraud), else unknown: an HTTP status of our own services says
 * nothing about a provider. byGateway lists failed and stuck payments under the gateway of their
 * last attempt; payments that made none are in the totals only.
 *
 * doubleCharged comes from the retries analysis (lib/queries/retries.ts `listDoubleCharges`):
 * orders charged more than once at the provider; its amount is the money charged more than once,
 * (charges − 1) × the order's amount.
 */

export interface ImpactParams extends TimeRange {
  channel?: string;
  /** Only payments whose last gateway attempt went to this gateway. */
  gateway?: string;
  sla?: CallbackSla;
  hosts?: GatewayHostArrays;
  errorCodes?: ErrorCodeTable;
  fx?: { table: FxRateTable; currency: string };
  /** Double-charged orders analysed at most. @default 20000 */
  maxDoubleChargeOrders?: number;
  /** Decides the current hour, never read from hourly partials (lib/queries/payments-rollup.ts); 0 reads every hour from the spans. @default Date.now() */
  now?: number;
}

type Outcome = 'succeeded' | 'inconsistent' | 'stuck' | 'failed' | 'pending';

export interface ImpactGatewayRow {
  gateway: string;
  failed: Money;
  /** Failed payments whose class is the provider's side (provider_error, timeout, network). */
  providerFailed: Money;
  stuck: Money;
}

export interface ImpactResult {
  /** The reporting currency of every amount. */
  currency: string;
  /** The day the exchange rates are from. */
  ratesAsOf: string;
  payments: Money;
  failed: Money & { byClass: Record<ErrorClass, Money> };
  stuck: Money;
  inconsistent: Money;
  doubleCharged: Money;
  /** Failed, provider-failed and stuck per gateway of the last attempt (payments without one: totals only); most money first. */
  byGateway: ImpactGatewayRow[];
  /** Payments whose amount could not be converted (a currency without a rate, or none): counted, amount left out; the currencies named (at most 20). */
  unconverted: Unconverted;
  /** Payments without a usable `payment.amount`: counted, no amount. */
  withoutAmount: number;
  /** More orders could have been charged twice than were analysed: doubleCharged covers the most recent. */
  doubleChargesTruncated: boolean;
}

interface Row {
  outcome: Outcome;
  gateway: string;
  /** A failed payment's class inputs: gateway, error code, error type, HTTP status, timeout flag. */
  failure: [string, string, string, number, string];
  n: string;
  /** Payments with an amount in a currency with a rate. */
  converted: string;
  /** Payments with an amount. */
  withAmount: string;
  cents: string;
  unknownCurrencies: string[];
}

/** Currencies without a rate named in `unconverted` at most (the count covers them all). */
const MAX_UNCONVERTED_CURRENCIES = 20;

const money = (): Money => ({ count: 0, amount: 0 });

export async function getImpact(store: Store, p: ImpactParams): Promise<ImpactResult> {
  const hosts = p.hosts ?? defaultGatewayHosts();
  const fx = p.fx ?? { table: getConfig().fxRates, currency: getConfig().reportingCurrency };
  const errorCodes = p.errorCodes ?? defaultErrorCodeTable();
  const stuck = stuckRuleOverFacts(p.to, p.sla ?? getConfig().callbackSla);
  const { currencies, factors } = conversionArrays(fx.table, fx.currency);
  const filters = [
    ...(p.channel !== undefined ? [sql`channel = ${p.channel}`] : []),
    ...(p.gateway !== undefined ? [sql`gateway = ${p.gateway}`] : []),
  ];
  const having = filters.length ? sql`HAVING ${join(filters, ' AND ')}` : sql``;
  const facts = await mergedPaymentFactsSql(store, p, hosts, sql`
      if(match(rawAmount, '^[0-9]+([.][0-9]+)?$'), toFloat64OrNull(rawAmount), NULL) AS value,
      ${stuck.columns},
      succeededNs > 0 AND failedNs > succeededNs AS inconsistent,
      multiIf(inconsistent, 'inconsistent', succeededNs > 0, 'succeeded', lastAttemptRejected, 'failed',
              ${stuck.isStuck}, 'stuck', hardFailures > 0, 'failed', 'pending') AS outcome`, having, p.now);
  const [rows, doubles] = await Promise.all([store.query<Row>(sql`
    WITH ${queryConstants(hosts)}, ${stuck.constants},
         ${currencies} AS _fx_currencies, ${typed(factors, 'Array(Float64)')} AS _fx_factors
    SELECT outcome, gateway, if(outcome = 'failed', lastFailure, ('', '', '', 0, '')) AS failure, count() AS n,
           countIf(value IS NOT NULL AND has(_fx_currencies, currency)) AS converted,
           countIf(value IS NOT NULL) AS withAmount,
           sumIf(toInt64(floor(assumeNotNull(value) * _fx_factors[indexOf(_fx_currencies, currency)] * 100 + 0.5)),
                 value IS NOT NULL AND has(_fx_currencies, currency)) AS cents,
           groupUniqArrayIf(${MAX_UNCONVERTED_CURRENCIES})(currency, value IS NOT NULL AND currency != '' AND NOT has(_fx_currencies, currency)) AS unknownCurrencies
    FROM (${facts})
    GROUP BY outcome, gateway, failure`),
    listDoubleCharges(store, {
      from: p.from, to: p.to, channel: p.channel, hosts, errorCodes: p.errorCodes, limit: p.maxDoubleChargeOrders ?? 20_000, maxOrders: p.maxDoubleChargeOrders,
    }),
  ]);

  const result: ImpactResult = {
    currency: fx.currency,
    ratesAsOf: fx.table.asOf,
    payments: money(),
    failed: { ...money(), byClass: Object.fromEntries(ERROR_CLASSES.map((c) => [c, money()])) as Record<ErrorClass, Money> },
    stuck: money(),
    inconsistent: money(),
    doubleCharged: money(),
    byGateway: [],
    unconverted: { count: 0, currencies: [] },
    withoutAmount: 0,
    doubleChargesTruncated: false,
  };
  const byGateway = new Map<string, ImpactGatewayRow>();
  const unconvertedCurrencies = new Set<string>();
  const add = (m: Money, n: number, cents: number) => {
    m.count += n;
    m.amount += cents;
  };
  for (const r of rows) {
    const n = num(r.n);
    const cents = num(r.cents);
    const converted = num(r.converted);
    const withAmount = num(r.withAmount);
    add(result.payments, n, cents);
    result.withoutAmount += n - withAmount;
    result.unconverted.count += withAmount - converted;
    for (const c of r.unknownCurrencies) unconvertedCurrencies.add(c);
    if (r.outcome === 'pending' || r.outcome === 'succeeded') continue;
    if (r.outcome === 'inconsistent') {
      add(result.inconsistent, n, cents);
      continue;
    }
    if (r.gateway !== '' && !byGateway.has(r.gateway)) byGateway.set(r.gateway, { gateway: r.gateway, failed: money(), providerFailed: money(), stuck: money() });
    const g = byGateway.get(r.gateway);
    if (r.outcome === 'stuck') {
      add(result.stuck, n, cents);
      if (g) add(g.stuck, n, cents);
      continue;
    }
    const [gateway, errorCode, errorType, httpStatus, timeoutFlag] = r.failure;
    const cls = classifyGatewayError({ gateway, errorCode, isError: true, errorType, httpStatus: num(httpStatus), timeoutFlag }, errorCodes) ?? 'unknown';
    add(result.failed, n, cents);
    add(result.failed.byClass[cls], n, cents);
    if (g) add(g.failed, n, cents);
    if (g && PROVIDER_SIDE_CLASSES.includes(cls)) add(g.providerFailed, n, cents);
  }

  for (const d of doubles.payments) {
    if (p.gateway !== undefined && !d.gateways.includes(p.gateway)) continue;
    result.doubleCharged.count++;
    const value = parseAmount(d.amount);
    const i = currencies.indexOf(d.currency.toUpperCase());
    if (value !== null && i >= 0) result.doubleCharged.amount += (d.charges - 1) * convertedCents(value, factors[i]);
  }
  result.doubleChargesTruncated = doubles.truncated;

  // Cents to the currency's units.
  const toUnits = (m: Money) => (m.amount = m.amount / 100);
  [result.payments, result.failed, result.stuck, result.inconsistent, result.doubleCharged, ...Object.values(result.failed.byClass)].forEach(toUnits);
  result.byGateway = [...byGateway.values()]
    .map((g) => {
      [g.failed, g.providerFailed, g.stuck].forEach(toUnits);
      return g;
    })
    .sort((a, b) => b.failed.amount + b.stuck.amount - (a.failed.amount + a.stuck.amount) || (a.gateway < b.gateway ? -1 : 1));
  result.unconverted.currencies = [...unconvertedCurrencies].sort().slice(0, MAX_UNCONVERTED_CURRENCIES);
  return result;
}
