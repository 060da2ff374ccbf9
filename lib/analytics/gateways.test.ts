import { describe, expect, it } from 'vitest';
import { parseGatewayHosts } from '../config';
import { GatewayHostTable, gatewayHostArrays, gatewayOf, isTimeout } from './gateways';

/** The SQL lookup (lib/queries/gateway-sql.ts) evaluated in JS: exact host, then first suffix. */
function arraysLookup(a: ReturnType<typeof gatewayHostArrays>, host: string): string {
  const i = a.exactHosts.indexOf(host);
  if (i >= 0) return a.exactGateways[i];
  const j = a.suffixes.findIndex((s) => host.endsWith(s));
  return j >= 0 ? a.suffixGateways[j] : '';
}

describe('gateway classification', () => {
  const table = new GatewayHostTable(parseGatewayHosts('pay.example.com=acme, *.psp.example.org=examplepsp, api.stripe.com=stripe-eu'));

  it.each([
    ['stripe', 'api.stripe.com', 'stripe'],
    ['', 'api-m.paypal.com', 'paypal'],
    ['', 'openapi.alipay.com', 'alipay'],
    ['', 'api.mch.weixin.qq.com', 'wechatpay'],
    ['', 'x.checkout-live.adyenpayments.com', 'adyen'],
    ['', 'pay.example.com', 'acme'],
    ['', 'eu.psp.example.org', 'examplepsp'],
    ['', 'api.stripe.com', 'stripe-eu'], // configuration overrides the built-in entry
    ['', 'stripe.com', ''],
    ['', 'api.stripe.com.evil.example', ''],
    ['', 'order', ''],
    ['', '', ''],
  ])('payment.gateway=%j host=%j → %j', (attr, host, want) => {
    expect(gatewayOf(table, attr, host)).toBe(want);
  });

  it('the SQL arrays give the same answer as the table for every pattern and some near misses', () => {
    const a = gatewayHostArrays(table);
    const hosts = table.entries().flatMap(([p]) => {
      const h = p.replace(/^\*\./, 'sub.');
      return [h, `a.b.${h}`, h.slice(1), `x${h}`];
    });
    for (const h of hosts) expect(arraysLookup(a, h), h).toBe(table.lookup(h) ?? '');
  });

  it('knows the providers the issue lists', () => {
    const t = new GatewayHostTable();
    for (const g of ['stripe', 'adyen', 'paypal', 'braintree', 'alipay', 'wechatpay', 'unionpay', 'checkout.com', 'square', 'razorpay', 'klarna', 'mollie']) {
      expect(t.entries().some(([, gw]) => gw === g), g).toBe(true);
    }
  });

  it.each([
    ['timeout', '', true],
    ['', 'true', true],
    ['ETIMEDOUT', '', true],
    ['500', '', false],
    ['', 'false', false],
  ])('error.type=%j payment.timeout=%j → timeout %s', (type, flag, want) => {
    expect(isTimeout(type, flag)).toBe(want);
  });
});
