import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../clickhouse/migrate';
import { ErrorCodeTable } from '../analytics/error-taxonomy';
import { BUILTIN_FX_RATES } from '../analytics/money';
import type { Store } from '../store/store';
import { insertFixture, traceIdOf, type FixtureSpan } from '../../test/helpers/fixtures';
import { openTempStore } from '../../test/helpers/store';
import { getRetries, listDoubleCharges } from './retries';

// Hand-drawn orders; every expected figure below was worked out from these lines. Times are seconds
// after T0; the range is [T0, T0 + 1 h).
const T0 = Date.parse('2025-05-01T10:00:00Z');
const range = { from: new Date(T0), to: new Date(T0 + 3_600_000) };
const common = { errorCodes: new ErrorCodeTable(), fx: { table: BUILTIN_FX_RATES, currency: 'USD' } };

/**
 * `<sec> req|cb <gateway> <ok|accepted|timeout|error CODE HTTP|succeeded|failed CODE> [ref:R] [dup] [#n]`,
 * each a span of its own trace `<order>-<line>`.
 */
function order(orderId: string, channel: string, amount: string, currency: string, lines: string): FixtureSpan[] {
  return lines.trim().split('\n').map((line, i) => {
    const [sec, kind, gateway, what, ...rest] = line.trim().split(/\s+/);
    const attrs: Record<string, string> = {
      'payment.order_id': orderId, 'payment.channel': channel, 'payment.amount': amount, 'payment.currency': currency,
      'payment.gateway': gateway, 'payment.stage': kind === 'req' ? 'gateway.request' : 'gateway.callback',
    };
    let status: FixtureSpan['status'] = 'Unset';
    if (what === 'ok' || what === 'succeeded') attrs['payment.outcome'] = 'succeeded';
    if (what === 'accepted') attrs['payment.outcome'] = 'pending';
    if (what === 'timeout') Object.assign(attrs, { 'error.type': 'timeout', 'payment.timeout': 'true' });
    if (what === 'error') Object.assign(attrs, { 'payment.outcome': 'failed', 'payment.error_code': rest[0], 'http.response.status_code': rest[1], 'error.type': rest[1] });
    if (what === 'failed') Object.assign(attrs, { 'payment.outcome': 'failed', 'payment.error_code': rest[0] });
    if (what === 'timeout' || what === 'error') status = 'Error';
    for (const r of rest) {
      if (r.startsWith('ref:')) attrs['payment.provider_ref'] = r.slice(4);
      if (r === 'dup') attrs['payment.callback.duplicate'] = 'true';
      if (r.startsWith('#')) attrs['payment.attempt'] = r.slice(1);
    }
    return {
      trace: `${orderId}-${i}`, id: `${orderId}-${i}`, service: kind === 'req' ? 'adapter' : 'payment', name: kind === 'req' ? 'POST' : 'POST /callbacks/:gateway',
      kind: kind === 'req' ? 'Client' : 'Server', start: Number(sec) * 1000, dur: 200, attrs, status,
    };
  });
}

const SPANS: FixtureSpan[] = [
  // Not retried, one charge.
  ...order('single', 'card', '20.00', 'USD', `
    10 req stripe accepted
    40 cb  stripe succeeded ref:ch_1`),
  // Timeout on stripe, failover to adyen, then stripe's late callback: recovered and charged twice.
  ...order('double-failover', 'card', '100.00', 'USD', `
    100 req stripe timeout
    131 req adyen  accepted
    150 cb  adyen  succeeded
    900 cb  stripe succeeded`),
  // A repeated delivery the service recognised: one charge.
  ...order('dup-delivery', 'alipay', '300', 'CNY', `
    200 req alipay accepted
    230 cb  alipay succeeded ref:A1
    260 cb  alipay succeeded ref:A1 dup`),
  // Success on the request and again by its callback: one charge.
  ...order('sync-and-callback', 'paypal', '15.00', 'EUR', `
    300 req paypal ok       ref:P1
    330 cb  paypal succeeded ref:P1`),
  // Two callbacks both fulfilled, two charge ids: charged twice.
  ...order('double-callbacks', 'wechatpay', '88', 'CNY', `
    400 req wechatpay accepted
    420 cb  wechatpay succeeded ref:W1
    440 cb  wechatpay succeeded ref:W2`),
  // Provider error on wechatpay, failover to alipay, declined there: retried, not recovered.
  ...order('declined-after-failover', 'wechatpay', '50', 'CNY', `
    500 req wechatpay error SYSTEMERROR 500
    505 req alipay    accepted
    560 cb  alipay    failed ACQ.BUYER_BALANCE_NOT_ENOUGH`),
  // Declined by stripe, recovered on paypal (EUR): recovered 50 EUR = 54 USD.
  ...order('recovered-eur', 'card', '50.00', 'EUR', `
    600 req stripe error card_declined 402
    610 req paypal ok`),
  // First attempt before the range: not an order of this range.
  ...order('earlier', 'card', '10.00', 'USD', `
    -30 req stripe timeout
    10  req adyen  ok`),
];

let store: Store;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ store, cleanup } = await openTempStore());
  await migrate(store, { retentionDays: 0 });
  await insertFixture(store, SPANS, T0);
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
