import type { HealthReason } from '../analytics/gateway-health';
import { formatMs, formatPct } from './format';

/** "17.5x" (how many times the baseline), "new" when the baseline was zero. */
function times(value: number, baseline: number): string {
  return baseline > 0 ? `${(value / baseline).toFixed(1)}x` : 'new';
}

/**
 * A gateway health finding (lib/analytics/gateway-health.ts) in words, with the figures rounded as
 * the gateway table rounds them: "provider error rate 21.0% vs 1.20% baseline (17.5x)".
 */
export function describeHealthReason(r: HealthReason): string {
  switch (r.code) {
    case 'no_requests':
      return 'no requests in this window';
    case 'too_few_requests':
      return `only ${r.requests} requests: too few to judge (${r.providerErrors} failed on the provider's side)`;
    case 'mostly_failed':
      return `${r.providerErrors} of ${r.requests} requests failed on the provider's side`;
    case 'provider_error_rate':
    case 'timeout_rate': {
      const what = r.code === 'provider_error_rate' ? 'provider error rate' : 'timeout rate';
      const vs = r.baseline === null ? ' (no baseline to compare with)' : ` vs ${formatPct(r.baseline)} baseline (${times(r.rate, r.baseline)})`;
      return `${what} ${formatPct(r.rate)}${vs}`;
    }
    case 'p95':
      return `p95 ${formatMs(r.ms)} vs ${formatMs(r.baselineMs)} baseline (${times(r.ms, r.baselineMs)})`;
    case 'figures': {
      const base = r.baselineProviderErrorRate === null ? ' (no baseline yet)' : ` (baseline ${formatPct(r.baselineProviderErrorRate)})`;
      const p95 = r.p95Ms === null ? '' : `, p95 ${formatMs(r.p95Ms)}${r.baselineP95Ms !== null ? ` (baseline ${formatMs(r.baselineP95Ms)})` : ''}`;
      return `provider error rate ${formatPct(r.providerErrorRate)}${base}, timeout rate ${formatPct(r.timeoutRate)}${p95}`;
    }
  }
}
