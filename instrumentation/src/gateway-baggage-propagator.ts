import {
  propagation,
  SpanKind,
  trace,
  type Attributes,
  type Baggage,
  type Context,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
} from '@opentelemetry/api';
import { isTracingSuppressed, W3CBaggagePropagator } from '@opentelemetry/core';

const BAGGAGE_HEADER = 'baggage';
import type { GatewayHostTable } from './gateway-host-table.js';

/**
 * W3C baggage propagation that withholds the `baggage` header from requests to payment gateways:
 * the payment context (order id, amount, ...) is for your own services, not for Stripe or Alipay.
 * The gateway is read from the client span being injected, which instrumentations set active
 * (with `server.address` / `url.full`) just before they inject headers.
 */
export class GatewayAwareBaggagePropagator implements TextMapPropagator {
  private readonly baggage = new W3CBaggagePropagator();
  // Baggage is immutable and one payment's calls share it: serialize the header once per Baggage.
  private readonly headers = new WeakMap<Baggage, string>();

  constructor(private readonly hosts: GatewayHostTable) {}

  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    const baggage = propagation.getBaggage(context);
    if (baggage === undefined || isTracingSuppressed(context)) return;
    const span = trace.getSpan(context) as { kind?: SpanKind; attributes?: Attributes } | undefined;
    if (span?.kind === SpanKind.CLIENT && span.attributes !== undefined && this.hosts.lookupAttributes(span.attributes) !== undefined) {
      return;
    }
    let header = this.headers.get(baggage);
    if (header === undefined) {
      header = '';
      this.baggage.inject(context, undefined, { set: (_carrier, _key, value) => (header = value) });
      this.headers.set(baggage, header);
    }
    if (header !== '') setter.set(carrier, BAGGAGE_HEADER, header);
  }

  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    return this.baggage.extract(context, carrier, getter);
  }

  fields(): string[] {
    return this.baggage.fields();
  }
}
