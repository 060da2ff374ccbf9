import { SpanKind, SpanStatusCode, type Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import { ATTR_PAYMENT_GATEWAY, ATTR_PAYMENT_TIMEOUT, ERROR_TYPE_TIMEOUT } from './attributes.js';
import type { GatewayHostTable } from './gateway-host-table.js';
import { isTimeoutLabel, TimeoutTracker } from './timeouts.js';

/**
 * Classifies outbound client spans as they end, once every attribute and the final status are
 * known:
 * - `payment.gateway` from the host the span called, unless the span already names one;
 * - a client span that failed because the caller gave up waiting gets `payment.timeout=true`
 *   and `error.type=timeout`; other failures (a provider's 5xx, a refused connection) keep their
 *   own `error.type`, so timeouts and provider errors are counted apart.
 */
export class GatewaySpanProcessor implements SpanProcessor {
  constructor(
    private readonly hosts: GatewayHostTable,
    private readonly timeouts: TimeoutTracker = new TimeoutTracker(),
  ) {}

  onStart(_span: Span, _parentContext: Context): void {}

  onEnding(span: Span): void {
    if (span.kind !== SpanKind.CLIENT) return;
    const attributes = span.attributes;
    if (attributes[ATTR_PAYMENT_GATEWAY] === undefined) {
      const gateway = this.hosts.lookupAttributes(attributes);
      if (gateway !== undefined) span.setAttribute(ATTR_PAYMENT_GATEWAY, gateway);
    }
    const failed = span.status.code === SpanStatusCode.ERROR || attributes['error.type'] !== undefined;
    // A timeout that fired after the response arrived (and was ignored) is not one.
    const unanswered = attributes['http.response.status_code'] === undefined;
    if ((failed || unanswered) && (this.timeouts.has(span) || (failed && endedByTimeout(span)))) {
      span.setAttribute(ATTR_PAYMENT_TIMEOUT, true);
      span.setAttribute('error.type', ERROR_TYPE_TIMEOUT);
      span.setStatus({ code: SpanStatusCode.ERROR, message: span.status.message || 'timeout' });
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

function endedByTimeout(span: Span): boolean {
  if (isTimeoutLabel(span.attributes['error.type']) || isTimeoutLabel(span.status.message)) return true;
  for (const event of span.events) {
    if (event.name !== 'exception' || event.attributes === undefined) continue;
    if (isTimeoutLabel(event.attributes['exception.type']) || isTimeoutLabel(event.attributes['exception.message'])) {
      return true;
    }
  }
  return false;
}
