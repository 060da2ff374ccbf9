import { CHANNELS, GATEWAYS, type Baseline, type ChannelProfile, type Gateway } from './catalog';
import type { Random } from './random';
import type { Scenario } from './scenarios';

/**
 * The payment flow's decisions: one function per stage, each taken by whoever takes it in a real
 * platform. The seeder calls them in sequence for each payment and renders the result as spans
 * (sim/seed/generate.ts); the live platform's services each call theirs when a request reaches them
 * (sim/platform/services/*). `scenario` is the scenario in force for the payment (the seeder passes
 * the baseline outside the scenario's window).
 *
 *   newPayment ─► reserveStock ─► scoreRisk ─► callerTimeout ─► providerAnswer ─► providerCallback ─► confirmFails
 *   (shopper)     (inventory)     (risk)       (adapter)         (provider)        (provider)           (order)
 */

export const CHANNEL_SHARES: readonly number[] = CHANNELS.map((c) => c.share);

export interface NewPayment {
  channel: ChannelProfile;
  currency: string;
  /** Major units, as the shopper's app sends it (`12.50`). */
  amount: string;
}

/** What a shopper pays with, and how much. */
export function newPayment(rng: Random, weights: readonly number[] = CHANNEL_SHARES): NewPayment {
  const channel = rng.weighted(CHANNELS, weights);
  const currency = rng.pick(channel.currencies);
  const amount = Math.max(0.5, rng.lognormal(channel.amountMedian, 0.9)).toFixed(2);
  return { channel, currency, amount };
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
  /** The scenario's fault applies to this request (the degraded gateway). */
  degraded: boolean;
  /** How long the provider takes to answer, ms. */
  latencyMs: number;
  /** The provider keeps the request open far past any sane timeout. */
  hang: Cause | null;
  /** A synchronous error answer: the provider's code and HTTP status. */
  error: { code: string; status: number; cause: Cause } | null;
}

/** The provider's synchronous answer to a payment request. */
export function providerAnswer(rng: Random, gateway: Gateway, scenario: Scenario): ProviderAnswer {
  const profile = GATEWAYS[gateway];
  const degraded = scenario.name === 'gateway-degraded' && scenario.target.gateway === gateway;
  let latencyMs = rng.lognormal(profile.latencyMedianMs, profile.latencySigma) * (degraded ? (scenario.latencyFactor ?? 1) : 1);
  const baselineHang = rng.chance(profile.hangRate);
  const injectedHang = !baselineHang && degraded && rng.chance(scenario.extraHangRate ?? 0);
  if (baselineHang || injectedHang) latencyMs = rng.uniform(30_000, 60_000);
  const baselineError = rng.chance(profile.requestErrorRate);
  const injectedError = !baselineError && degraded && rng.chance(scenario.extraErrorRate ?? 0);
  let error: ProviderAnswer['error'] = null;
  if (baselineError || injectedError) {
    const code = injectedError ? profile.requestErrorCodes[0] : rng.pick(profile.requestErrorCodes);
    error = { code, status: code === profile.requestErrorCodes[0] ? 500 : 400, cause: injectedError ? 'scenario' : 'baseline' };
    // Provider errors come back fast.
    latencyMs = Math.min(latencyMs, rng.lognormal(profile.latencyMedianMs * 0.5, 0.4));
  }
  return { degraded, latencyMs, hang: baselineHang ? 'baseline' : injectedHang ? 'scenario' : null, error };
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
  /** A second delivery of the same callback, this long after the request; null when delivered once. */
  duplicateDelayMs: number | null;
}

/** What the provider does after accepting a request: when (and whether) it calls back, with what result. */
export function providerCallback(rng: Random, gateway: Gateway, baseline: Baseline, scenario: Scenario, callerGaveUp: boolean): CallbackPlan {
  const profile = GATEWAYS[gateway];
  const losing = scenario.name === 'lost-callbacks' && scenario.target.gateway === gateway;
  // A request whose caller timed out was usually processed anyway: its callback still comes.
  const unprocessed = callerGaveUp && !rng.chance(baseline.callbackAfterTimeoutRate);
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

/** order.confirm fails although the payment succeeded (an inconsistent payment). */
export function confirmFails(rng: Random, baseline: Baseline): boolean {
  return rng.chance(baseline.confirmFailureRate);
}
