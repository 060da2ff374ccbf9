import { diag, type Attributes } from '@opentelemetry/api';

/**
 * Well-known payment provider API hosts. A pattern is an exact host (`api.stripe.com`) or a
 * wildcard (`*.adyen.com`) matching every subdomain at any depth, but not the bare domain.
 */
export const BUILTIN_GATEWAY_HOSTS: Readonly<Record<string, string>> = Object.freeze({
  // Stripe
  'api.stripe.com': 'stripe',
  'files.stripe.com': 'stripe',
  'connect.stripe.com': 'stripe',
  // Adyen (live endpoints are {prefix}-checkout-live.adyenpayments.com)
  '*.adyen.com': 'adyen',
  '*.adyenpayments.com': 'adyen',
  // PayPal
  'api.paypal.com': 'paypal',
  'api-m.paypal.com': 'paypal',
  'api.sandbox.paypal.com': 'paypal',
  'api-m.sandbox.paypal.com': 'paypal',
  'ipnpb.paypal.com': 'paypal',
  // Braintree (REST/SOAP and GraphQL)
  '*.braintreegateway.com': 'braintree',
  'payments.braintree-api.com': 'braintree',
  'payments.sandbox.braintree-api.com': 'braintree',
  // Alipay, Alipay global and Alipay+
  'openapi.alipay.com': 'alipay',
  '*.alipay.com': 'alipay',
  '*.alipaydev.com': 'alipay',
  '*.alipayplus.com': 'alipay',
  // WeChat Pay (api, api2, apihk, ... .mch.weixin.qq.com)
  'api.mch.weixin.qq.com': 'wechatpay',
  '*.mch.weixin.qq.com': 'wechatpay',
  // UnionPay
  '*.95516.com': 'unionpay',
  '*.unionpay.com': 'unionpay',
  '*.unionpayintl.com': 'unionpay',
  // Checkout.com (also per-merchant {prefix}.api.checkout.com)
  'api.checkout.com': 'checkout.com',
  'api.sandbox.checkout.com': 'checkout.com',
  '*.api.checkout.com': 'checkout.com',
  '*.api.sandbox.checkout.com': 'checkout.com',
  // Square
  'connect.squareup.com': 'square',
  'connect.squareupsandbox.com': 'square',
  // Razorpay
  'api.razorpay.com': 'razorpay',
  // Klarna (api, api-na, api-oc, playground)
  '*.klarna.com': 'klarna',
  // Mollie
  'api.mollie.com': 'mollie',
  // Worldpay
  'access.worldpay.com': 'worldpay',
  'try.access.worldpay.com': 'worldpay',
  // Authorize.Net
  'api.authorize.net': 'authorize.net',
  'apitest.authorize.net': 'authorize.net',
  // Cybersource
  'api.cybersource.com': 'cybersource',
  'apitest.cybersource.com': 'cybersource',
  // GoCardless
  'api.gocardless.com': 'gocardless',
  'api-sandbox.gocardless.com': 'gocardless',
  // Airwallex
  'api.airwallex.com': 'airwallex',
  'api-demo.airwallex.com': 'airwallex',
  // Mercado Pago, dLocal, Paystack, Flutterwave, Xendit, Paytm, Rapyd
  'api.mercadopago.com': 'mercadopago',
  'api.dlocal.com': 'dlocal',
  'sandbox.dlocal.com': 'dlocal',
  'api.paystack.co': 'paystack',
  'api.flutterwave.com': 'flutterwave',
  'api.xendit.co': 'xendit',
  'securegw.paytm.in': 'paytm',
  'securegw-stage.paytm.in': 'paytm',
  'api.rapyd.net': 'rapyd',
  'sandboxapi.rapyd.net': 'rapyd',
});

/** Environment variable with extra `host=gateway` pairs, comma separated. */
export const ENV_GATEWAY_HOSTS = 'PAYSCOPE_GATEWAY_HOSTS';

export interface GatewayHostTableOptions {
  /** Start from {@link BUILTIN_GATEWAY_HOSTS}. @default true */
  builtins?: boolean;
}

function normalizeHost(host: string): string {
  let h = host.trim().toLowerCase();
  if (h.endsWith('.')) h = h.slice(0, -1);
  return h;
}

/**
 * Maps hosts to payment gateways. Lookup takes the most specific match: an exact host first,
 * then the wildcard with the longest suffix. Adding a pattern that exists replaces its gateway,
 * so configuration overrides the built-in table.
 */
export class GatewayHostTable {
  private readonly exact = new Map<string, string>();
  // '*.adyen.com' is stored under '.adyen.com'.
  private readonly suffixes = new Map<string, string>();
  // Services call a handful of hosts: remember answers (null = not a gateway), cleared on change.
  private readonly cache = new Map<string, string | null>();

  constructor(entries?: Record<string, string> | Iterable<readonly [string, string]>, options: GatewayHostTableOptions = {}) {
    if (options.builtins !== false) this.addAll(BUILTIN_GATEWAY_HOSTS);
    if (entries !== undefined) this.addAll(entries);
  }

