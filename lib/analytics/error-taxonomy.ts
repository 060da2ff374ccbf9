import { z } from 'zod';
import { isTimeout } from './gateways';

/**
 * Why a gateway call failed: the payer's side, ours, or the provider's. One class per failed call,
 * decided from what any SDK leaves on the span (not only payscope's package):
 *
 *   call failed? (error status, or timed out)  ──no──► no class
 *        │ yes
 *   timed out (payment.timeout / error.type)                         → timeout
 *   payment.error_code in the code table for this gateway, else for any gateway (`*`)
 *                                                                    → its class
 *   error.type names a network failure (ECONNREFUSED, ENOTFOUND, …)   → network
 *   HTTP status (http.response.status_code, http.status_code, or an error.type that is one)
 *        402 → decline   408 → timeout   429, 5xx → provider_error   other 4xx → invalid_request
 *   otherwise                                                        → unknown
 *
 * The code table is the built-in one below (Stripe, Adyen, PayPal, Braintree, Checkout.com, Alipay,
 * WeChat Pay, UnionPay) with the configured entries (PAYSCOPE_ERROR_CLASSES, lib/config.ts) laid
 * over it: a configured `gateway:code` replaces the built-in one. Codes match without regard to
 * case; gateway names too. The raw code is never replaced, only classed.
 */

export const ERROR_CLASSES = ['decline', 'fraud', 'invalid_request', 'provider_error', 'timeout', 'network', 'unknown'] as const;
export type ErrorClass = (typeof ERROR_CLASSES)[number];

/** The classes that are the provider's fault: what gateway health is judged on. */
export const PROVIDER_SIDE_CLASSES: readonly ErrorClass[] = ['provider_error', 'timeout', 'network'];

/** Gateway name for entries that apply to every gateway. */
const ANY_GATEWAY = '*';

/** One entry of the code table: a provider's code (for one gateway, or `*` for any) and its class. */
export interface ErrorCodeEntry {
  gateway: string;
  code: string;
  class: ErrorClass;
}

const D: ErrorClass = 'decline';
const F: ErrorClass = 'fraud';
const I: ErrorClass = 'invalid_request';
const P: ErrorClass = 'provider_error';
const T: ErrorClass = 'timeout';

/**
 * Built-in codes per gateway (gateway names as in the gateway host table). From the providers'
 * public error references: Stripe `decline_code`, error `code` and error `type`; Adyen
 * `refusalReason`; PayPal issue codes and error names; Braintree gateway rejection reasons and
 * processor response codes; Checkout.com response codes and `error_codes`; Alipay `code` and
 * `sub_code`; WeChat Pay `err_code` (API v2) and `code` (API v3); UnionPay `respCode`.
 */
