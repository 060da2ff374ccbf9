import type { FixtureSpan } from './fixtures';

// Hand-drawn payments for the money-at-stake tests (lib/queries/impact.test.ts, lib/api/impact.test.ts).
// Times are seconds after IMPACT_T0; the tests' range is [T0, T0 + 1 h), the callback SLA 300 s.
export const IMPACT_T0 = Date.parse('2025-06-02T08:00:00Z');
export const IMPACT_RANGE = { from: new Date(IMPACT_T0), to: new Date(IMPACT_T0 + 3_600_000) };

/**
 * One payment: `order.create` at `sec` carrying the amount (the span `withPayment` tags), then one
 * stage span a line, each in a trace of its own:
 * `<sec> req <gateway> ok|accepted|timeout|error CODE HTTP` (a gateway.request client span),
 * `<sec> cb <gateway> succeeded|failed CODE` (its callback), `<sec> confirm ok|failed CODE`.
 */
function payment(orderId: string, channel: string, amount: string | null, currency: string | null, sec: number, lines: string): FixtureSpan[] {
  const ctx = { 'payment.order_id': orderId, 'payment.channel': channel };
  const money: Record<string, string> = {};
  if (amount !== null) money['payment.amount'] = amount;
  if (currency !== null) money['payment.currency'] = currency;
  const create: FixtureSpan = {
    trace: `${orderId}-create`, id: `${orderId}-create`, service: 'order', name: 'POST /orders', start: sec * 1000, dur: 20,
    attrs: { ...ctx, ...money, 'payment.stage': 'order.create' },
  };
  const spans = lines.trim().split('\n').map((line, i): FixtureSpan => {
    const [at, kind, a, b, c, d] = line.trim().split(/\s+/);
    const attrs: Record<string, string> = { ...ctx };
    let status: FixtureSpan['status'] = 'Unset';
    const base = { trace: `${orderId}-${i}`, id: `${orderId}-${i}`, start: Number(at) * 1000, dur: 200 };
    if (kind === 'confirm') {
      attrs['payment.stage'] = 'order.confirm';
      if (a === 'failed') Object.assign(attrs, { 'payment.outcome': 'failed', 'payment.error_code': b });
      if (a === 'failed') status = 'Error';
      return { ...base, service: 'order', name: 'confirm', attrs, status };
    }
    attrs['payment.gateway'] = a;
    attrs['payment.stage'] = kind === 'req' ? 'gateway.request' : 'gateway.callback';
    if (b === 'ok' || b === 'succeeded') attrs['payment.outcome'] = 'succeeded';
    if (b === 'timeout') Object.assign(attrs, { 'error.type': 'timeout', 'payment.timeout': 'true' });
    if (b === 'error') Object.assign(attrs, { 'payment.outcome': 'failed', ...(c !== '-' ? { 'payment.error_code': c } : {}), 'http.response.status_code': d });
    if (b === 'failed') Object.assign(attrs, { 'payment.outcome': 'failed', 'payment.error_code': c });
    if (b === 'timeout' || b === 'error') status = 'Error';
    return kind === 'req'
      ? { ...base, service: 'adapter', name: 'POST', kind: 'Client', attrs: { ...attrs, ...money }, status }
      : { ...base, service: 'payment', name: 'POST /callbacks/:gateway', attrs: { ...attrs, ...money }, status };
  });
  return [create, ...spans];
}

export const IMPACT_FIXTURE: FixtureSpan[] = [
  // Paid and confirmed.
  ...payment('ok', 'card', '100.00', 'USD', 10, `
    12 req stripe ok
    14 confirm ok`),
  // Declined by the issuer: failed, decline, on stripe.
  ...payment('declined', 'card', '50', 'EUR', 20, `
    22 req stripe error insufficient_funds 402`),
  // Timeout on stripe, failover to adyen, rejected there: failed by its last attempt (adyen), provider_error.
  ...payment('failover-failed', 'card', '200', 'CNY', 30, `
    32 req stripe timeout
    64 req adyen error - 500`),
  // Accepted by alipay, no callback 50 minutes later: stuck on alipay.
  ...payment('stuck', 'wallet', '300', 'USD', 600, `
    602 req alipay accepted`),
  // Paid, then the order failed to confirm: inconsistent, not failed.
  ...payment('paid-not-confirmed', 'wallet', '80', 'GBP', 40, `
    42 req wechatpay accepted
    60 cb wechatpay succeeded
    61 confirm failed ORDER_STATE_CONFLICT`),
  // A currency without a rate: counted, amount unconverted.
  ...payment('no-rate', 'card', '1000', 'XYZ', 50, `
    52 req stripe error do_not_honor 402`),
  // No amount at all.
  ...payment('no-amount', 'card', null, null, 70, `
    72 req paypal error - 503`),
  // Charged twice by two successful requests.
  ...payment('twice', 'card', '40', 'USD', 80, `
    82 req stripe ok
    90 req stripe ok
    95 confirm ok`),
  // Accepted two minutes before the end: not yet past the SLA, pending.
  ...payment('waiting', 'card', '10', 'USD', 3470, `
    3480 req alipay accepted`),
  // Blocked by alipay's risk rules: failed, fraud.
  ...payment('risky', 'wallet', '25.00', 'USD', 100, `
    102 req alipay error ACQ.PAYMENT_REQUEST_HAS_RISK 200`),
];
