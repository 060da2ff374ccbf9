/**
 * The simulated payment platform's catalogue: services, channels, gateways, stages, error codes and
 * the latency/failure distributions of a normal day. The flow model (payment.ts) draws from it; the
 * seeder and the live platform both act that model out (sim/README.md has the trace diagrams).
 */

export const STAGES = {
  orderCreate: 'order.create',
  inventoryReserve: 'inventory.reserve',
  riskCheck: 'risk.check',
  paymentSubmit: 'payment.submit',
  gatewayRequest: 'gateway.request',
  gatewayCallback: 'gateway.callback',
  orderConfirm: 'order.confirm',
} as const;

export type Channel = 'alipay' | 'wechatpay' | 'card' | 'paypal';
export type Gateway = 'alipay' | 'wechatpay' | 'stripe' | 'adyen' | 'paypal';

/** Why a gateway call failed (docs/design.md "Error classes"); the simulator's own truth, not payscope's classifier. */
export const ERROR_CLASSES = ['decline', 'fraud', 'invalid_request', 'provider_error', 'timeout', 'network'] as const;
export type ErrorClass = (typeof ERROR_CLASSES)[number];
/** The classes a provider answers with a code. */
export type AnsweredClass = 'decline' | 'fraud' | 'invalid_request' | 'provider_error';

/** A provider's raw code and the HTTP status it comes with. */
export interface ProviderCode {
  code: string;
  status: number;
}

export interface GatewayProfile {
  gateway: Gateway;
  /** Public API host the adapter calls. */
  host: string;
  /** Path of the payment call on that host (also the mock gateway's server span route). */
  path: string;
  /** Median / log-sigma of the provider's processing time, ms. */
  latencyMedianMs: number;
  latencySigma: number;
  /**
   * Synchronous failures of the request by class: rate and the provider's codes. The first
   * provider_error code is the one a degraded gateway answers with.
   */
  requestErrors: Readonly<Record<AnsweredClass, { rate: number; codes: readonly ProviderCode[] }>>;
  /** The connection fails (reset, refused) before any answer. */
  networkRate: number;
  /** The provider hangs (the caller times out). */
  hangRate: number;
  /** A successful authorisation is already final in the synchronous answer (adyen), the callback repeats it. */
  syncSuccess: boolean;
  /** Callback (webhook / async notify) delay after the request, median ms / sigma. */
  callbackMedianMs: number;
  callbackSigma: number;
  /** Asynchronous declines reported by the callback, and their codes. */
  declineRate: number;
  declineCodes: readonly string[];
}

const codes = (status: number, ...list: string[]): ProviderCode[] => list.map((code) => ({ code, status }));