const BUILTIN: Record<string, Record<string, ErrorClass>> = {
  stripe: {
    // decline_code
    insufficient_funds: D, card_declined: D, generic_decline: D, do_not_honor: D, expired_card: D, incorrect_cvc: D,
    invalid_cvc: D, incorrect_number: D, invalid_number: D, incorrect_zip: D, invalid_expiry_month: D, invalid_expiry_year: D,
    card_not_supported: D, card_velocity_exceeded: D, withdrawal_count_limit_exceeded: D, not_permitted: D, no_action_taken: D,
    restricted_card: D, revocation_of_authorization: D, call_issuer: D, try_again_later: D, issuer_not_available: D,
    authentication_required: D, approve_with_id: D, transaction_not_allowed: D, invalid_account: D, new_account_information_available: D,
    service_not_allowed: D, pin_try_exceeded: D, offline_pin_required: D, online_or_offline_pin_required: D, testmode_decline: D,
    fraudulent: F, lost_card: F, stolen_card: F, pickup_card: F, merchant_blacklist: F, security_violation: F, highest_risk_level: F,
    // error code / type
    processing_error: P, rate_limit: P, api_error: P, lock_timeout: P,
    parameter_missing: I, parameter_invalid_empty: I, parameter_invalid_integer: I, parameter_unknown: I, resource_missing: I,
    amount_too_small: I, amount_too_large: I, currency_not_supported: I, api_key_expired: I, idempotency_key_in_use: I,
    invalid_request_error: I, authentication_error: I, idempotency_error: I, secret_key_required: I, card_error: D,
  },
  adyen: {
    refused: D, referral: D, 'blocked card': D, 'expired card': D, 'invalid amount': D, 'invalid card number': D,
    'issuer unavailable': D, 'not supported': D, '3d not authenticated': D, 'not enough balance': D, cancelled: D,
    'shopper cancelled': D, 'invalid pin': D, 'pin tries exceeded': D, 'pin validation not possible': D, 'transaction not permitted': D,
    'cvc declined': D, 'restricted card': D, 'revocation of auth': D, 'declined non generic': D, 'withdrawal amount exceeded': D,
    'withdrawal count exceeded': D, 'avs declined': D, 'card requires online pin': D, 'no checking account available on card': D,
    'no savings account available on card': D, 'mobile pin required': D, 'contactless fallback': D, 'authentication required': D,
    'acquirer fraud': F, fraud: F, 'fraud-cancelled': F, 'issuer suspected fraud': F,
    'acquirer error': P, error: P, 'not submitted': I,
  },
  paypal: {
    instrument_declined: D, payer_action_required: D, payer_cannot_pay: D, transaction_refused: D, insufficient_funds: D,
    card_expired: D, max_number_of_payment_attempts_exceeded: D, payer_account_locked_or_closed: D, redirect_payer_for_alternate_funding: D,
    compliance_violation: F, transaction_blocked_by_payee: F, payer_account_restricted: F,
    internal_server_error: P, service_unavailable: P, rate_limit_reached: P, internal_service_error: P,
    invalid_request: I, invalid_parameter_value: I, missing_required_parameter: I, invalid_parameter_syntax: I, authentication_failure: I,
    permission_denied: I, not_authorized: I, duplicate_invoice_id: I, payee_account_restricted: I, payee_account_invalid: I,
    currency_not_supported: I, invalid_resource_id: I, order_already_captured: I, unprocessable_entity: I,
  },
  braintree: {
    // gateway rejection reasons
    fraud: F, risk_threshold: F, cvv: D, avs: D, avs_and_cvv: D, three_d_secure: D, duplicate: I, application_incomplete: I,
    token_issuance: P,
    // processor response codes
    '2000': D, '2001': D, '2002': D, '2003': D, '2004': D, '2005': D, '2006': D, '2007': D, '2008': D, '2010': D, '2015': D,
    '2038': D, '2044': D, '2046': D, '2057': D, '2059': D, '2060': D, '2099': D,
    '2009': P, '2014': F, '2047': F, '2053': F, '3000': P,
  },
  'checkout.com': {
    '20005': D, '20051': D, '20054': D, '20014': D, '20012': D, '20061': D, '20062': D, '20065': D, '20087': D, '20046': D,
    '20059': F, '20183': F, '30004': F, '30007': F, '30041': F, '30043': F, '40101': F, '40201': F, '40202': F,
    '20091': P, '20096': P, '20001': D, '20002': D, '20003': I, '20013': I,
    request_invalid: I, request_unprocessable: I, payment_source_required: I, processing_channel_id_invalid: I, card_number_invalid: D,
    card_expired: D, api_calls_quota_exceeded: P, processing_error: P, service_unavailable: P,
  },
  alipay: {
    'acq.system_error': P, '20000': P, 'isp.unknow-error': P, 'isp.unknown-error': P,
    'acq.buyer_balance_not_enough': D, 'acq.buyer_bankcard_balance_not_enough': D, 'acq.error_balance_payment_disable': D,
    'acq.buyer_enable_status_forbid': D, 'acq.payment_fail': D, 'acq.buyer_payment_amount_day_limit_error': D,
    'acq.buyer_payment_amount_month_limit_error': D, 'acq.beyond_pay_restriction': D, 'acq.beyond_per_receipt_restriction': D,
    'acq.error_buyer_certify_level_limit': D, 'acq.no_payment_instruments_available': D, 'acq.mobile_payment_switch_off': D,
    'acq.pull_mobile_cashier_fail': D, 'acq.user_face_payment_switch_off': D, 'acq.payment_auth_code_invalid': D,
    'acq.payment_request_has_risk': F, 'acq.risk_control_reject': F,
    'acq.invalid_parameter': I, 'acq.access_forbidden': I, 'acq.exist_forbidden_word': I, 'acq.partner_error': I,
    'acq.total_fee_exceed': I, 'acq.context_inconsistent': I, 'acq.trade_has_success': I, 'acq.trade_has_close': I,
    'acq.buyer_seller_equal': I, 'acq.trade_buyer_not_match': I, 'acq.seller_been_blocked': I, 'acq.invalid_store_id': I,
    'acq.trade_not_exist': I, 'isv.invalid-signature': I, 'isv.invalid-app-id': I, 'isv.missing-signature': I,
    'isv.invalid-parameter': I, 'aop.invalid-auth-token': I, '40001': I, '40002': I, '40006': I, '20001': I,
  },
  wechatpay: {
    systemerror: P, system_error: P, bankerror: P, bank_error: P, frequency_limited: P, frequency_limit_exceed: P,
    notenough: D, not_enough: D, authcodeexpire: D, auth_code_invalid: D, userpaying: D, account_error: D, payer_account_abnormal: D,
    trade_error: F, rule_limit: F,
    param_error: I, signerror: I, sign_error: I, noauth: I, no_auth: I, orderpaid: I, orderclosed: I, order_closed: I,
    out_trade_no_used: I, appid_not_exist: I, mchid_not_exist: I, appid_mchid_not_match: I, lack_params: I, xml_format_error: I,
    require_post_method: I, post_data_empty: I, not_utf8: I, invalid_request: I, buyer_mismatch: I, orderreversed: I,
    invalid_transactionid: I, resource_not_exists: I, mch_not_exists: I,
  },
  unionpay: {
    '01': P, '02': P, '03': T, '04': P, '05': P, '06': P, '12': I, '10': I, '11': I, '13': I, '14': I, '30': I, '31': I, '32': I,
    '33': D, '34': I, '35': I, '36': I, '37': F, '38': D, '39': I, '60': D, '61': D, '62': D, '63': D, '64': D, '65': D, '66': D,
    '67': D, '68': D, '69': D, '70': D, '71': D, '72': D, '73': D, '74': D, '75': D, '76': D, '77': D, '78': D, '79': D, '80': D,
  },
};

