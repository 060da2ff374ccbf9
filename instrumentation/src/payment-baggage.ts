import type { Baggage, BaggageEntry } from '@opentelemetry/api';
import { ATTR_PAYMENT_CHANNEL, ATTR_PAYMENT_ORDER_ID } from './attributes.js';

/**
 * The baggage entries copied onto every span of the payment, in every service: the flow key and
 * the channel, which the dashboards group and filter by. Amount and currency are facts of the
 * payment, not of each hop: they are recorded on the spans `withPayment` tags (and readable
 * anywhere with `getPaymentContext()`), which keeps every other span smaller.
 */
export const PAYMENT_SPAN_KEYS = [ATTR_PAYMENT_ORDER_ID, ATTR_PAYMENT_CHANNEL] as const;

// Baggage arrives from callers we do not control: cap what one entry can add to a span.
const MAX_SPAN_VALUE_LENGTH = 256;

/** The payment span attributes a baggage carries, as `[key, value, key, value, …]`, values capped. */
export function spanAttributesOf(baggage: Baggage): string[] {
  const pairs: string[] = [];
  for (const key of PAYMENT_SPAN_KEYS) {
    const value = baggage.getEntry(key)?.value;
    if (value === undefined || value === '') continue;
    pairs.push(key, value.length > MAX_SPAN_VALUE_LENGTH ? value.slice(0, MAX_SPAN_VALUE_LENGTH) : value);
  }
  return pairs;
}

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
 * The baggage payscope puts in a context (`withPayment`, and baggage extracted from a request):
 * any entries, behaving as the API's own Baggage, which also keeps what every span and every
 * outgoing call of the payment derive from it — the span attributes and the `baggage` header —
 * built on first use. Baggage is immutable, so they never go stale; keeping them on the object
 * costs no lookup in a side table per span or call.
 */
export class PaymentBaggage implements Baggage {
  private spanPairs: string[] | undefined;
  private headerValue: string | undefined;

  constructor(private readonly entries: ReadonlyMap<string, BaggageEntry>) {}

  /** The payment span attributes, as {@link spanAttributesOf} returns them. */
  spanAttributes(): string[] {
    return (this.spanPairs ??= spanAttributesOf(this));
  }

  /** The `baggage` header value, as {@link serializeBaggage} returns it. */
  header(): string {
    return (this.headerValue ??= serializeBaggage(this));
  }

  getEntry(key: string): BaggageEntry | undefined {
    const entry = this.entries.get(key);
    return entry === undefined ? undefined : { ...entry };
  }

  getAllEntries(): Array<[string, BaggageEntry]> {
    return Array.from(this.entries);
  }

  setEntry(key: string, entry: BaggageEntry): PaymentBaggage {
    const entries = new Map(this.entries);
    entries.set(key, entry);
    return new PaymentBaggage(entries);
  }

  removeEntry(key: string): PaymentBaggage {
    const entries = new Map(this.entries);
    entries.delete(key);
    return new PaymentBaggage(entries);
  }

  removeEntries(...keys: string[]): PaymentBaggage {
    const entries = new Map(this.entries);
    for (const key of keys) entries.delete(key);
    return new PaymentBaggage(entries);
  }

  clear(): PaymentBaggage {
    return new PaymentBaggage(new Map());
  }
}
