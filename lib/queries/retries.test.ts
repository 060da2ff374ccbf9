import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../clickhouse/migrate';
import { ErrorCodeTable } from '../analytics/error-taxonomy';
import { BUILTIN_FX_RATES } from '../analytics/money';
import type { Store } from '../store/store';
import { insertFixture, traceIdOf, type FixtureSpan } from '../../test/helpers/fixtures';
import { RETRIES_FIXTURE, RETRIES_T0 } from '../../test/helpers/retries-fixture';
import { openTempStore } from '../../test/helpers/store';
import { getRetries, listDoubleCharges } from './retries';

// Every expected figure below was worked out by hand from test/helpers/retries-fixture.ts.
const range = { from: new Date(RETRIES_T0), to: new Date(RETRIES_T0 + 3_600_000) };
const common = { errorCodes: new ErrorCodeTable(), fx: { table: BUILTIN_FX_RATES, currency: 'USD' } };

let store: Store;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ store, cleanup } = await openTempStore());
  await migrate(store, { retentionDays: 0 });
  await insertFixture(store, RETRIES_FIXTURE, RETRIES_T0);
});
afterAll(async () => cleanup?.());

describe('getRetries', () => {
  it('counts orders, retries and recoveries, and draws the failover matrix and chains', async () => {
    const r = await getRetries(store, { ...range, ...common });
    expect(r.orders).toBe(7);
    expect(r.retried).toBe(3);
    // double-failover 100 USD + recovered-eur 50 EUR × 1.08
    expect(r.recovered).toEqual({ count: 2, amount: 154 });
    expect(r.currency).toBe('USD');
    expect(r.unconverted).toEqual({ count: 0, currencies: [] });
    expect(r.matrix).toEqual([
      { fromGateway: 'stripe', errorClass: 'decline', toGateway: 'paypal', attempts: 1, recovered: 1 },
      { fromGateway: 'stripe', errorClass: 'timeout', toGateway: 'adyen', attempts: 1, recovered: 1 },
      { fromGateway: 'wechatpay', errorClass: 'provider_error', toGateway: 'alipay', attempts: 1, recovered: 0 },
    ]);
    expect(r.chains.map((c) => [c.orderId, c.attempts.map((a) => `${a.gateway} ${a.outcome} ${a.errorClass ?? '-'}`), c.recovered, c.charges])).toEqual([
      ['recovered-eur', ['stripe failed decline', 'paypal succeeded -'], true, 1],
      ['declined-after-failover', ['wechatpay failed provider_error', 'alipay failed decline'], false, 0],
      ['double-failover', ['stripe succeeded timeout', 'adyen succeeded -'], true, 2],
    ]);
    expect(r.chains[2].attempts.map((a) => a.traceId)).toEqual([traceIdOf('double-failover-0'), traceIdOf('double-failover-1')]);
    expect(r.truncated).toBe(false);
  });

  it('filters by channel; a hostile channel is a value like any other', async () => {
    const card = await getRetries(store, { ...range, ...common, channel: 'card' });
    expect([card.orders, card.retried, card.recovered.count]).toEqual([3, 2, 2]); // single, double-failover, recovered-eur
    const hostile = await getRetries(store, { ...range, ...common, channel: "card' OR 1=1 --" });
    expect([hostile.orders, hostile.retried, hostile.matrix, hostile.chains]).toEqual([0, 0, [], []]);
  });

  it('says when it analysed fewer orders than could have been retried', async () => {
    const r = await getRetries(store, { ...range, ...common, maxOrders: 1 });
    expect(r.truncated).toBe(true);
    expect(r.chains.map((c) => c.orderId)).toEqual(['recovered-eur']);
    expect(r.orders).toBe(7);
  });
});

describe('bounds', () => {
  it('reads at most 64 attempts and callbacks of one order, the earliest', async () => {
    // One order retrying a hundred times, a day after the fixture.
    const at = RETRIES_T0 + 86_400_000;
    const spans: FixtureSpan[] = Array.from({ length: 100 }, (_, i) => ({
      trace: `many-${i}`, id: `many-${i}`, service: 'adapter', name: 'POST', kind: 'Client', start: 1000 + i * 1000, dur: 50, status: 'Error',
      attrs: { 'payment.order_id': 'many', 'payment.stage': 'gateway.request', 'payment.gateway': 'stripe', 'error.type': 'timeout', 'payment.timeout': 'true' },
    }));
    await insertFixture(store, spans, at);
    const r = await getRetries(store, { from: new Date(at), to: new Date(at + 3_600_000), ...common });
    expect([r.orders, r.retried]).toEqual([1, 1]);
    expect(r.chains[0].attempts).toHaveLength(64);
    expect(r.chains[0].attempts[0].traceId).toBe(traceIdOf('many-0'));
    expect(r.chains[0].attempts[63].traceId).toBe(traceIdOf('many-63'));
  });
});

describe('listDoubleCharges', () => {
  it('lists a failover after a timeout that charged too, and two fulfilled callbacks; not a duplicate delivery nor a success reported twice', async () => {
    const r = await listDoubleCharges(store, { ...range, errorCodes: common.errorCodes });
    expect(r.payments).toEqual([
      {
        orderId: 'double-callbacks', channel: 'wechatpay', gateways: ['wechatpay'], charges: 2, amount: '88', currency: 'CNY',
        traceIds: ['double-callbacks-0', 'double-callbacks-1', 'double-callbacks-2'].map(traceIdOf).sort(),
      },
      {
        orderId: 'double-failover', channel: 'card', gateways: ['stripe', 'adyen'], charges: 2, amount: '100.00', currency: 'USD',
        traceIds: ['double-failover-0', 'double-failover-1', 'double-failover-2', 'double-failover-3'].map(traceIdOf).sort(),
      },
    ]);
  });
});
