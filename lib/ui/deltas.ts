import { href, timeParams } from './links';
import type { SearchParams } from './time-range';

export type DeltaCohortName = 'failed' | 'slow' | 'stuck';

/** The What's-different page for a cohort, in the page's time range. */
export function deltasHref(sp: SearchParams, p: { cohort: DeltaCohortName; channel?: string; gateway?: string }): string {
  return href('/deltas', { ...timeParams(sp), cohort: p.cohort, channel: p.channel, gateway: p.gateway });
}

/**
 * The cohort's payments that carry one attribute value: the Payments page by the value (the derived
 * amount band included), the cohort with the same threshold and SLA, channel and gateway.
 */
export function deltaPaymentsHref(
  sp: SearchParams, q: { cohort: DeltaCohortName; channel?: string; gateway?: string; slowMs?: number; slaSec?: number }, key: string, value: string,
): string {
  return href('/payments', {
    ...timeParams(sp), cohort: q.cohort, slowMs: q.slowMs, slaSec: q.slaSec, channel: q.channel, gateway: q.gateway, attr: `${key}:${value}`,
  });
}
