import { CURRENCY_DECIMALS, GATEWAYS, type Gateway, type ProviderCode } from '../model/catalog';
import { providerRef as refFor } from '../model/payment';
import { hex } from './random';

/**
 * How each mock provider talks, loosely after the real APIs: the adapter's request, the provider's
 * synchronous answer (accepted, or an error code), and the asynchronous result notification
 * (webhook / notify_url) the provider later POSTs to the payment service. Only what the simulation
 * needs: the merchant's order id travels in each provider's own field (out_trade_no, metadata,
 * custom_id), so the payment service finds the payment again from the callback alone.
 */

export interface PaymentRequest {
  orderId: string;
  amount: string;
  currency: string;
  /** Where the provider sends the result (alipay, wechatpay); stripe and paypal use a configured webhook. */
  notifyUrl: string;
  /** The card's issuer (card payments; a real provider knows it from the card number). */
  issuer?: string;
}

export interface Encoded {
  contentType: string;
  body: string;
}

export interface ProviderAnswer {
  accepted: boolean;
  providerRef?: string;
  errorCode?: string;
}

export interface PaymentResult {
  orderId: string;
  providerRef: string;
  succeeded: boolean;
  errorCode?: string;
}

export interface ProviderDialect {
  gateway: Gateway;
  /** The payment call's path on the provider host (sim/model/catalog.ts). */
  path: string;
  encodeRequest(req: PaymentRequest): Encoded;
  decodeRequest(body: Record<string, unknown>): PaymentRequest;
  /** The synchronous "accepted, result follows" answer. */
  acceptedBody(req: PaymentRequest, providerRef: string): unknown;
  /** The answer of a failed request (`status`: its HTTP status, from the catalogue). */
  errorBody(error: ProviderCode): unknown;
  decodeAnswer(status: number, body: Record<string, unknown>): ProviderAnswer;
  encodeCallback(result: PaymentResult, req: PaymentRequest): Encoded;
  decodeCallback(body: Record<string, unknown>): PaymentResult;
}

const json = (value: unknown): Encoded => ({ contentType: 'application/json', body: JSON.stringify(value) });
const form = (value: Record<string, string>): Encoded => ({
  contentType: 'application/x-www-form-urlencoded',
  body: new URLSearchParams(value).toString(),
});
const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));
const obj = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {});
const minor = (amount: string, currency: string) => String(Math.round(Number(amount) * 10 ** (CURRENCY_DECIMALS[currency] ?? 2)));
const major = (units: unknown, currency: string) => {
  const decimals = CURRENCY_DECIMALS[currency] ?? 2;
  return (Number(units) / 10 ** decimals).toFixed(decimals);
};

const alipay: ProviderDialect = {
  gateway: 'alipay',
  path: GATEWAYS.alipay.path,
  encodeRequest: (r) =>
    form({
      method: 'alipay.trade.precreate',
      charset: 'utf-8',
      notify_url: r.notifyUrl,
      biz_content: JSON.stringify({ out_trade_no: r.orderId, total_amount: r.amount, currency: r.currency, subject: 'payscope demo order' }),
    }),
  decodeRequest: (b) => {
    const biz = obj(JSON.parse(str(b.biz_content) || '{}'));
    return { orderId: str(biz.out_trade_no), amount: str(biz.total_amount), currency: str(biz.currency) || 'CNY', notifyUrl: str(b.notify_url) };
  },
  acceptedBody: (r, ref) => ({ alipay_trade_precreate_response: { code: '10000', msg: 'Success', out_trade_no: r.orderId, trade_no: ref, qr_code: `https://qr.alipay.com/${ref}` } }),
  errorBody: ({ code }) => ({ alipay_trade_precreate_response: { code: code === 'ACQ.SYSTEM_ERROR' || code.startsWith('isp.') ? '20000' : '40004', msg: 'Business Failed', sub_code: code } }),
  decodeAnswer: (status, b) => {
    const r = obj(b.alipay_trade_precreate_response);
    return status < 300 && r.code === '10000' ? { accepted: true, providerRef: str(r.trade_no) } : { accepted: false, errorCode: str(r.sub_code) || `HTTP_${status}` };
  },
  encodeCallback: (p, r) =>
    form({
      notify_id: hex(8),
      notify_time: new Date().toISOString(),
      out_trade_no: p.orderId,
      trade_no: p.providerRef,
      trade_status: p.succeeded ? 'TRADE_SUCCESS' : 'TRADE_CLOSED',
      total_amount: r.amount,
      ...(p.errorCode ? { sub_code: p.errorCode } : {}),
    }),
  decodeCallback: (b) => ({
    orderId: str(b.out_trade_no),
    providerRef: str(b.trade_no),
    succeeded: b.trade_status === 'TRADE_SUCCESS',
    errorCode: str(b.sub_code) || undefined,
  }),
};

