import {
  APP_VERSION_SHARES, APP_VERSIONS, CARD_BRAND_SHARES, CARD_BRANDS, CHANNELS, COUNTRIES, CURRENCY_DECIMALS, CURRENCY_PER_USD,
  GATEWAYS, NETWORK_ERRORS, TX_BRANCHES, type AnsweredClass, type Baseline, type ChannelProfile, type ErrorClass, type Gateway,
} from './catalog';
import type { Random } from './random';
import type { Scenario } from './scenarios';

/**
 * The payment flow's decisions: one function per stage, each taken by whoever takes it in a real
 * platform. The seeder calls them in sequence for each payment and renders the result as spans
 * (sim/seed/generate.ts); the live platform's services each call theirs when a request reaches them
 * (sim/platform/services/*). `scenario` is the scenario in force for the payment (the seeder passes
 * the baseline outside the scenario's window).
 *
 *   newPayment ─► reserveStock ─► scoreRisk ─► planTransaction ─► ┌ callerTimeout ─► providerAnswer ┐ ─► providerCallback ─► PaymentLedger ─► confirmFails
 *   (shopper)     (inventory)     (risk)       (payment)          └──── nextGateway (payment) ◄─────┘    (provider)           (payment)         (order)
 */

export const CHANNEL_SHARES: readonly number[] = CHANNELS.map((c) => c.share);

/** What the shopper's app sends: the channel, the money, and what the payer pays with. */
export interface NewPayment {
  channel: ChannelProfile;
  currency: string;
  /** Major units, as the shopper's app sends it (`12.50`, JPY `1850`). */
  amount: string;
  country: string;
  appVersion: string;
  /** Card payments only. */
  card: { brand: string; issuer: string } | null;
}

export function newPayment(rng: Random, weights: readonly number[] = CHANNEL_SHARES): NewPayment {
  const channel = rng.weighted(CHANNELS, weights);
  const country = COUNTRIES[rng.weighted(channel.countries, channel.countryShares)];
  const currency = country.currency;
  const usd = Math.max(0.5, rng.lognormal(channel.amountMedianUsd, 0.9));
  const amount = Math.max(1, usd * CURRENCY_PER_USD[currency]).toFixed(CURRENCY_DECIMALS[currency]);
  const appVersion = rng.weighted(APP_VERSIONS, APP_VERSION_SHARES);
  const card = channel.channel === 'card' ? { brand: rng.weighted(CARD_BRANDS, CARD_BRAND_SHARES), issuer: rng.pick(country.issuers) } : null;
  return { channel, currency, amount, country: country.country, appVersion, card };
}

/** The span attributes of what the payer pays with (on checkout, payment.submit and the gateway call). */
export function payerAttributes(p: Pick<NewPayment, 'country' | 'card'>): string[] {
  const out = ['payment.country', p.country];
  if (p.card !== null) out.push('payment.card.brand', p.card.brand, 'payment.card.issuer', p.card.issuer);
  return out;
}

/** The extra latency of `service`'s database call under the slow-db scenario, 0 otherwise. */
export function slowDbExtraMs(rng: Random, scenario: Scenario, service: string): number {
  if (scenario.name !== 'slow-db' || scenario.target.service !== service) return 0;
  return rng.lognormal(scenario.dbExtraMedianMs ?? 400, scenario.dbExtraSigma ?? 0.35);
}

export interface StockDecision {
  /** The inventory's database call, ms (the slow-db scenario's extra included). */
  dbMs: number;
  extraMs: number;
  outOfStock: boolean;
}

export function reserveStock(rng: Random, baseline: Baseline, scenario: Scenario): StockDecision {
  const extraMs = slowDbExtraMs(rng, scenario, 'inventory');
  const dbMs = rng.lognormal(baseline.dbMedianMs, baseline.dbSigma) + extraMs;
  return { dbMs, extraMs, outOfStock: rng.chance(baseline.outOfStockRate) };
}

/** The order service's database call (insert, update), ms. */
export function orderDbMs(rng: Random, scenario: Scenario): number {
  return rng.lognormal(3, 0.5) + slowDbExtraMs(rng, scenario, 'order');
}

export interface RiskDecision {
  ms: number;
  score: number;
  rejected: boolean;
}

export function scoreRisk(rng: Random, baseline: Baseline): RiskDecision {
  const ms = rng.lognormal(22, 0.5);
  const rejected = rng.chance(baseline.riskRejectRate);
  return { ms, rejected, score: Number((rejected ? 0.9 + rng.next() * 0.1 : rng.next() * 0.6).toFixed(3)) };
}

