import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../clickhouse/migrate';
import { ErrorCodeTable, parseErrorClasses } from '../analytics/error-taxonomy';
import { BUILTIN_FX_RATES, parseFxRates } from '../analytics/money';
import type { Store } from '../store/store';
import { insertFixture } from '../../test/helpers/fixtures';
import { IMPACT_FIXTURE, IMPACT_RANGE, IMPACT_T0 } from '../../test/helpers/impact-fixture';
import { openTempStore } from '../../test/helpers/store';
import { getImpact } from './impact';

// Every expected figure below was worked out by hand from test/helpers/impact-fixture.ts
// (rates: EUR 1.08, CNY 0.138, GBP 1.27 USD).
const common = {
  ...IMPACT_RANGE, sla: { defaultSec: 300, byGateway: {} }, errorCodes: new ErrorCodeTable(), fx: { table: BUILTIN_FX_RATES, currency: 'USD' },
};
const m = (count: number, amount: number) => ({ count, amount });
const none = m(0, 0);

let store: Store;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ store, cleanup } = await openTempStore());
  await migrate(store, { retentionDays: 0 });
  await insertFixture(store, IMPACT_FIXTURE, IMPACT_T0);
});
afterAll(async () => cleanup?.());

describe('getImpact', () => {
  it('counts each payment once by its final outcome, with its money in the reporting currency', async () => {
    const r = await getImpact(store, common);
    expect(r).toEqual({
      currency: 'USD',
      ratesAsOf: BUILTIN_FX_RATES.asOf,
      // 100 + 50×1.08 + 200×0.138 + 300 + 80×1.27 + 40 + 10 + 25 (XYZ and the one without an amount left out)
      payments: m(10, 658.2),
      // declined 54, failover-failed 27.6, no-rate, no-amount, risky 25
      failed: {
        ...m(5, 106.6),
        byClass: { decline: m(2, 54), fraud: m(1, 25), invalid_request: none, provider_error: m(2, 27.6), timeout: none, network: none, unknown: none },
      },
      stuck: m(1, 300),
      inconsistent: m(1, 101.6),
      doubleCharged: m(1, 40),
      byGateway: [
        { gateway: 'alipay', failed: m(1, 25), providerFailed: none, stuck: m(1, 300) },
        { gateway: 'stripe', failed: m(2, 54), providerFailed: none, stuck: none },
        { gateway: 'adyen', failed: m(1, 27.6), providerFailed: m(1, 27.6), stuck: none },
        { gateway: 'paypal', failed: m(1, 0), providerFailed: m(1, 0), stuck: none },
      ],
      unconverted: { count: 1, currencies: ['XYZ'] },
      withoutAmount: 1,
      doubleChargesTruncated: false,
    });
  });

  it('filters by channel and by the gateway of the last attempt', async () => {
    const wallet = await getImpact(store, { ...common, channel: 'wallet' });
    expect([wallet.payments, wallet.failed.count, wallet.stuck, wallet.inconsistent, wallet.doubleCharged]).toEqual([m(3, 426.6), 1, m(1, 300), m(1, 101.6), none]);
    const stripe = await getImpact(store, { ...common, gateway: 'stripe' });
    // ok, declined, no-rate, twice; failover-failed went last to adyen
    expect([stripe.payments, stripe.failed, stripe.doubleCharged]).toEqual([m(4, 194), expect.objectContaining(m(2, 54)), m(1, 40)]);
    expect(stripe.byGateway.map((g) => g.gateway)).toEqual(['stripe']);
  });

  it('the callback SLA decides stuck or pending', async () => {
    const r = await getImpact(store, { ...common, sla: { defaultSec: 300, byGateway: { alipay: 4000 } } });
    expect(r.stuck).toEqual(none);
    const short = await getImpact(store, { ...common, sla: { defaultSec: 60, byGateway: {} } });
    expect(short.stuck).toEqual(m(2, 310));
  });

  it('every currency without a rate is counted and named; a payment without an amount is not unconverted', async () => {
    const fx = parseFxRates('{"asOf": "2026-01-15", "base": "USD", "rates": {}}');
    const r = await getImpact(store, { ...common, fx: { table: fx, currency: 'USD' } });
    // Only USD has a rate: EUR, CNY, GBP and XYZ are named; the payment without an amount is not unconverted.
    expect(r.unconverted).toEqual({ count: 4, currencies: ['CNY', 'EUR', 'GBP', 'XYZ'] });
    expect(r.withoutAmount).toBe(1);
  });

  it('another reporting currency, rate table and error classes apply to stored spans', async () => {
    const fx = parseFxRates('{"asOf": "2026-01-15", "base": "EUR", "rates": {"USD": 0.5, "XYZ": 0.01}}');
    const r = await getImpact(store, { ...common, fx: { table: fx, currency: 'EUR' }, errorCodes: new ErrorCodeTable(parseErrorClasses('{"stripe": {"insufficient_funds": "fraud"}}')) });
    expect(r.currency).toBe('EUR');
    expect(r.ratesAsOf).toBe('2026-01-15');
    // USD payments at 0.5: ok 50, stuck 150, twice 20, waiting 5, risky 12.5; XYZ 1000 × 0.01 = 10; EUR declined 50; CNY and GBP now without a rate
    expect(r.payments).toEqual(m(10, 297.5));
    expect(r.unconverted).toEqual({ count: 2, currencies: ['CNY', 'GBP'] });
    expect(r.failed.byClass.fraud).toEqual(m(2, 62.5));
    expect(r.failed.byClass.decline).toEqual(m(1, 10));
  });
});