/**
 * The built-in table as entries: every gateway's codes, and under `*` each code with letters that
 * means the same class wherever it appears (so a span whose gateway is named differently, e.g.
 * `wechat`, still gets `NOTENOUGH` right). Numeric codes stay per gateway: `05` means different
 * things to different providers.
 */
export function builtinErrorCodes(perGateway: Record<string, Record<string, ErrorClass>> = BUILTIN): ErrorCodeEntry[] {
  const out: ErrorCodeEntry[] = [];
  const anyGateway = new Map<string, ErrorClass | null>();
  for (const [gateway, codes] of Object.entries(perGateway)) {
    for (const [code, cls] of Object.entries(codes)) {
      const c = code.toLowerCase();
      out.push({ gateway, code: c, class: cls });
      if (!/[a-z]/.test(c)) continue;
      const seen = anyGateway.get(c);
      anyGateway.set(c, seen === undefined || seen === cls ? cls : null);
    }
  }
  for (const [code, cls] of anyGateway) if (cls !== null) out.push({ gateway: ANY_GATEWAY, code, class: cls });
  return out;
}

/**
 * `error.type` values (Node error codes, class names of common clients in other languages) that
 * mean the connection failed before the provider could answer: refused, reset, DNS, TLS.
 */
export const NETWORK_ERROR_TYPES: readonly string[] = [
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'EHOSTUNREACH', 'EHOSTDOWN', 'ENETUNREACH', 'ENETDOWN',
  'EPROTO', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'CERT_HAS_EXPIRED', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN', 'ERR_TLS_CERT_ALTNAME_INVALID', 'ERR_SSL_WRONG_VERSION_NUMBER',
  'java.net.ConnectException', 'java.net.UnknownHostException', 'java.net.NoRouteToHostException', 'java.net.SocketException',
  'javax.net.ssl.SSLHandshakeException', 'ConnectionRefusedError', 'ConnectionResetError', 'ConnectionError', 'SSLError',
  'requests.exceptions.ConnectionError', 'requests.exceptions.SSLError', 'System.Net.Http.HttpRequestException',
].map((t) => t.toLowerCase());

/** The class an HTTP status implies when no code says more; null for a status that is no failure. */
export function classOfHttpStatus(status: number): ErrorClass | null {
  if (status === 402) return 'decline';
  if (status === 408) return 'timeout';
  if (status === 429 || (status >= 500 && status <= 599)) return 'provider_error';
  if (status >= 400 && status <= 499) return 'invalid_request';
  return null;
}

