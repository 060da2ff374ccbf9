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
export type Gateway = 'alipay' | 'wechatpay' | 'stripe' | 'paypal';

export interface GatewayProfile {
  gateway: Gateway;
  /** Public API host the adapter calls. */
  host: string;
  /** Path of the payment call on that host (also the mock gateway's server span route). */
  path: string;
  /** Median / log-sigma of the provider's processing time, ms. */
  latencyMedianMs: number;
  latencySigma: number;
  /** Synchronous provider errors on the request, and their codes. */
  requestErrorRate: number;
  requestErrorCodes: readonly string[];
  /** The provider hangs (the caller times out). */
  hangRate: number;
  /** Callback (webhook / async notify) delay after the request, median ms / sigma. */
  callbackMedianMs: number;
  callbackSigma: number;
  /** Asynchronous declines reported by the callback, and their codes. */
  declineRate: number;
  declineCodes: readonly string[];
}

export const GATEWAYS: Readonly<Record<Gateway, GatewayProfile>> = {
  alipay: {
    gateway: 'alipay', host: 'openapi.alipay.com', path: '/gateway.do',
    latencyMedianMs: 180, latencySigma: 0.45,
    requestErrorRate: 0.012, requestErrorCodes: ['ACQ.SYSTEM_ERROR', 'ACQ.INVALID_PARAMETER', 'ACQ.ACCESS_FORBIDDEN'],
    hangRate: 0.001,
    callbackMedianMs: 2500, callbackSigma: 0.7,
    declineRate: 0.03, declineCodes: ['ACQ.BUYER_BALANCE_NOT_ENOUGH', 'ACQ.TRADE_HAS_CLOSE', 'ACQ.PAYMENT_AUTH_CODE_INVALID'],
  },
  wechatpay: {
    gateway: 'wechatpay', host: 'api.mch.weixin.qq.com', path: '/v3/pay/transactions/native',
    latencyMedianMs: 150, latencySigma: 0.45,
    requestErrorRate: 0.01, requestErrorCodes: ['SYSTEM_ERROR', 'PARAM_ERROR', 'FREQUENCY_LIMITED'],
    hangRate: 0.001,
    callbackMedianMs: 2000, callbackSigma: 0.7,
    declineRate: 0.03, declineCodes: ['NOTENOUGH', 'ORDERCLOSED', 'USERPAYING'],
  },
  stripe: {
    gateway: 'stripe', host: 'api.stripe.com', path: '/v1/payment_intents',
    latencyMedianMs: 350, latencySigma: 0.55,
    requestErrorRate: 0.015, requestErrorCodes: ['card_declined', 'processing_error', 'rate_limit'],
    hangRate: 0.001,
    callbackMedianMs: 1200, callbackSigma: 0.6,
    declineRate: 0.025, declineCodes: ['insufficient_funds', 'expired_card', 'do_not_honor'],
  },
  paypal: {
    gateway: 'paypal', host: 'api-m.paypal.com', path: '/v2/checkout/orders',
    latencyMedianMs: 450, latencySigma: 0.5,
    requestErrorRate: 0.012, requestErrorCodes: ['INTERNAL_SERVER_ERROR', 'INSTRUMENT_DECLINED', 'UNPROCESSABLE_ENTITY'],
    hangRate: 0.001,
    callbackMedianMs: 4000, callbackSigma: 0.8,
    declineRate: 0.02, declineCodes: ['PAYER_ACTION_REQUIRED', 'INSTRUMENT_DECLINED', 'TRANSACTION_REFUSED'],
  },
};

export interface ChannelProfile {
  channel: Channel;
  gateway: Gateway;
  adapter: string;
  share: number;
  currencies: readonly string[];
  /** Median amount in the first currency's units. */
  amountMedian: number;
}

export const CHANNELS: readonly ChannelProfile[] = [
  { channel: 'alipay', gateway: 'alipay', adapter: 'adapter-alipay', share: 0.3, currencies: ['CNY'], amountMedian: 320 },
  { channel: 'wechatpay', gateway: 'wechatpay', adapter: 'adapter-wechatpay', share: 0.25, currencies: ['CNY'], amountMedian: 260 },
  { channel: 'card', gateway: 'stripe', adapter: 'adapter-card', share: 0.35, currencies: ['USD', 'EUR', 'GBP'], amountMedian: 48 },
  { channel: 'paypal', gateway: 'paypal', adapter: 'adapter-paypal', share: 0.1, currencies: ['USD', 'EUR'], amountMedian: 55 },
];

export const SERVICES = [
  'checkout', 'order', 'inventory', 'risk', 'payment',
  'adapter-alipay', 'adapter-wechatpay', 'adapter-card', 'adapter-paypal',
  'alipay', 'wechatpay', 'stripe', 'paypal',
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
  /** Inventory's database call, median ms / sigma. */
  dbMedianMs: 4,
  dbSigma: 0.5,
} as const;

/** The baseline's rates, overridable per run of the live platform. */
export type Baseline = { -readonly [K in keyof typeof BASELINE]: number };
