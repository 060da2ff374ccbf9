import { AMOUNT_BAND_KEY } from '../analytics/deltas';
import { href, timeParams } from './links';
import type { SearchParams } from './time-range';

export type DeltaCohortName = 'failed' | 'slow' | 'stuck';

/** The What's-different page for a cohort, in the page's time range. */
export function deltasHref(sp: SearchParams, p: { cohort: DeltaCohortName; channel?: string; gateway?: string }): string {
  return href('/deltas', { ...timeParams(sp), cohort: p.cohort, channel: p.channel, gateway: p.gateway });
}

/**
 * The traces of the cohort's payments that carry one attribute value: trace search by the
 * attribute, narrowed the way trace search can to the cohort (errors for failed, slowest first
 * for slow, the gateway request for stuck). The amount band is derived, not stored: no link.
 */
export function deltaTracesHref(sp: SearchParams, q: { cohort: DeltaCohortName; channel?: string; gateway?: string }, key: string, value: string): string | undefined {
  if (key === AMOUNT_BAND_KEY) return undefined;
  return href('/traces', {
    ...timeParams(sp),
    attr: `${key}:${value}`,
    channel: q.channel,
    gateway: q.gateway,
    status: q.cohort === 'failed' ? 'error' : undefined,
    stage: q.cohort === 'stuck' ? 'gateway.request' : undefined,
    sort: q.cohort === 'slow' ? 'duration' : undefined,
  });
}