/** How long an adapter waits for its provider; the timeout-misconfig scenario shortens it. */
export function callerTimeout(adapter: string, baseline: Baseline, scenario: Scenario): { timeoutMs: number; misconfigured: boolean } {
  const misconfigured = scenario.name === 'timeout-misconfig' && scenario.target.caller === adapter;
  return { timeoutMs: misconfigured ? (scenario.callerTimeoutMs ?? 700) : baseline.adapterTimeoutMs, misconfigured };
}

export type Cause = 'baseline' | 'scenario';

export interface ProviderAnswer {
  /** The scenario's fault applies to this request. */
  affected: boolean;
  /** How long the provider takes to answer, ms. */
  latencyMs: number;
  /** The provider keeps the request open far past any sane timeout. */
  hang: Cause | null;
  /** Whether the provider still processes the request if its caller gives up (an outage does not). */
  processesAbandoned: boolean;
  /** The connection fails before any answer (`error.type`): reset or refused. */
  network: { code: string; cause: Cause } | null;
  /** A synchronous error answer: its class, the provider's code and HTTP status. */
  error: { cls: AnsweredClass; code: string; status: number; cause: Cause } | null;
}

const ANSWERED: readonly AnsweredClass[] = ['provider_error', 'invalid_request', 'fraud', 'decline'];

/** The provider's synchronous answer to a payment request (`issuer`: the card's, for card payments). */
export function providerAnswer(rng: Random, gateway: Gateway, scenario: Scenario, issuer?: string): ProviderAnswer {
  const profile = GATEWAYS[gateway];
  const targeted = scenario.target.gateway === gateway;
  const degraded = targeted && scenario.name === 'gateway-degraded';
  const outage = targeted && scenario.name === 'gateway-failover';
  const slow = targeted && scenario.name === 'double-charge';
  const declineWave =
    (targeted && scenario.name === 'decline-wave') || (scenario.name === 'issuer-skew' && issuer !== undefined && issuer === scenario.target.issuer);
  let latencyMs = rng.lognormal(profile.latencyMedianMs, profile.latencySigma) * (degraded ? (scenario.latencyFactor ?? 1) : 1);
  const answer: ProviderAnswer = { affected: degraded || outage || slow || declineWave, latencyMs, hang: null, processesAbandoned: true, network: null, error: null };
  if (rng.chance(profile.hangRate)) answer.hang = 'baseline';
  else if (degraded && rng.chance(scenario.extraHangRate ?? 0)) answer.hang = 'scenario';
  else if (outage && rng.chance(scenario.outageRate ?? 0)) {
    answer.hang = 'scenario';
    answer.processesAbandoned = false;
  } else if (slow && rng.chance(scenario.slowProcessedRate ?? 0)) answer.hang = 'scenario';
  if (answer.hang !== null) {
    // A slow answer that still charged comes back soon after the caller's 5 s; a hang, far later.
    answer.latencyMs = slow && answer.hang === 'scenario' ? rng.uniform(6_000, 9_000) : rng.uniform(30_000, 60_000);
    return answer;
  }
  if (rng.chance(profile.networkRate)) {
    answer.network = { code: rng.pick(NETWORK_ERRORS), cause: 'baseline' };
    answer.latencyMs = 0;
    return answer;
  }
  for (const cls of ANSWERED) {
    if (!rng.chance(profile.requestErrors[cls].rate)) continue;
    answer.error = { cls, ...rng.pick(profile.requestErrors[cls].codes), cause: 'baseline' };
    break;
  }
  if (answer.error === null && degraded && rng.chance(scenario.extraErrorRate ?? 0)) {
    answer.error = { cls: 'provider_error', ...profile.requestErrors.provider_error.codes[0], cause: 'scenario' };
  }
  if (answer.error === null && declineWave && rng.chance(scenario.extraDeclineRate ?? 0)) {
    const waveCodes = profile.requestErrors.decline.codes;
    const code = scenario.name === 'issuer-skew' ? (waveCodes.find((c) => c.code === 'do_not_honor') ?? waveCodes[0]) : rng.pick(waveCodes.slice(0, 3));
    answer.error = { cls: 'decline', ...code, cause: 'scenario' };
  }
  // Errors come back fast.
  if (answer.error !== null) answer.latencyMs = Math.min(latencyMs, rng.lognormal(profile.latencyMedianMs * 0.5, 0.4));
  return answer;
}

