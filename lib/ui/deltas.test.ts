import { describe, expect, it } from 'vitest';
import { deltasHref, deltaTracesHref } from './deltas';

const sp = { range: '24h', other: 'x' };

describe('deltaTracesHref', () => {
  it.each([
    ['failed', '/traces?range=24h&attr=payment.card.issuer%3ABig+Bank&status=error'],
    ['slow', '/traces?range=24h&attr=payment.card.issuer%3ABig+Bank&sort=duration'],
    ['stuck', '/traces?range=24h&attr=payment.card.issuer%3ABig+Bank&stage=gateway.request'],
  ] as const)('%s → trace search by the attribute, narrowed to the cohort', (cohort, want) => {
    expect(deltaTracesHref(sp, { cohort }, 'payment.card.issuer', 'Big Bank')).toBe(want);
  });

  it('keeps channel and gateway; a value with a colon stays whole; the derived amount band has no link', () => {
    expect(deltaTracesHref(sp, { cohort: 'failed', channel: 'card', gateway: 'stripe' }, 'url.scheme', 'a:b')).toBe('/traces?range=24h&attr=url.scheme%3Aa%3Ab&channel=card&gateway=stripe&status=error');
    expect(deltaTracesHref(sp, { cohort: 'failed' }, 'payment.amount_band', '100–500 USD')).toBeUndefined();
  });
});

describe('deltasHref', () => {
  it('keeps the time range only, plus the cohort and filters', () => {
    expect(deltasHref(sp, { cohort: 'failed', gateway: 'alipay' })).toBe('/deltas?range=24h&cohort=failed&gateway=alipay');
  });
});
