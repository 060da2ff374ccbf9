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
import type { GatewayHostTable } from './gateway-host-table.js';

const BAGGAGE_HEADER = 'baggage';
// The W3C baggage limits, as @opentelemetry/core applies them.
const MAX_PAIR_LENGTH = 4096;
const MAX_PAIRS = 180;
const MAX_HEADER_LENGTH = 8192;
// Characters encodeURIComponent leaves as they are: a text made of them only is its own encoding.
const UNRESERVED = /^[\w.!~*'()-]*$/;

function encode(text: string): string {
  return UNRESERVED.test(text) ? text : encodeURIComponent(text);
}

/**
 * The `baggage` header value, exactly as `W3CBaggagePropagator` writes it: pairs over the
 * per-pair limit left out, at most 180 pairs, a pair that would take the header over 8192
 * characters skipped. One pass, without the intermediate arrays.
 */
export function serializeBaggage(baggage: Baggage): string {
  let header = '';
  let pairs = 0;
  for (const [key, entry] of baggage.getAllEntries()) {
    let pair = `${encode(key)}=${encode(entry.value)}`;
    // Metadata is written as it is, as upstream does (its encoding is the metadata's own business).
    if (entry.metadata !== undefined) pair += `;${entry.metadata.toString()}`;
    if (pair.length > MAX_PAIR_LENGTH) continue;
    if (pairs === MAX_PAIRS) break;
    pairs++;
    const next = header === '' ? pair : `${header},${pair}`;
    if (next.length <= MAX_HEADER_LENGTH) header = next;
  }
  return header;
}

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
      header = serializeBaggage(baggage);
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
