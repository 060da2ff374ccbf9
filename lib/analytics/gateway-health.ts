/**
 * A gateway's health verdict: its current window against its own recent baseline, in words.
 *
 *   baseline window (default: the 24 h before)        current window
 *   ├──────────────────────────────────────────────┤├──────────┤
 *   errors 1.2%  timeouts 0.1%  p95 410 ms             errors 21%  timeouts 2%  p95 1.6 s
 *                                                      → failing: "error rate 21.0% vs 1.2% baseline (17.5x)"
 *
 * Rules (first match wins); a comparison with the baseline also needs the change to be more than
 * noise for the number of requests (a binomial z-score of at least 3 against the baseline rate):
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
  /** Failed calls, timeouts included. */
  errors: number;
  timeouts: number;
  p95Ms: number | null;
}

export interface HealthJudgement {
  verdict: HealthVerdict;
  /** One sentence per finding, most important first; for healthy, the figures it was judged on. */
  reasons: string[];
}

const MIN_REQUESTS = 20;
const MIN_BASELINE_REQUESTS = 50;
const Z_MIN = 3;

export function formatPct(rate: number): string {
  const pct = rate * 100;
  return `${pct >= 10 || pct === 0 ? pct.toFixed(1) : pct.toFixed(2)}%`;
}

export function formatMs(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(ms >= 10_000 ? 1 : 2)} s`;
  return `${ms >= 10 ? Math.round(ms) : ms.toFixed(1)} ms`;
}

/** How many standard errors `rate` over `n` trials lies above `base` (the baseline rate, floored). */
function zScore(rate: number, n: number, base: number): number {
  const p0 = Math.min(0.99, Math.max(base, 0.002));
  return (rate - p0) / Math.sqrt((p0 * (1 - p0)) / Math.max(1, n));
}

const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(1)}x` : 'new');

export function judgeGatewayHealth(current: GatewayWindowStats, baseline: GatewayWindowStats | null): HealthJudgement {
  const n = current.requests;
  const err = n > 0 ? current.errors / n : 0;
  const tmo = n > 0 ? current.timeouts / n : 0;
  const hasBase = baseline !== null && baseline.requests >= MIN_BASELINE_REQUESTS;
  const bErr = hasBase ? baseline!.errors / baseline!.requests : 0;
  const bTmo = hasBase ? baseline!.timeouts / baseline!.requests : 0;
  const bP95 = hasBase ? baseline!.p95Ms : null;
  const errVs = hasBase ? ` vs ${formatPct(bErr)} baseline (${ratio(err, bErr)})` : '';
  const tmoVs = hasBase ? ` vs ${formatPct(bTmo)} baseline (${ratio(tmo, bTmo)})` : '';

  if (n === 0) return { verdict: 'healthy', reasons: ['no requests in this window'] };
  if (n < MIN_REQUESTS) {
    if (current.errors >= 5 && err >= 0.5) return { verdict: 'failing', reasons: [`${current.errors} of ${n} requests failed`] };
    return { verdict: 'healthy', reasons: [`only ${n} requests: too few to judge (${current.errors} failed)`] };
  }

  const errSignificant = zScore(err, n, bErr) >= Z_MIN;
  const tmoSignificant = zScore(tmo, n, bTmo) >= Z_MIN;
  const failing: string[] = [];
  if (err >= 0.25) failing.push(`error rate ${formatPct(err)}${errVs}`);
  else if (err >= 0.1 && hasBase && err >= 5 * bErr && errSignificant) failing.push(`error rate ${formatPct(err)}${errVs}`);
  if (tmo >= 0.1) failing.push(`timeout rate ${formatPct(tmo)}${tmoVs}`);
  if (failing.length) return { verdict: 'failing', reasons: failing };

  const degraded: string[] = [];
  if (hasBase) {
    if (err >= 2 * bErr && err - bErr >= 0.01 && errSignificant) degraded.push(`error rate ${formatPct(err)}${errVs}`);
    if (tmo >= 2 * bTmo && tmo - bTmo >= 0.005 && tmoSignificant) degraded.push(`timeout rate ${formatPct(tmo)}${tmoVs}`);
    if (current.p95Ms !== null && bP95 !== null && bP95 > 0 && current.p95Ms >= 1.5 * bP95 && current.p95Ms - bP95 >= 100) {
      degraded.push(`p95 ${formatMs(current.p95Ms)} vs ${formatMs(bP95)} baseline (${ratio(current.p95Ms, bP95)})`);
    }
  } else if (err >= 0.05 && errSignificant) {
    degraded.push(`error rate ${formatPct(err)} (no baseline to compare with)`);
  }
  if (degraded.length) return { verdict: 'degraded', reasons: degraded };

  const p95 = current.p95Ms === null ? '' : `, p95 ${formatMs(current.p95Ms)}${bP95 !== null ? ` (baseline ${formatMs(bP95)})` : ''}`;
  const base = hasBase ? ` (baseline ${formatPct(bErr)})` : ' (no baseline yet)';
  return { verdict: 'healthy', reasons: [`error rate ${formatPct(err)}${base}, timeout rate ${formatPct(tmo)}${p95}`] };
}