/** Key of a gateway's code in the lookup table: both lower-cased, joined by a NUL. */
function errorCodeKey(gateway: string, code: string): string {
  return `${gateway.toLowerCase()}\u0000${code.toLowerCase()}`;
}

/**
 * The code table used for classification: built-in entries with the configured ones laid over them
 * (same gateway and code: the configured class wins). Build once per configuration.
 */
export class ErrorCodeTable {
  private readonly map = new Map<string, ErrorClass>();

  constructor(configured: readonly ErrorCodeEntry[] = [], builtin: readonly ErrorCodeEntry[] = builtinErrorCodes()) {
    for (const e of [...builtin, ...configured]) this.map.set(errorCodeKey(e.gateway, e.code), e.class);
  }

  /** The class of `code` for `gateway`: its own entry, else the `*` entry, else undefined. */
  lookup(gateway: string, code: string): ErrorClass | undefined {
    return this.map.get(errorCodeKey(gateway, code)) ?? this.map.get(errorCodeKey(ANY_GATEWAY, code));
  }

  /** Keys (`errorCodeKey`) and classes as parallel arrays, for SQL (lib/queries/error-class.ts). */
  arrays(): { keys: string[]; classes: string[] } {
    const keys = [...this.map.keys()].sort();
    return { keys, classes: keys.map((k) => this.map.get(k)!) };
  }
}

/** What a span says about a gateway call, as stored (empty strings for absent attributes). */
export interface GatewayCallFacts {
  /** The gateway (lib/analytics/gateways.ts `gatewayOf`). */
  gateway: string;
  /** `payment.error_code`. */
  errorCode: string;
  /** Span status is Error. */
  isError: boolean;
  /** `error.type`. */
  errorType: string;
  /** `payment.timeout`. */
  timeoutFlag: string;
  /** `http.response.status_code`, else the older `http.status_code`; 0 when neither. */
  httpStatus: number;
}

/** Whether the call failed: error status, or the caller gave up waiting (the meaning of `errorRate`). */
function gatewayCallFailed(f: GatewayCallFacts): boolean {
  return f.isError || isTimeout(f.errorType, f.timeoutFlag);
}

/** The class of a failed gateway call; null when the call did not fail. */
export function classifyGatewayError(f: GatewayCallFacts, table: ErrorCodeTable): ErrorClass | null {
  if (!gatewayCallFailed(f)) return null;
  if (isTimeout(f.errorType, f.timeoutFlag)) return 'timeout';
  if (f.errorCode !== '') {
    const byCode = table.lookup(f.gateway, f.errorCode);
    if (byCode) return byCode;
  }
  if (NETWORK_ERROR_TYPES.includes(f.errorType.toLowerCase())) return 'network';
  // Semantic conventions allow the status code itself as error.type.
  const status = f.httpStatus || (/^[1-5][0-9][0-9]$/.test(f.errorType) ? Number(f.errorType) : 0);
  return classOfHttpStatus(status) ?? 'unknown';
}

/** Counts per class, every class present. */
export type ErrorClassCounts = Record<ErrorClass, number>;

export function emptyErrorClassCounts(): ErrorClassCounts {
  return Object.fromEntries(ERROR_CLASSES.map((c) => [c, 0])) as ErrorClassCounts;
}

const configuredSchema = z.record(
  z.string().min(1),
  z.record(z.string().min(1), z.enum(ERROR_CLASSES)),
);

/**
 * Configured code entries from JSON `{"<gateway or *>": {"<code>": "<class>"}}`
 * (PAYSCOPE_ERROR_CLASSES, or the file PAYSCOPE_ERROR_CLASSES_FILE). Throws one message naming
 * `what` and the first bad entry.
 */
export function parseErrorClasses(json: string, what = 'PAYSCOPE_ERROR_CLASSES'): ErrorCodeEntry[] {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (e) {
    throw new Error(`${what}: not JSON (${(e as Error).message})`);
  }
  const parsed = configuredSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${what}: expected {"gateway": {"code": "${ERROR_CLASSES.join('|')}"}}; at ${JSON.stringify(issue.path.join('.'))}: ${issue.message}`);
  }
  return Object.entries(parsed.data).flatMap(([gateway, codes]) =>
    Object.entries(codes).map(([code, cls]) => ({ gateway: gateway.toLowerCase(), code: code.toLowerCase(), class: cls })),
  );
}
