import { describe, expect, it } from 'vitest';
import { amountBand, deltaScore, isComparedKey, rankDeltas } from './deltas';

describe('rankDeltas', () => {
  it('a value seen on one payment does not top one seen on two hundred', () => {
    // 400 failed payments, 2000 others.
    const ranked = rankDeltas([
      { key: 'card.issuer', value: 'rare bank', cohort: 1, baseline: 0 },
      { key: 'card.issuer', value: 'big bank', cohort: 200, baseline: 400 },
      { key: 'card.brand', value: 'visa', cohort: 240, baseline: 1200 },
    ], 400, 2000);
    // visa: 60 % of both, not over-represented at all.
    expect(ranked.map((r) => r.value)).toEqual(['big bank', 'rare bank']);
    expect(ranked[0]).toMatchObject({ cohortShare: 0.5, baselineShare: 0.2, cohortCount: 200, baselineCount: 400 });
    // The rare value's ratio is the highest, its bound the lowest.
    expect(ranked[1].lift).toBeGreaterThan(ranked[0].lift);
    expect(ranked[1].score).toBeLessThan(0);
    expect(ranked[0].score).toBeGreaterThan(0);
  });

  it('worked example of the doc comment: 1/200 against 0/1000, and 100/200 against 100/1000', () => {
    const rare = deltaScore(1, 200, 0, 1000);
    // ln((1.5/201)/(0.5/1001)) = 2.704; se = √(1/1.5 − 1/201 + 1/0.5 − 1/1001) = 1.6314
    expect(rare.lift).toBeCloseTo(14.94, 2);
    expect(rare.score).toBeCloseTo(2.704 - 1.96 * 1.6314, 2);
    const common = deltaScore(100, 200, 100, 1000);
    // ln((100.5/201)/(100.5/1001)) = 1.6054; se = √(2/100.5 − 1/201 − 1/1001) = 0.1178
    expect(common.score).toBeCloseTo(1.6054 - 1.96 * 0.1178, 3);
    expect(common.score).toBeGreaterThan(rare.score);
  });

  it('only over-represented values are listed: not one as common among the others, nor one the cohort lacks', () => {
    const ranked = rankDeltas([
      { key: 'region', value: 'eu', cohort: 10, baseline: 100 },
      { key: 'region', value: 'us', cohort: 0, baseline: 500 },
      { key: 'region', value: 'apac', cohort: 5, baseline: 120 },
      { key: 'gateway', value: 'alipay', cohort: 30, baseline: 150 },
    ], 100, 1000);
    expect(ranked.map((r) => r.value)).toEqual(['alipay']);
    // 5 failed and 7 other payments: every one carries `all`; 2 failed and 1 other carry `few`.
    const small = rankDeltas([
      { key: 'service.name', value: 'all', cohort: 5, baseline: 7 },
      { key: 'gateway', value: 'few', cohort: 2, baseline: 1 },
    ], 5, 7);
    expect(small.map((r) => r.value)).toEqual(['few']);
    // Over-represented, but not beyond chance with so few payments.
    expect(small[0].score).toBeLessThan(0);
  });

  it('no payments: shares are 0, nothing divides by zero', () => {
    expect(rankDeltas([{ key: 'k', value: 'v', cohort: 0, baseline: 0 }], 0, 0)).toEqual([]);
    expect(Number.isFinite(deltaScore(0, 0, 0, 0).score)).toBe(true);
  });
});

describe('isComparedKey', () => {
  it.each([
    ['card.brand', true], ['card.issuer', true], ['service.version', true], ['host.name', true], ['payment.currency', true],
    ['payment.order_id', false], ['payment.amount', false], ['payment.outcome', false], ['payment.error_code', false], ['payment.stage', false],
    ['http.response.status_code', false], ['error.type', false], ['service.instance.id', false], ['enduser.id', false], ['request_id', false],
    ['session.uuid', false], ['paid', true], ['payment.tx.phase', false], ['payment.tx.branch', true],
  ])('%s → %s', (key, want) => expect(isComparedKey(key)).toBe(want));
});

describe('amountBand', () => {
  it.each([
    ['0', 'USD', '< 10 USD'], ['9.99', 'USD', '< 10 USD'], ['10', 'EUR', '10–50 EUR'], ['499.5', '', '100–500'], ['5000', 'CNY', '≥ 5000 CNY'],
    ['', 'USD', ''], ['-3', 'USD', ''], ['1e3', 'USD', ''], ['abc', 'USD', ''],
  ])('%s %s → %s', (amount, currency, want) => expect(amountBand(amount, currency)).toBe(want));
});
