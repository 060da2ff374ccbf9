import { propagation, SpanKind, trace, type Baggage, type Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import { localParents } from './local-parents.js';
import { PAYMENT_SPAN_KEYS } from './payment-context.js';

// Baggage arrives from callers we do not control: cap what one entry can add to a span.
const MAX_VALUE_LENGTH = 256;

/** The payment span attributes a baggage carries, as `[key, value, key, value, …]`, values capped. */
function spanAttributesOf(baggage: Baggage): string[] {
  const pairs: string[] = [];
  for (const key of PAYMENT_SPAN_KEYS) {
    const value = baggage.getEntry(key)?.value;
    if (value === undefined || value === '') continue;
    pairs.push(key, value.length > MAX_VALUE_LENGTH ? value.slice(0, MAX_VALUE_LENGTH) : value);
  }
  return pairs;
}

/**
 * Stamps every span started inside a payment context with `payment.order_id` and
 * `payment.channel` from the parent context's baggage. Because baggage crosses process
 * boundaries, a downstream service running
 * this processor tags its spans without any code of its own. It also remembers each internal
 * span's local parent, so `withPayment` can tag the request's server span from inside a handler span.
 */
export class PaymentContextSpanProcessor implements SpanProcessor {
  private readonly parents = localParents();
  // Baggage is immutable and every span of one payment starts under the same one: read it once.
  private readonly spanAttributes = new WeakMap<Baggage, string[]>();

  onStart(span: Span, parentContext: Context): void {
    // withPayment's walk goes up from where app code runs: the entry span (where it ends) or the
    // internal spans under it (framework handlers, stages). Client and producer spans are leaves in
    // this process, so only internal spans need their parent (a weak map entry per span costs).
    if (span.kind === SpanKind.INTERNAL) {
      const parent = trace.getSpan(parentContext);
      if (parent !== undefined && parent.isRecording()) this.parents.set(span, parent);
    }
    const baggage = propagation.getBaggage(parentContext);
    if (baggage === undefined) return;
    let pairs = this.spanAttributes.get(baggage);
    if (pairs === undefined) {
      pairs = spanAttributesOf(baggage);
      this.spanAttributes.set(baggage, pairs);
    }
    const own = span.attributes;
    for (let i = 0; i < pairs.length; i += 2) {
      if (own[pairs[i]] === undefined) span.setAttribute(pairs[i], pairs[i + 1]);
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