const wechatpay: ProviderDialect = {
  gateway: 'wechatpay',
  path: GATEWAYS.wechatpay.path,
  encodeRequest: (r) =>
    json({ appid: 'wxd678efh567hg6787', mchid: '1230000109', description: 'payscope demo order', out_trade_no: r.orderId, notify_url: r.notifyUrl, amount: { total: Number(minor(r.amount, r.currency)), currency: r.currency } }),
  decodeRequest: (b) => {
    const amount = obj(b.amount);
    const currency = str(amount.currency) || 'CNY';
    return { orderId: str(b.out_trade_no), amount: major(amount.total, currency), currency, notifyUrl: str(b.notify_url) };
  },
  acceptedBody: (_r, ref) => ({ code_url: `weixin://wxpay/bizpayurl?pr=${ref}` , prepay_id: ref }),
  errorBody: ({ code, status }) => ({ code, message: status >= 500 ? 'system error, please retry' : 'request rejected' }),
  decodeAnswer: (status, b) => (status < 300 ? { accepted: true, providerRef: str(b.prepay_id) } : { accepted: false, errorCode: str(b.code) || `HTTP_${status}` }),
  encodeCallback: (p) =>
    json({
      id: hex(16),
      create_time: new Date().toISOString(),
      event_type: p.succeeded ? 'TRANSACTION.SUCCESS' : 'TRANSACTION.FAIL',
      resource_type: 'encrypt-resource',
      // The real resource is AES-GCM encrypted; the simulation sends it in clear.
      resource: { out_trade_no: p.orderId, transaction_id: p.providerRef, trade_state: p.succeeded ? 'SUCCESS' : 'PAYERROR', ...(p.errorCode ? { trade_state_desc: p.errorCode } : {}) },
    }),
  decodeCallback: (b) => {
    const r = obj(b.resource);
    return { orderId: str(r.out_trade_no), providerRef: str(r.transaction_id), succeeded: r.trade_state === 'SUCCESS', errorCode: str(r.trade_state_desc) || undefined };
  },
};

const stripe: ProviderDialect = {
  gateway: 'stripe',
  path: GATEWAYS.stripe.path,
  encodeRequest: (r) =>
    form({ amount: minor(r.amount, r.currency), currency: r.currency.toLowerCase(), confirm: 'true', 'metadata[order_id]': r.orderId, 'payment_method_data[card][issuer]': r.issuer ?? '' }),
  decodeRequest: (b) => {
    const currency = str(b.currency).toUpperCase();
    return { orderId: str(b['metadata[order_id]']), amount: major(b.amount, currency), currency, notifyUrl: '', issuer: str(b['payment_method_data[card][issuer]']) || undefined };
  },
  acceptedBody: (r, ref) => ({ id: ref, object: 'payment_intent', status: 'processing', amount: Number(minor(r.amount, r.currency)), currency: r.currency.toLowerCase(), metadata: { order_id: r.orderId } }),
  // A card decline is a card_error whose decline_code says why; other errors carry their code.
  errorBody: ({ code, status }) =>
    status === 402 && code !== 'processing_error'
      ? { error: { type: 'card_error', code: 'card_declined', decline_code: code, message: 'Your card was declined.' } }
      : { error: { type: status >= 500 ? 'api_error' : status === 402 ? 'card_error' : 'invalid_request_error', code, message: code.replace(/_/g, ' ') } },
  decodeAnswer: (status, b) => {
    if (status < 300) return { accepted: true, providerRef: str(b.id) };
    const error = obj(b.error);
    return { accepted: false, errorCode: str(error.decline_code) || str(error.code) || `HTTP_${status}` };
  },
  encodeCallback: (p, r) =>
    json({
      id: `evt_${hex(12)}`,
      object: 'event',
      type: p.succeeded ? 'payment_intent.succeeded' : 'payment_intent.payment_failed',
      data: {
        object: {
          id: p.providerRef,
          object: 'payment_intent',
          amount: Number(minor(r.amount, r.currency)),
          currency: r.currency.toLowerCase(),
          metadata: { order_id: p.orderId },
          status: p.succeeded ? 'succeeded' : 'requires_payment_method',
          ...(p.errorCode ? { last_payment_error: { type: 'card_error', code: 'card_declined', decline_code: p.errorCode } } : {}),
        },
      },
    }),
  decodeCallback: (b) => {
    const o = obj(obj(b.data).object);
    const err = obj(o.last_payment_error);
    return { orderId: str(obj(o.metadata).order_id), providerRef: str(o.id), succeeded: b.type === 'payment_intent.succeeded', errorCode: str(err.decline_code || err.code) || undefined };
  },
};