/**
 * Whether the payment service calls a gateway again after attempt `attempt` failed with `cls`, and
 * which: the channel's fallback after a failure on the provider's side (failover), else the same
 * one. A timeout is only retried by a failover; a payer's decline, fraud block or a bad request
 * never.
 */
export function nextGateway(rng: Random, channel: ChannelProfile, attempt: number, failed: Gateway, cls: ErrorClass, baseline: Baseline, scenario: Scenario): Gateway | null {
  if (attempt >= baseline.maxAttempts) return null;
  if (cls !== 'timeout' && cls !== 'provider_error' && cls !== 'network') return null;
  const fallback = channel.fallbackGateway !== undefined && failed === channel.gateway ? channel.fallbackGateway : null;
  const forced = (scenario.name === 'gateway-failover' || scenario.name === 'double-charge') && scenario.target.gateway === failed && cls === 'timeout';
  if (forced) return fallback ?? failed;
  // A timed-out call may have charged: only a failover to another gateway retries it.
  if (cls === 'timeout') return fallback !== null && rng.chance(baseline.retryAfterTimeoutRate) ? fallback : null;
  return rng.chance(baseline.retryAfterProviderErrorRate) ? (fallback ?? failed) : null;
}

export interface CallbackPlan {
  /** The scenario's fault applies to this callback (the gateway losing callbacks). */
  losing: boolean;
  /** Never delivered: the provider did not process a request its caller gave up on, or lost the callback. */
  lost: Cause | null;
  /** The provider did not process the request (its caller gave up first). */
  unprocessed: boolean;
  /** The result the callback reports: a decline code, or undefined for success. */
  declineCode: string | undefined;
  /** Delay after the provider's answer, ms (minutes when late). */
  delayMs: number;
  late: boolean;
  /** A second delivery of the same callback, this long after the provider's answer; null when delivered once. */
  duplicateDelayMs: number | null;
}

/**
 * What the provider does after accepting a request: when (and whether) it calls back, with what
 * result. `callerGaveUp`: the caller timed out; `processesAbandoned`: from the answer.
 */
export function providerCallback(
  rng: Random, gateway: Gateway, baseline: Baseline, scenario: Scenario, callerGaveUp: boolean, processesAbandoned = true,
): CallbackPlan {
  const profile = GATEWAYS[gateway];
  const losing = scenario.name === 'lost-callbacks' && scenario.target.gateway === gateway;
  // A request whose caller timed out was usually processed anyway: its callback still comes.
  const unprocessed = callerGaveUp && (!processesAbandoned || !rng.chance(baseline.callbackAfterTimeoutRate));
  const lostByScenario = losing && rng.chance(scenario.lostCallbackRate ?? 0);
  const lostByBaseline = rng.chance(baseline.lostCallbackRate);
  const lost: Cause | null = lostByScenario ? 'scenario' : unprocessed || lostByBaseline ? 'baseline' : null;
  const declineCode = rng.chance(profile.declineRate) ? rng.pick(profile.declineCodes) : undefined;
  let delayMs = rng.lognormal(profile.callbackMedianMs, profile.callbackSigma);
  const late = rng.chance(baseline.lateCallbackRate);
  if (late) delayMs += rng.uniform(120_000, 1_800_000);
  const duplicateDelayMs = rng.chance(baseline.duplicateCallbackRate) ? delayMs + rng.uniform(1000, 60_000) : null;
  return { losing, lost, unprocessed, declineCode, delayMs, late: lost === null && late, duplicateDelayMs: lost === null ? duplicateDelayMs : null };
}

/** What the payment service does with one callback delivery. */
export interface CallbackHandling {
  /** A repeated delivery of a charge already handled: acknowledged, nothing fulfilled. */
  duplicate: boolean;
  /**
   * The call to order.confirm: `succeeded` (fulfil), `cancelled` (the payment was declined), or
   * null (none: a duplicate, or a decline after the order was already paid).
   */
  confirm: 'succeeded' | 'cancelled' | null;
  /** The order was already given up (the payment failed up front): a success now is money taken for no order. */
  orderCancelled: boolean;
  /** This success fulfils an order another charge already fulfilled: a double charge. */
  doubleCharge: boolean;
  /** The first terminal result of the payment: the distributed transaction's second phase runs now. */
  settles: 'confirm' | 'cancel' | null;
}

/**
 * The payment service's book of one payment's charges: callbacks are handled once per provider
 * reference (a repeated delivery is a duplicate); every successful charge is fulfilled, so two
 * successful charges of one order (a retry after a timeout that had charged) fulfil it twice.
 */