export const GATEWAYS: Readonly<Record<Gateway, GatewayProfile>> = {
  // alipay.trade.precreate: every answer is HTTP 200, the failure is in code/sub_code.
  alipay: {
    gateway: 'alipay', host: 'openapi.alipay.com', path: '/gateway.do',
    latencyMedianMs: 180, latencySigma: 0.45,
    requestErrors: {
      provider_error: { rate: 0.005, codes: codes(200, 'ACQ.SYSTEM_ERROR', 'isp.unknow-error') },
      invalid_request: { rate: 0.003, codes: codes(200, 'ACQ.INVALID_PARAMETER', 'isv.invalid-signature', 'ACQ.ACCESS_FORBIDDEN') },
      fraud: { rate: 0.002, codes: codes(200, 'ACQ.PAYMENT_REQUEST_HAS_RISK') },
      decline: { rate: 0.002, codes: codes(200, 'ACQ.BUYER_PAYMENT_AMOUNT_DAY_LIMIT_ERROR') },
    },
    networkRate: 0.001, hangRate: 0.002, syncSuccess: false,
    callbackMedianMs: 2500, callbackSigma: 0.7,
    declineRate: 0.03, declineCodes: ['ACQ.BUYER_BALANCE_NOT_ENOUGH', 'ACQ.BUYER_BANKCARD_BALANCE_NOT_ENOUGH', 'ACQ.PAYMENT_AUTH_CODE_INVALID'],
  },
  // WeChat Pay: err_code of the API v2 names, with the HTTP status of the v3 API.
  wechatpay: {
    gateway: 'wechatpay', host: 'api.mch.weixin.qq.com', path: '/v3/pay/transactions/native',
    latencyMedianMs: 150, latencySigma: 0.45,
    requestErrors: {
      provider_error: { rate: 0.005, codes: [{ code: 'SYSTEMERROR', status: 500 }, { code: 'BANKERROR', status: 500 }, { code: 'FREQUENCY_LIMITED', status: 429 }] },
      invalid_request: { rate: 0.003, codes: [{ code: 'PARAM_ERROR', status: 400 }, { code: 'SIGNERROR', status: 401 }, { code: 'APPID_MCHID_NOT_MATCH', status: 400 }] },
      fraud: { rate: 0.001, codes: codes(403, 'TRADE_ERROR') },
      decline: { rate: 0.002, codes: codes(403, 'NOTENOUGH') },
    },
    networkRate: 0.001, hangRate: 0.002, syncSuccess: false,
    callbackMedianMs: 2000, callbackSigma: 0.7,
    declineRate: 0.03, declineCodes: ['NOTENOUGH', 'AUTHCODEEXPIRE', 'USERPAYING'],
  },
  // PaymentIntent with confirm=true: card declines come back synchronously (402, decline_code).
  stripe: {
    gateway: 'stripe', host: 'api.stripe.com', path: '/v1/payment_intents',
    latencyMedianMs: 350, latencySigma: 0.55,
    requestErrors: {
      provider_error: { rate: 0.004, codes: [{ code: 'api_error', status: 500 }, { code: 'rate_limit', status: 429 }, { code: 'processing_error', status: 402 }] },
      invalid_request: { rate: 0.003, codes: [{ code: 'parameter_invalid_empty', status: 400 }, { code: 'parameter_missing', status: 400 }, { code: 'api_key_expired', status: 401 }] },
      fraud: { rate: 0.003, codes: codes(402, 'fraudulent', 'stolen_card') },
      decline: { rate: 0.03, codes: codes(402, 'insufficient_funds', 'card_declined', 'do_not_honor', 'expired_card', 'incorrect_cvc') },
    },
    networkRate: 0.001, hangRate: 0.003, syncSuccess: false,
    callbackMedianMs: 1200, callbackSigma: 0.6,
    declineRate: 0.005, declineCodes: ['authentication_required', 'insufficient_funds'],
  },
  // Adyen /payments: refusals are HTTP 200 with resultCode Refused and a refusalReason; an
  // Authorised answer is final, the AUTHORISATION webhook repeats it.
  adyen: {
    gateway: 'adyen', host: 'payscope-checkout-live.adyenpayments.com', path: '/checkout/v71/payments',
    latencyMedianMs: 300, latencySigma: 0.5,
    requestErrors: {
      provider_error: { rate: 0.004, codes: [{ code: 'Acquirer Error', status: 200 }, { code: '905', status: 500 }] },
      invalid_request: { rate: 0.002, codes: [{ code: '702', status: 422 }, { code: '010', status: 403 }] },
      fraud: { rate: 0.003, codes: codes(200, 'FRAUD', 'Issuer Suspected Fraud') },
      decline: { rate: 0.03, codes: codes(200, 'Refused', 'Not enough balance', 'Expired Card', 'Declined Non Generic') },
    },
    networkRate: 0.001, hangRate: 0.002, syncSuccess: true,
    callbackMedianMs: 1500, callbackSigma: 0.6,
    declineRate: 0, declineCodes: [],
  },
  paypal: {
    gateway: 'paypal', host: 'api-m.paypal.com', path: '/v2/checkout/orders',
    latencyMedianMs: 450, latencySigma: 0.5,
    requestErrors: {
      provider_error: { rate: 0.004, codes: [{ code: 'INTERNAL_SERVER_ERROR', status: 500 }, { code: 'SERVICE_UNAVAILABLE', status: 503 }, { code: 'RATE_LIMIT_REACHED', status: 429 }] },
      invalid_request: { rate: 0.003, codes: [{ code: 'INVALID_PARAMETER_VALUE', status: 400 }, { code: 'MISSING_REQUIRED_PARAMETER', status: 400 }, { code: 'AUTHENTICATION_FAILURE', status: 401 }] },
      fraud: { rate: 0.002, codes: codes(422, 'TRANSACTION_BLOCKED_BY_PAYEE', 'COMPLIANCE_VIOLATION') },
      decline: { rate: 0.005, codes: codes(422, 'INSTRUMENT_DECLINED', 'PAYER_CANNOT_PAY') },
    },
    networkRate: 0.001, hangRate: 0.002, syncSuccess: false,
    callbackMedianMs: 4000, callbackSigma: 0.8,
    declineRate: 0.02, declineCodes: ['INSTRUMENT_DECLINED', 'TRANSACTION_REFUSED', 'PAYER_ACTION_REQUIRED'],
  },
};

/** Network failures on the gateway client span (`error.type`, no HTTP status). */
export const NETWORK_ERRORS = ['ECONNRESET', 'ECONNREFUSED'] as const;

/** Units of each currency per US dollar: amounts are drawn in dollars and shown in the payment's currency. */
export const CURRENCY_PER_USD: Readonly<Record<string, number>> = { USD: 1, EUR: 0.92, GBP: 0.79, JPY: 150, CNY: 7.2 };
/** ISO 4217 minor units: JPY has none. */
export const CURRENCY_DECIMALS: Readonly<Record<string, number>> = { USD: 2, EUR: 2, GBP: 2, JPY: 0, CNY: 2 };

