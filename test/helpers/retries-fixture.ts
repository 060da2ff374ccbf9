import type { FixtureSpan } from './fixtures';

// Hand-drawn orders for the retries and double-charge tests (lib/queries/retries.test.ts,
// lib/api/retries.test.ts). Times are seconds after RETRIES_T0; the tests' range is [T0, T0 + 1 h).
export const RETRIES_T0 = Date.parse('2025-05-01T10:00:00Z');

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

export const RETRIES_FIXTURE: FixtureSpan[] = [
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
    230 cb  alipay succeeded
    260 cb  alipay succeeded dup`),
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