export class PaymentLedger {
  private readonly handled = new Set<string>();
  private state: 'pending' | 'failed' | 'paid' | 'declined' = 'pending';
  private settled = false;
  charges = 0;

  /** A successful charge was fulfilled. */
  get paid(): boolean {
    return this.state === 'paid';
  }

  /** The payment failed up front (every attempt failed): the order is cancelled. */
  failUpFront(): void {
    this.state = 'failed';
    this.settled = true;
  }

  callback(providerRef: string, succeeded: boolean): CallbackHandling {
    if (this.handled.has(providerRef)) return { duplicate: true, confirm: null, orderCancelled: false, doubleCharge: false, settles: null };
    this.handled.add(providerRef);
    const settles = this.settled ? null : succeeded ? 'confirm' : 'cancel';
    this.settled = true;
    if (succeeded) {
      this.charges++;
      const orderCancelled = this.state === 'failed';
      if (!orderCancelled) this.state = 'paid';
      return { duplicate: false, confirm: 'succeeded', orderCancelled, doubleCharge: this.charges > 1, settles };
    }
    if (this.state === 'paid') return { duplicate: false, confirm: null, orderCancelled: false, doubleCharge: false, settles };
    if (this.state === 'pending') this.state = 'declined';
    return { duplicate: false, confirm: 'cancelled', orderCancelled: false, doubleCharge: false, settles };
  }
}

/** order.confirm fails although the payment succeeded (an inconsistent payment). */
export function confirmFails(rng: Random, baseline: Baseline): boolean {
  return rng.chance(baseline.confirmFailureRate);
}

export type TxAnomaly = 'empty_rollback' | 'hanging' | 'unfinished' | 'mixed_outcome' | 'failed_compensation';

/**
 * A distributed transaction the payment service coordinates beside the charge: TCC over the
 * account service's `wallet` and `points` branches (try before the charge; confirm when the payment
 * succeeds, cancel when it fails), or a Saga over `points` and `coupon` (actions before the charge,
 * compensations in reverse when it fails). `anomaly` is the fault this one will show:
 *
 *   empty_rollback       the try of the last branch is lost: the coordinator gives up and cancels every branch
 *   hanging              the try of the last branch arrives after the coordinator cancelled it
 *   unfinished           the coordinator never runs the second phase
 *   mixed_outcome        the last branch's confirm fails and the coordinator cancels it: one confirmed, one cancelled
 *   failed_compensation  (Saga) the last action fails and the compensation of the one before errors
 */
export interface TxPlan {
  mode: 'tcc' | 'saga';
  branches: readonly string[];
  anomaly: TxAnomaly | null;
  anomalyCause: Cause;
}

export function planTransaction(rng: Random, baseline: Baseline, scenario: Scenario): TxPlan | null {
  const u = rng.next();
  const mode = u < baseline.tccShare ? 'tcc' : u < baseline.tccShare + baseline.sagaShare ? 'saga' : null;
  if (mode === null) return null;
  const kinds: TxAnomaly[] = mode === 'tcc' ? ['empty_rollback', 'hanging', 'unfinished', 'mixed_outcome'] : ['failed_compensation'];
  const injected = scenario.name === 'tx-anomalies';
  const rate = injected ? (scenario.txAnomalyRate ?? 0) : baseline.txAnomalyRate;
  let anomaly: TxAnomaly | null = null;
  for (const kind of kinds) if (anomaly === null && rng.chance(rate)) anomaly = kind;
  return { mode, branches: TX_BRANCHES[mode], anomaly, anomalyCause: injected ? 'scenario' : 'baseline' };
}

/** How long the coordinator waits for a branch's try or action before it gives up on the transaction, ms. */
export const TX_TRY_TIMEOUT_MS = 1000;

/** A provider-style reference for an accepted payment; `hex(n)` gives n random bytes as hex. */
export function providerRef(gateway: Gateway, hex: (bytes: number) => string): string {
  switch (gateway) {
    case 'stripe':
      return `pi_${hex(12)}`;
    case 'adyen':
    case 'paypal':
      return hex(8).toUpperCase();
    case 'wechatpay':
      return `wx${hex(14)}`;
    default:
      return `2025${hex(10)}`;
  }
}

/** The class of a provider's answered error code (as the merchant's integration knows its provider's codes). */
export function answeredClass(gateway: Gateway, code: string): AnsweredClass | undefined {
  const errors = GATEWAYS[gateway].requestErrors;
  return ANSWERED.find((cls) => errors[cls].codes.some((c) => c.code === code));
}
