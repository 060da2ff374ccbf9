import { describe, expect, it } from 'vitest';
import { GatewayHostTable, hostOfUrl } from '../src/index.js';

describe('GatewayHostTable built-in hosts', () => {
  const table = new GatewayHostTable();

  it.each([
    ['api.stripe.com', 'stripe'],
    ['checkout-test.adyen.com', 'adyen'],
    ['1797a841fbb37ca7-AdyenDemo-checkout-live.adyenpayments.com', 'adyen'],
    ['api.paypal.com', 'paypal'],
    ['api-m.sandbox.paypal.com', 'paypal'],
    ['api.sandbox.braintreegateway.com', 'braintree'],
    ['payments.braintree-api.com', 'braintree'],
    ['openapi.alipay.com', 'alipay'],
    ['open-sea-global.alipay.com', 'alipay'],
    ['openapi-sandbox.dl.alipaydev.com', 'alipay'],
    ['open-sea-global.alipayplus.com', 'alipay'],
    ['api.mch.weixin.qq.com', 'wechatpay'],
    ['apihk.mch.weixin.qq.com', 'wechatpay'],
    ['gateway.95516.com', 'unionpay'],
    ['gateway.test.95516.com', 'unionpay'],
    ['api.checkout.com', 'checkout.com'],
    ['pk7abc.api.sandbox.checkout.com', 'checkout.com'],
    ['connect.squareup.com', 'square'],
    ['api.razorpay.com', 'razorpay'],
    ['api-na.playground.klarna.com', 'klarna'],
    ['api.mollie.com', 'mollie'],
    ['API.STRIPE.COM.', 'stripe'],
    ['api.stripe.com:443', 'stripe'],
  ])('%s → %s', (host, gateway) => {
    expect(table.lookup(host)).toBe(gateway);
  });

  it.each([
    'stripe.com', // bare domain: not an API host
    'adyen.com', // a wildcard matches subdomains only
    'api.stripe.com.evil.example', // suffix tricks
    'notadyen.com',
    'weixin.qq.com',
    'localhost',
    '10.0.0.5',
  ])('%s is not a gateway', (host) => {
    expect(table.lookup(host)).toBeUndefined();
  });
});

describe('GatewayHostTable configuration', () => {
  it('adds custom hosts, exact and wildcard', () => {
    const table = new GatewayHostTable({ 'gw.example.com': 'acme', '*.pay.example.org': 'acme-eu' });
    expect(table.lookup('gw.example.com')).toBe('acme');
    expect(table.lookup('a.b.pay.example.org')).toBe('acme-eu');
    expect(table.lookup('pay.example.org')).toBeUndefined();
    expect(table.lookup('api.stripe.com')).toBe('stripe');
  });

  it('lets configuration override a built-in entry, and the most specific pattern win', () => {
    const table = new GatewayHostTable({ 'api.stripe.com': 'stripe-proxy', '*.adyenpayments.com': 'adyen-live', 'eu.checkout-test.adyen.com': 'adyen-eu' });
    expect(table.lookup('api.stripe.com')).toBe('stripe-proxy');
    expect(table.lookup('x-checkout-live.adyenpayments.com')).toBe('adyen-live');
    expect(table.lookup('eu.checkout-test.adyen.com')).toBe('adyen-eu');
    expect(table.lookup('checkout-test.adyen.com')).toBe('adyen');
  });

  it('can start without the built-in table', () => {
    const table = new GatewayHostTable({ 'gw.example.com': 'acme' }, { builtins: false });
    expect(table.lookup('api.stripe.com')).toBeUndefined();
    expect(table.lookup('gw.example.com')).toBe('acme');
  });

  it('parses PAYSCOPE_GATEWAY_HOSTS text and skips malformed items', () => {
    expect(GatewayHostTable.parse(' gw.example.com=acme, *.pay.example.org = acme ,,broken, =x, y= ')).toEqual([
      ['gw.example.com', 'acme'],
      ['*.pay.example.org', 'acme'],
    ]);
  });
});

describe('gateway from span attributes', () => {
  const table = new GatewayHostTable({ 'gw.example.com': 'acme' });

  it.each([
    [{ 'server.address': 'api.stripe.com' }, 'stripe'],
    [{ 'url.full': 'https://user:secret@api-m.paypal.com:8443/v2/checkout/orders?x=1' }, 'paypal'],
    [{ 'http.url': 'https://openapi.alipay.com/gateway.do' }, 'alipay'],
    [{ 'net.peer.name': 'gw.example.com' }, 'acme'],
    // the first attribute naming a gateway wins; an internal server.address does not hide url.full
    [{ 'server.address': '10.1.2.3', 'url.full': 'https://api.razorpay.com/v1/orders' }, 'razorpay'],
    [{ 'server.address': 'ledger.internal', 'url.full': 'http://ledger.internal/charge' }, undefined],
    // a URL that starts like the host already checked still has its own host read
    [{ 'server.address': 'ledger.internal', 'url.full': 'http://ledger.internal:8080@api.stripe.com/v1' }, 'stripe'],
    [{ 'server.address': 'ledger.internal', 'url.full': 'http://ledger.internal:pw@api.stripe.com/v1' }, 'stripe'],
    [{ 'server.address': 'api', 'url.full': 'https://api.stripe.com/v1/charges' }, 'stripe'],
    [{ 'server.address': 'ledger.internal', 'url.full': 'http://ledger.internal:8080' }, undefined],
    [{ 'url.full': 'not a url' }, undefined],
  ])('%j → %s', (attributes, gateway) => {
    expect(table.lookupAttributes(attributes)).toBe(gateway);
  });

  it.each([
    ['https://api.stripe.com/v1/charges', 'api.stripe.com'],
    ['http://user:pw@host.example:8080/x', 'host.example'],
    ['http://[::1]:4318/v1/traces', '::1'],
    ['https://api.mollie.com?x=1', 'api.mollie.com'],
    ['https://api.mollie.com#frag', 'api.mollie.com'],
    ['/relative/path', undefined],
  ])('hostOfUrl(%s) = %s', (url, host) => {
    expect(hostOfUrl(url)).toBe(host);
  });
});
