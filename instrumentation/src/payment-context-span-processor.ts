import { propagation, SpanKind, trace, type Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import { localParents } from './local-parents.js';
import { PAYMENT_SPAN_KEYS } from './payment-context.js';

// Baggage arrives from callers we do not control: cap what one entry can add to a span.
const MAX_VALUE_LENGTH = 256;

/**
 * Stamps every span started inside a payment context with `payment.order_id` and
 * `payment.channel` from the parent context's baggage. Because baggage crosses process
 * boundaries, a downstream service running
 * this processor tags its spans without any code of its own. It also remembers each span's
 * local parent, so `withPayment` can tag the request's server span from inside a handler span.
 */
export class PaymentContextSpanProcessor implements SpanProcessor {
  private readonly parents = localParents();

  onStart(span: Span, parentContext: Context): void {
    // Entry spans end withPayment's walk: their parents are not needed.
    if (span.kind !== SpanKind.SERVER && span.kind !== SpanKind.CONSUMER) {
      const parent = trace.getSpan(parentContext);
      if (parent !== undefined && parent.isRecording()) this.parents.set(span, parent);
    }
    const baggage = propagation.getBaggage(parentContext);
    if (baggage === undefined) return;
    for (const key of PAYMENT_SPAN_KEYS) {
      const value = baggage.getEntry(key)?.value;
      if (value === undefined || value === '' || span.attributes[key] !== undefined) continue;
      span.setAttribute(key, value.length > MAX_VALUE_LENGTH ? value.slice(0, MAX_VALUE_LENGTH) : value);
    }
  }

  onEnd(_span: ReadableSpan): void {}

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
