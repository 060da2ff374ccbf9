// Span attribute names payscope understands (docs/design.md, "Payment semantics").

/** The flow key: one payment attempt, across every trace it touches. */
export const ATTR_PAYMENT_ORDER_ID = 'payment.order_id';
/** The stage a span performs, e.g. `order.create`, `gateway.request`. */
export const ATTR_PAYMENT_STAGE = 'payment.stage';
/** How the user pays: `alipay`, `wechatpay`, `card`, `paypal`, ... */
export const ATTR_PAYMENT_CHANNEL = 'payment.channel';
/** The third-party provider a client span calls: `stripe`, `adyen`, ... */
export const ATTR_PAYMENT_GATEWAY = 'payment.gateway';
export const ATTR_PAYMENT_AMOUNT = 'payment.amount';
/** ISO 4217 currency code. */
export const ATTR_PAYMENT_CURRENCY = 'payment.currency';
/** `succeeded`, `failed`, `pending` or `cancelled`, on terminal stages. */
export const ATTR_PAYMENT_OUTCOME = 'payment.outcome';
/** The provider's own error or decline code. */
export const ATTR_PAYMENT_ERROR_CODE = 'payment.error_code';
/** `true` on a client span that ended because the caller gave up waiting (see README, "Timeouts"). */
export const ATTR_PAYMENT_TIMEOUT = 'payment.timeout';

/** The `error.type` value payscope gives a timed-out client span. */
export const ERROR_TYPE_TIMEOUT = 'timeout';

/**
 * Error codes and class names that mean "the caller stopped waiting", across node:http, undici
 * (fetch), AbortSignal.timeout() and the common client libraries. The instrumentation recognises
 * them on errors; payscope's analytics recognise them in `error.type` written by other SDKs.
 */
export const TIMEOUT_ERROR_CODES: readonly string[] = [
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ERR_HTTP_REQUEST_TIMEOUT',
];
export const TIMEOUT_ERROR_NAMES: readonly string[] = ['TimeoutError', 'ConnectTimeoutError', 'HeadersTimeoutError', 'BodyTimeoutError'];

/** The global transaction (TCC or Saga) a span takes part in, the same id in every branch and trace. */
export const ATTR_PAYMENT_TX_ID = 'payment.tx.id';
/** The branch (participant) of the global transaction, e.g. `account-debit`. */
export const ATTR_PAYMENT_TX_BRANCH = 'payment.tx.branch';
/** The phase the span performs for its branch: one of TRANSACTION_PHASES. */
export const ATTR_PAYMENT_TX_PHASE = 'payment.tx.phase';
/** TCC phases (`try`, `confirm`, `cancel`) and Saga phases (`action`, `compensate`). */
export const TRANSACTION_PHASES = ['try', 'confirm', 'cancel', 'action', 'compensate'] as const;