/** A payer's country, its currency and the card issuers found there. */
export interface Country {
  country: string;
  currency: string;
  issuers: readonly string[];
}
export const COUNTRIES: Readonly<Record<string, Country>> = {
  US: { country: 'US', currency: 'USD', issuers: ['Chase', 'Bank of America', 'Capital One'] },
  GB: { country: 'GB', currency: 'GBP', issuers: ['Barclays', 'HSBC', 'Revolut'] },
  DE: { country: 'DE', currency: 'EUR', issuers: ['Deutsche Bank', 'Revolut'] },
  FR: { country: 'FR', currency: 'EUR', issuers: ['BNP Paribas', 'Revolut'] },
  JP: { country: 'JP', currency: 'JPY', issuers: ['MUFG'] },
  CN: { country: 'CN', currency: 'CNY', issuers: [] },
};
export const CARD_BRANDS = ['visa', 'mastercard', 'amex', 'jcb'] as const;
export const CARD_BRAND_SHARES = [0.5, 0.35, 0.1, 0.05] as const;
/** The shopper app's version (`app.version` on the checkout request). */
export const APP_VERSIONS = ['5.2.0', '5.1.3', '4.9.8'] as const;
export const APP_VERSION_SHARES = [0.5, 0.35, 0.15] as const;

export interface ChannelProfile {
  channel: Channel;
  /** The gateway a payment of this channel goes to first. */
  gateway: Gateway;
  /** Where a retry goes after the first gateway timed out or failed on its side (failover); none: the same gateway. */
  fallbackGateway?: Gateway;
  adapter: string;
  share: number;
  /** The payers' countries and their weights. */
  countries: readonly string[];
  countryShares: readonly number[];
  /** Median amount, US dollars. */
  amountMedianUsd: number;
}

export const CHANNELS: readonly ChannelProfile[] = [
  { channel: 'alipay', gateway: 'alipay', adapter: 'adapter-alipay', share: 0.3, countries: ['CN'], countryShares: [1], amountMedianUsd: 44 },
  { channel: 'wechatpay', gateway: 'wechatpay', adapter: 'adapter-wechatpay', share: 0.25, countries: ['CN'], countryShares: [1], amountMedianUsd: 36 },
  {
    channel: 'card', gateway: 'stripe', fallbackGateway: 'adyen', adapter: 'adapter-card', share: 0.35,
    countries: ['US', 'GB', 'DE', 'FR', 'JP'], countryShares: [0.4, 0.15, 0.15, 0.12, 0.18], amountMedianUsd: 48,
  },
  { channel: 'paypal', gateway: 'paypal', adapter: 'adapter-paypal', share: 0.1, countries: ['US', 'DE', 'GB'], countryShares: [0.5, 0.3, 0.2], amountMedianUsd: 55 },
];

/** The gateways a channel's adapter may call, first choice first. */
export function channelGateways(channel: ChannelProfile): Gateway[] {
  return channel.fallbackGateway === undefined ? [channel.gateway] : [channel.gateway, channel.fallbackGateway];
}

/** The participants' branches of the distributed transactions the payment service coordinates. */
export const TX_BRANCHES = { tcc: ['wallet', 'points'], saga: ['points', 'coupon'] } as const;

export const SERVICES = [
  'checkout', 'order', 'inventory', 'risk', 'payment', 'account',
  'adapter-alipay', 'adapter-wechatpay', 'adapter-card', 'adapter-paypal',
  'alipay', 'wechatpay', 'stripe', 'adyen', 'paypal',
] as const;
export type Service = (typeof SERVICES)[number];

/** The platform's normal behaviour (baseline); scenarios change some of it inside their window. */
export const BASELINE = {
  /** Risk engine rejects the payment (flow ends after risk.check, outcome cancelled). */
  riskRejectRate: 0.015,
  /** Out of stock at inventory.reserve (flow ends at order.create). */
  outOfStockRate: 0.01,
  /** The adapter's HTTP timeout towards its gateway, ms. */
  adapterTimeoutMs: 5000,
  /** A timed-out request that the provider processed anyway: its callback still arrives. */
  callbackAfterTimeoutRate: 0.8,
  /** Callbacks that never arrive / arrive late (minutes) / arrive twice. */
  lostCallbackRate: 0.003,
  lateCallbackRate: 0.01,
  duplicateCallbackRate: 0.015,
  /** order.confirm fails although the payment succeeded (an inconsistent payment). */
  confirmFailureRate: 0.003,
  /** The payment service retries a gateway call that failed on the provider's side or the network's (at most `maxAttempts` calls). */
  retryAfterProviderErrorRate: 0.6,
  /** ... and, by a failover to the channel's other gateway, one that timed out: the first may have charged (a double charge when both succeed). */
  retryAfterTimeoutRate: 0.5,
  maxAttempts: 3,
  /** Payments that also move wallet balance and points in a TCC transaction, or redeem points and a coupon in a Saga. */
  tccShare: 0.15,
  sagaShare: 0.08,
  /** Of those, each anomaly kind (empty rollback, hanging, unfinished, mixed outcome, failed compensation). */
  txAnomalyRate: 0.02,
  /** Inventory's database call, median ms / sigma. */
  dbMedianMs: 4,
  dbSigma: 0.5,
} as const;

/** The baseline's rates, overridable per run of the live platform. */
export type Baseline = { -readonly [K in keyof typeof BASELINE]: number };
