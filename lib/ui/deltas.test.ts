import { describe, expect, it } from 'vitest';
import { deltasHref, deltaPaymentsHref } from './deltas';

const sp = { range: '24h', other: 'x' };

describe('deltaPaymentsHref', () => {
  it.each(['failed', 'slow', 'stuck'] as const)('%s → the payments list by the value, in the cohort', (cohort) => {
    expect(deltaPaymentsHref(sp, { cohort }, 'payment.card.issuer', 'Big Bank')).toBe(`/payments?range=24h&cohort=${cohort}&attr=payment.card.issuer%3ABig+Bank`);
  });

  it('keeps the threshold, SLA, channel and gateway; a value with a colon stays whole; the amount band links too', () => {
    expect(deltaPaymentsHref(sp, { cohort: 'slow', slowMs: 1234.5, channel: 'card', gateway: 'stripe' }, 'url.scheme', 'a:b'))
      .toBe('/payments?range=24h&cohort=slow&slowMs=1234.5&channel=card&gateway=stripe&attr=url.scheme%3Aa%3Ab');
    expect(deltaPaymentsHref(sp, { cohort: 'stuck', slaSec: 300 }, 'payment.amount_band', '100–500 USD'))
      .toBe('/payments?range=24h&cohort=stuck&slaSec=300&attr=payment.amount_band%3A100%E2%80%93500+USD');
  });
});

describe('deltasHref', () => {
  it('keeps the time range only, plus the cohort and filters', () => {
    expect(deltasHref(sp, { cohort: 'failed', gateway: 'alipay' })).toBe('/deltas?range=24h&cohort=failed&gateway=alipay');
  });
});
