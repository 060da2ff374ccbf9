import { binomialTailAtLeast } from './binomial';

/**
 * A gateway's health verdict: its current window against its own recent baseline, with the
 * findings as data (lib/ui/health-reasons.ts words them for the page and the API). Judged on the
 * provider's side only: failures classed provider_error, timeout or network
 * (lib/analytics/error-taxonomy.ts), and latency. Declines, fraud blocks and our own bad requests
 * are the payer's or our doing: a wave of insufficient-funds declines is not an outage.
 *
 *   baseline window (default: the 24 h before)        current window
 *   ├──────────────────────────────────────────────┤├──────────┤
 *   provider errors 1.2%  timeouts 0.1%  p95 410 ms    provider errors 21%  timeouts 2%  p95 1.6 s
 *                                                      → failing: "provider error rate 21.0% vs 1.2% baseline (17.5x)"
 *
 * Rules (first match wins; "error rate" is the provider-side failure rate, timeouts included); a
 * comparison with the baseline also needs the change to be more than noise for the number of
 * requests: a count at least that high would come by chance from the baseline rate at most as often
 * as 3 sigma (p ≤ 0.00135, the exact binomial tail: lib/analytics/binomial.ts). For the p95, the
 * count is of calls slower than the threshold, against the 5 % of calls a p95 leaves above it:
 *   failing   error rate >= 25%, or timeout rate >= 10% (whatever the baseline),
 *             or error rate >= 10% and at least 5x the baseline
 *   degraded  error rate at least 2x the baseline and 1 point above it,
 *             or timeout rate at least 2x the baseline and 0.5 points above it,
 *             or p95 at least 1.5x the baseline p95 and 100 ms above it,
 *             or (no baseline) error rate >= 5%
 *   healthy   otherwise
 * With fewer than MIN_REQUESTS requests only "failing" can be decided (all or most failed).
 */

export type HealthVerdict = 'healthy' | 'degraded' | 'failing';

export interface GatewayWindowStats {
  requests: number;
  /** Calls that failed on the provider's side: classed provider_error, timeout or network. */
  providerErrors: number;
  timeouts: number;
  p95Ms: number | null;
  /**
   * Calls slower than latencyThresholdMs(the baseline's p95): needed to call a p95 rise more than
   * noise (one slow call among 28 makes their p95); without it a p95 rise is not judged.
   */
  slowCalls?: number;
}

/** One finding. Rates are fractions 0..1; a `baseline` of null means there was none to compare with. */
export type HealthReason =
  | { code: 'no_requests' }
  | { code: 'too_few_requests'; requests: number; providerErrors: number }
  | { code: 'mostly_failed'; requests: number; providerErrors: number }
  | { code: 'provider_error_rate' | 'timeout_rate'; rate: number; baseline: number | null }
  | { code: 'p95'; ms: number; baselineMs: number }
  /** Healthy: the figures it was judged on. */
  | { code: 'figures'; providerErrorRate: number; baselineProviderErrorRate: number | null; timeoutRate: number; p95Ms: number | null; baselineP95Ms: number | null };

export interface HealthJudgement {
  verdict: HealthVerdict;
  /** The findings, most important first; for healthy, the figures it was judged on. */
  reasons: HealthReason[];
}

const MIN_REQUESTS = 20;
const MIN_BASELINE_REQUESTS = 50;
/** One-sided 3 sigma. */
const ALPHA = 0.00135;

/** `count` of `n` is more than chance at the baseline rate `base` (floored at 0.2 %). */
function significant(count: number, n: number, base: number): boolean {
  const p0 = Math.min(0.99, Math.max(base, 0.002));
  return count > n * p0 && binomialTailAtLeast(count, n, p0) <= ALPHA;
}

/** The p95 that counts as a latency rise over a baseline p95: half as slow again, and 100 ms. */
export function latencyThresholdMs(baselineP95Ms: number): number {
  return Math.max(1.5 * baselineP95Ms, baselineP95Ms + 100);
}

export function judgeGatewayHealth(current: GatewayWindowStats, baseline: GatewayWindowStats | null): HealthJudgement {
  const n = current.requests;
  const err = n > 0 ? current.providerErrors / n : 0;
  const tmo = n > 0 ? current.timeouts / n : 0;
  const hasBase = baseline !== null && baseline.requests >= MIN_BASELINE_REQUESTS;
  const bErr = hasBase ? baseline!.providerErrors / baseline!.requests : 0;
  const bTmo = hasBase ? baseline!.timeouts / baseline!.requests : 0;
  const bP95 = hasBase ? baseline!.p95Ms : null;
  const errReason: HealthReason = { code: 'provider_error_rate', rate: err, baseline: hasBase ? bErr : null };
  const tmoReason: HealthReason = { code: 'timeout_rate', rate: tmo, baseline: hasBase ? bTmo : null };

  if (n === 0) return { verdict: 'healthy', reasons: [{ code: 'no_requests' }] };
  if (n < MIN_REQUESTS) {
    if (current.providerErrors >= 5 && err >= 0.5) return { verdict: 'failing', reasons: [{ code: 'mostly_failed', requests: n, providerErrors: current.providerErrors }] };
    return { verdict: 'healthy', reasons: [{ code: 'too_few_requests', requests: n, providerErrors: current.providerErrors }] };
  }

  const errSignificant = significant(current.providerErrors, n, bErr);
  const tmoSignificant = significant(current.timeouts, n, bTmo);
  const failing: HealthReason[] = [];
  if (err >= 0.25) failing.push(errReason);
  else if (err >= 0.1 && hasBase && err >= 5 * bErr && errSignificant) failing.push(errReason);
  if (tmo >= 0.1) failing.push(tmoReason);
  if (failing.length) return { verdict: 'failing', reasons: failing };

  const degraded: HealthReason[] = [];
  if (hasBase) {
    if (err >= 2 * bErr && err - bErr >= 0.01 && errSignificant) degraded.push(errReason);
    if (tmo >= 2 * bTmo && tmo - bTmo >= 0.005 && tmoSignificant) degraded.push(tmoReason);
    if (current.p95Ms !== null && bP95 !== null && bP95 > 0 && current.p95Ms >= latencyThresholdMs(bP95)
      && current.slowCalls !== undefined && significant(current.slowCalls, n, 0.05)) {
      degraded.push({ code: 'p95', ms: current.p95Ms, baselineMs: bP95 });
    }
  } else if (err >= 0.05 && errSignificant) {
    degraded.push(errReason);
  }
  if (degraded.length) return { verdict: 'degraded', reasons: degraded };

  return {
    verdict: 'healthy',
    reasons: [{ code: 'figures', providerErrorRate: err, baselineProviderErrorRate: hasBase ? bErr : null, timeoutRate: tmo, p95Ms: current.p95Ms, baselineP95Ms: bP95 }],
  };
}