const paypal: ProviderDialect = {
  gateway: 'paypal',
  path: GATEWAYS.paypal.path,
  encodeRequest: (r) => json({ intent: 'CAPTURE', purchase_units: [{ custom_id: r.orderId, amount: { currency_code: r.currency, value: r.amount } }] }),
  decodeRequest: (b) => {
    const unit = obj(Array.isArray(b.purchase_units) ? b.purchase_units[0] : undefined);
    const amount = obj(unit.amount);
    return { orderId: str(unit.custom_id), amount: str(amount.value), currency: str(amount.currency_code), notifyUrl: '' };
  },
  acceptedBody: (_r, ref) => ({ id: ref, status: 'APPROVED', links: [] }),
  errorBody: ({ code, status }) => ({
    name: status === 422 ? 'UNPROCESSABLE_ENTITY' : status === 400 ? 'INVALID_REQUEST' : code,
    message: 'The requested action could not be performed.',
    details: [{ issue: code }],
  }),
  decodeAnswer: (status, b) => {
    if (status < 300) return { accepted: true, providerRef: str(b.id) };
    const issue = str(obj(Array.isArray(b.details) ? b.details[0] : undefined).issue);
    return { accepted: false, errorCode: issue || str(b.name) || `HTTP_${status}` };
  },
  encodeCallback: (p, r) =>
    json({
      id: `WH-${hex(10).toUpperCase()}`,
      event_type: p.succeeded ? 'PAYMENT.CAPTURE.COMPLETED' : 'PAYMENT.CAPTURE.DENIED',
      resource: { id: p.providerRef, custom_id: p.orderId, amount: { currency_code: r.currency, value: r.amount }, status: p.succeeded ? 'COMPLETED' : 'DECLINED', ...(p.errorCode ? { status_details: { reason: p.errorCode } } : {}) },
    }),
  decodeCallback: (b) => {
    const r = obj(b.resource);
    return { orderId: str(r.custom_id), providerRef: str(r.id), succeeded: b.event_type === 'PAYMENT.CAPTURE.COMPLETED', errorCode: str(obj(r.status_details).reason) || undefined };
  },
};

// Adyen /payments: a refusal is HTTP 200 with resultCode Refused (or Error) and a refusalReason;
// validation and server errors are 4xx/5xx with an errorCode. The AUTHORISATION notification repeats the result.
const adyen: ProviderDialect = {
  gateway: 'adyen',
  path: GATEWAYS.adyen.path,
  encodeRequest: (r) =>
    json({ merchantAccount: 'PayscopeECOM', reference: r.orderId, amount: { value: Number(minor(r.amount, r.currency)), currency: r.currency }, paymentMethod: { type: 'scheme', issuer: r.issuer } }),
  decodeRequest: (b) => {
    const amount = obj(b.amount);
    const currency = str(amount.currency);
    return { orderId: str(b.reference), amount: major(amount.value, currency), currency, notifyUrl: '', issuer: str(obj(b.paymentMethod).issuer) || undefined };
  },
  acceptedBody: (r, ref) => ({ pspReference: ref, resultCode: 'Authorised', merchantReference: r.orderId }),
  errorBody: ({ code, status }) =>
    status === 200
      ? { pspReference: hex(8).toUpperCase(), resultCode: code === 'Acquirer Error' ? 'Error' : 'Refused', refusalReason: code }
      : { status, errorCode: code, message: 'request failed', errorType: status >= 500 ? 'internal' : 'validation' },
  decodeAnswer: (status, b) => {
    if (status < 300 && b.resultCode === 'Authorised') return { accepted: true, providerRef: str(b.pspReference) };
    return { accepted: false, errorCode: str(b.refusalReason) || str(b.errorCode) || `HTTP_${status}` };
  },
  encodeCallback: (p, r) =>
    json({
      live: 'false',
      notificationItems: [{
        NotificationRequestItem: {
          eventCode: 'AUTHORISATION', success: String(p.succeeded), pspReference: p.providerRef, merchantReference: p.orderId,
          amount: { value: Number(minor(r.amount, r.currency)), currency: r.currency }, ...(p.errorCode ? { reason: p.errorCode } : {}),
        },
      }],
    }),
  decodeCallback: (b) => {
    const item = obj(obj(Array.isArray(b.notificationItems) ? b.notificationItems[0] : undefined).NotificationRequestItem);
    return { orderId: str(item.merchantReference), providerRef: str(item.pspReference), succeeded: item.success === 'true', errorCode: str(item.reason) || undefined };
  },
};

export const PROVIDERS: Readonly<Record<Gateway, ProviderDialect>> = { alipay, wechatpay, stripe, adyen, paypal };

/** A provider-style reference for an accepted payment. */
export function providerRef(gateway: Gateway): string {
  return refFor(gateway, hex);
}
