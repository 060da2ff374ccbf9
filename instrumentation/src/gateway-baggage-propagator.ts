import {
  propagation,
  SpanKind,
  trace,
  type Attributes,
  type Context,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
} from '@opentelemetry/api';
import { isTracingSuppressed, W3CBaggagePropagator } from '@opentelemetry/core';
import type { GatewayHostTable } from './gateway-host-table.js';
import { PaymentBaggage, serializeBaggage } from './payment-baggage.js';

const BAGGAGE_HEADER = 'baggage';

/**
 * W3C baggage propagation that withholds the `baggage` header from requests to payment gateways:
 * the payment context (order id, amount, ...) is for your own services, not for Stripe or Alipay.
 * The gateway is read from the client span being injected, which instrumentations set active
 * (with `server.address` / `url.full`) just before they inject headers.
 */
export class GatewayAwareBaggagePropagator implements TextMapPropagator {
  private readonly baggage = new W3CBaggagePropagator();

  constructor(private readonly hosts: GatewayHostTable) {}

  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    const baggage = propagation.getBaggage(context);
    if (baggage === undefined || isTracingSuppressed(context)) return;
    const span = trace.getSpan(context) as { kind?: SpanKind; attributes?: Attributes } | undefined;
    if (span?.kind === SpanKind.CLIENT && span.attributes !== undefined && this.hosts.lookupAttributes(span.attributes) !== undefined) {
      return;
    }
    // payscope's own baggage keeps its header, written once for all the payment's calls.
    const header = baggage instanceof PaymentBaggage ? baggage.header() : serializeBaggage(baggage);
    if (header !== '') setter.set(carrier, BAGGAGE_HEADER, header);
  }

  /** As the W3C propagator extracts, into payscope's own baggage, so the request's spans and calls share what they derive from it. */
  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    const extracted = this.baggage.extract(context, carrier, getter);
    if (extracted === context) return context;
    const baggage = propagation.getBaggage(extracted);
    return baggage === undefined ? extracted : propagation.setBaggage(extracted, new PaymentBaggage(new Map(baggage.getAllEntries())));
  }

  fields(): string[] {
    return this.baggage.fields();
  }
}
