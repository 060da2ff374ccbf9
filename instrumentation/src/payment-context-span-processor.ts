import { propagation, SpanKind, trace, type Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import { localParents } from './local-parents.js';
import { PaymentBaggage, spanAttributesOf } from './payment-baggage.js';

/**
 * Stamps every span started inside a payment context with `payment.order_id` and
 * `payment.channel` from the parent context's baggage. Because baggage crosses process
 * boundaries, a downstream service running
 * this processor tags its spans without any code of its own. It also remembers each internal
 * span's local parent, so `withPayment` can tag the request's server span from inside a handler span.
 */
export class PaymentContextSpanProcessor implements SpanProcessor {
  private readonly parents = localParents();

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
    // payscope's own baggage keeps the pairs, built once for all the payment's spans.
    const pairs = baggage instanceof PaymentBaggage ? baggage.spanAttributes() : spanAttributesOf(baggage);
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