  /** Parses `PAYSCOPE_GATEWAY_HOSTS`-style text: `gw.example.com=acme,*.pay.example.org=acme`. */
  static parse(text: string): Array<[string, string]> {
    const entries: Array<[string, string]> = [];
    for (const item of text.split(',')) {
      const trimmed = item.trim();
      if (trimmed === '') continue;
      const eq = trimmed.indexOf('=');
      const pattern = eq === -1 ? '' : trimmed.slice(0, eq).trim();
      const gateway = eq === -1 ? '' : trimmed.slice(eq + 1).trim();
      if (pattern === '' || gateway === '') {
        diag.warn(`payscope: ignoring gateway host entry "${trimmed}": expected host=gateway`);
        continue;
      }
      entries.push([pattern, gateway]);
    }
    return entries;
  }

  add(pattern: string, gateway: string): this {
    this.cache.clear();
    const p = normalizeHost(pattern);
    if (p.startsWith('*.')) this.suffixes.set(p.slice(1), gateway);
    else this.exact.set(p, gateway);
    return this;
  }

  addAll(entries: Record<string, string> | Iterable<readonly [string, string]>): this {
    const pairs = Symbol.iterator in entries
      ? (entries as Iterable<readonly [string, string]>)
      : Object.entries(entries as Record<string, string>);
    for (const [pattern, gateway] of pairs) this.add(pattern, gateway);
    return this;
  }

  /** The gateway for `host` (a hostname, optionally with a port), or undefined. */
  lookup(host: string): string | undefined {
    const cached = this.cache.get(host);
    if (cached !== undefined) return cached ?? undefined;
    const gateway = this.match(normalizeHost(stripPort(host)));
    if (this.cache.size >= 1024) this.cache.clear();
    this.cache.set(host, gateway ?? null);
    return gateway;
  }

  private match(h: string): string | undefined {
    const exact = this.exact.get(h);
    if (exact !== undefined) return exact;
    for (let dot = h.indexOf('.'); dot !== -1; dot = h.indexOf('.', dot + 1)) {
      const gateway = this.suffixes.get(h.slice(dot));
      if (gateway !== undefined) return gateway;
    }
    return undefined;
  }

  /**
   * The gateway a client span calls, from the first of `server.address`, `url.full`,
   * `http.url` and `net.peer.name` whose host is in the table.
   */
  lookupAttributes(attributes: Attributes): string | undefined {
    let checked: string | undefined;
    for (const key of HOST_ATTRIBUTES) {
      const value = attributes[key];
      if (typeof value !== 'string' || value === '') continue;
      const isUrl = key === 'url.full' || key === 'http.url';
      // Usually every attribute names the same host: look it up once (and do not even cut it out of the URL).
      if (isUrl && checked !== undefined && urlHostIs(value, checked)) continue;
      const host = isUrl ? hostOfUrl(value) : value;
      if (host === undefined || host === checked) continue;
      checked = host;
      const gateway = this.lookup(host);
      if (gateway !== undefined) return gateway;
    }
    return undefined;
  }

  /** Pattern → gateway, built-in and configured, for diagnostics and docs. */
  entries(): Array<[string, string]> {
    return [...this.exact.entries(), ...[...this.suffixes.entries()].map(([s, g]): [string, string] => [`*${s}`, g])];
  }
}

const HOST_ATTRIBUTES = ['server.address', 'url.full', 'http.url', 'net.peer.name'] as const;

function stripPort(host: string): string {
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end === -1 ? host : host.slice(1, end);
  }
  const colon = host.indexOf(':');
  // More than one colon is a bare IPv6 address, not host:port.
  return colon !== -1 && host.indexOf(':', colon + 1) === -1 ? host.slice(0, colon) : host;
}

/** Whether the URL's authority is `host` or `host:port` (no user info): a cheap test before {@link hostOfUrl}. */
function urlHostIs(url: string, host: string): boolean {
  const scheme = url.indexOf('://');
  if (scheme === -1 || !url.startsWith(host, scheme + 3)) return false;
  const end = scheme + 3 + host.length;
  if (end === url.length) return true;
  let i = end;
  if (url.charCodeAt(i) === 58 /* : */) {
    // A port, not `host:password@other-host`.
    i++;
    while (i < url.length && url.charCodeAt(i) >= 48 && url.charCodeAt(i) <= 57) i++;
    if (i === url.length) return true;
  }
  const c = url.charCodeAt(i);
  return c === 47 /* / */ || c === 63 /* ? */ || c === 35 /* # */;
}

/** The host of an absolute URL, without user info or port; no full URL parse on the hot path. */
export function hostOfUrl(url: string): string | undefined {
  const scheme = url.indexOf('://');
  if (scheme === -1) return undefined;
  let start = scheme + 3;
  let end = url.length;
  for (let i = start; i < url.length; i++) {
    const c = url.charCodeAt(i);
    if (c === 47 /* / */ || c === 63 /* ? */ || c === 35 /* # */) {
      end = i;
      break;
    }
  }
  const at = url.lastIndexOf('@', end - 1);
  if (at >= start) start = at + 1;
  const host = stripPort(url.slice(start, end));
  return host === '' ? undefined : host;
}
