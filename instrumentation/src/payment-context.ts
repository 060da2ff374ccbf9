import {
  context,
  propagation,
  SpanKind,
  trace,
  type Attributes,
  type BaggageEntry,
  type Context,
  type Span,
} from '@opentelemetry/api';
import {
  ATTR_PAYMENT_AMOUNT,
  ATTR_PAYMENT_CHANNEL,
  ATTR_PAYMENT_CURRENCY,
  ATTR_PAYMENT_ERROR_CODE,
  ATTR_PAYMENT_ORDER_ID,
  ATTR_PAYMENT_OUTCOME,
  ATTR_PAYMENT_STAGE,
} from './attributes.js';
import { runInSpan } from './active-span.js';
import { PaymentBaggage } from './payment-baggage.js';
import { localParents } from './local-parents.js';

/** The money and identity of one payment attempt. */
export interface PaymentContext {
  /** The flow key (`payment.order_id`): the same value in every service and every trace of the payment. */
  orderId: string;
  /** `payment.channel`: `alipay`, `wechatpay`, `card`, `paypal`, `applepay`, ... */
  channel?: string;
  /** `payment.amount`, exported as a decimal string so no precision is lost on the way. */
  amount?: number | string;
  /** `payment.currency`, ISO 4217 (`CNY`, `USD`, ...). */
  currency?: string;
}

export type PaymentOutcome = 'succeeded' | 'failed' | 'pending' | 'cancelled';

/**
 * The payment context travels as W3C baggage entries named like the span attributes, so a
 * downstream service in any language (or one without payscope) can read them as they are.
 */
export const PAYMENT_BAGGAGE_KEYS = [
  ATTR_PAYMENT_ORDER_ID,
  ATTR_PAYMENT_CHANNEL,
  ATTR_PAYMENT_AMOUNT,
  ATTR_PAYMENT_CURRENCY,
] as const;

export { PAYMENT_SPAN_KEYS } from './payment-baggage.js';

function paymentAttributes(payment: PaymentContext): Attributes {
  const attributes: Attributes = {};
  if (payment.orderId !== undefined && payment.orderId !== null && String(payment.orderId) !== '') {
    attributes[ATTR_PAYMENT_ORDER_ID] = String(payment.orderId);
  }
  if (payment.channel) attributes[ATTR_PAYMENT_CHANNEL] = String(payment.channel);
  if (payment.amount !== undefined && payment.amount !== null && payment.amount !== '') {
    attributes[ATTR_PAYMENT_AMOUNT] = String(payment.amount);
  }
  if (payment.currency) attributes[ATTR_PAYMENT_CURRENCY] = String(payment.currency).toUpperCase();
  return attributes;
}

/** Returns `ctx` with the payment added to its baggage; entries already there are replaced. */
export function setPaymentContext(ctx: Context, payment: PaymentContext): Context {
  return withBaggageAttributes(ctx, paymentAttributes(payment));
}

function withBaggageAttributes(ctx: Context, attributes: Attributes): Context {
  // One Baggage built in one go (setEntry copies the whole map each time).
  const entries = new Map<string, BaggageEntry>(propagation.getBaggage(ctx)?.getAllEntries());
  for (const key in attributes) entries.set(key, { value: String(attributes[key]) });
  return propagation.setBaggage(ctx, new PaymentBaggage(entries));
}

/** The payment carried by `ctx` (the active context by default), if any. */
export function getPaymentContext(ctx: Context = context.active()): PaymentContext | undefined {
  const baggage = propagation.getBaggage(ctx);
  const orderId = baggage?.getEntry(ATTR_PAYMENT_ORDER_ID)?.value;
  if (baggage === undefined || orderId === undefined) return undefined;
  const payment: PaymentContext = { orderId };
  const channel = baggage.getEntry(ATTR_PAYMENT_CHANNEL)?.value;
  const amount = baggage.getEntry(ATTR_PAYMENT_AMOUNT)?.value;
  const currency = baggage.getEntry(ATTR_PAYMENT_CURRENCY)?.value;
  if (channel !== undefined) payment.channel = channel;
  if (amount !== undefined) payment.amount = amount;
  if (currency !== undefined) payment.currency = currency;
  return payment;
}

/**
 * Tags the active span, and its local ancestors up to the entry span of this process (the
 * request's SERVER span, or a CONSUMER span) that belong to no payment yet. Ended spans are
 * skipped; an ancestor already tagged with a payment (a batch handler paying several orders)
 * keeps its own.
 */
function tagLocalEntry(attributes: Attributes): void {
  const parents = localParents();
  let span: Span | undefined = trace.getActiveSpan();
  for (let depth = 0; span !== undefined && depth < 32; depth++) {
    const own = (span as { attributes?: Attributes }).attributes;
    const ownOrder = own?.[ATTR_PAYMENT_ORDER_ID];
    if (span.isRecording() && (depth === 0 || ownOrder === undefined || ownOrder === attributes[ATTR_PAYMENT_ORDER_ID])) {
      span.setAttributes(attributes);
    }
    const kind = (span as { kind?: SpanKind }).kind;
    if (kind === SpanKind.SERVER || kind === SpanKind.CONSUMER) return;
    span = parents.get(span);
  }
}

/**
 * Runs `fn` inside the payment's context. The active span and its ancestors up to the request's
 * server span get all payment attributes now; every span started inside `fn`, in this service
 * or in any downstream service reached through an instrumented client, gets `payment.order_id`
 * and `payment.channel`.
 *
 * ```ts
 * app.post('/orders/:id/pay', (req, res, next) =>
 *   withPayment({ orderId: req.params.id, channel: 'alipay', amount: 12.5, currency: 'CNY' }, () => pay(req, res).catch(next)));
 * ```
 */
export function withPayment<T>(payment: PaymentContext, fn: () => T): T {
  const attributes = paymentAttributes(payment);
  if (attributes[ATTR_PAYMENT_ORDER_ID] === undefined) return fn();
  tagLocalEntry(attributes);
  return context.with(withBaggageAttributes(context.active(), attributes), fn);
}

/** Marks `span` (the active span by default) as performing `stage`, e.g. `order.confirm`. */
export function markStage(stage: string, span: Span | undefined = trace.getActiveSpan()): void {
  span?.setAttribute(ATTR_PAYMENT_STAGE, stage);
}

/**
 * Runs `fn` in a new span named after the stage, carrying `payment.stage`. The span ends when
 * `fn` returns or, if it returns a promise, when the promise settles; a throw or rejection is
 * recorded on the span and passed on unchanged.
 */
export function withStage<T>(stage: string, fn: (span: Span) => T): T {
  return runInSpan(stage, { [ATTR_PAYMENT_STAGE]: stage }, fn);
}

export interface OutcomeOptions {
  /** The provider's own error or decline code (`payment.error_code`), e.g. `card_declined`. */
  errorCode?: string;
  /** The span to mark; the active span by default. */
  span?: Span;
}

/**
 * Records how the payment ended on a terminal stage span. A declined or failed payment is a
 * business outcome, not a broken span: the span status is left as it is.
 */
export function recordOutcome(outcome: PaymentOutcome, options: OutcomeOptions = {}): void {
  const span = options.span ?? trace.getActiveSpan();
  if (span === undefined) return;
  span.setAttribute(ATTR_PAYMENT_OUTCOME, outcome);
  if (options.errorCode !== undefined && options.errorCode !== '') {
    span.setAttribute(ATTR_PAYMENT_ERROR_CODE, String(options.errorCode));
  }
}
