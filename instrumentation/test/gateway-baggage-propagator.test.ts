import { baggageEntryMetadataFromString, propagation, ROOT_CONTEXT, type Baggage, type BaggageEntry } from '@opentelemetry/api';
import { W3CBaggagePropagator } from '@opentelemetry/core';
import { describe, expect, it } from 'vitest';
import { GatewayAwareBaggagePropagator } from '../src/gateway-baggage-propagator.js';
import { PaymentBaggage, serializeBaggage } from '../src/payment-baggage.js';
import { setPaymentContext } from '../src/payment-context.js';
import { GatewayHostTable } from '../src/gateway-host-table.js';

// The header payscope writes must be the one the W3C propagator of @opentelemetry/core writes
// (encoding, metadata, the per-pair, pair-count and total limits): that propagator is the oracle.
function upstreamHeader(entries: Record<string, BaggageEntry>): string | undefined {
  const carrier: Record<string, string> = {};
  new W3CBaggagePropagator().inject(propagation.setBaggage(ROOT_CONTEXT, propagation.createBaggage(entries)), carrier, {
    set: (c, k, v) => ((c as Record<string, string>)[k] = v),
  });
  return carrier.baggage;
}

function payscopeHeader(entries: Record<string, BaggageEntry>): string | undefined {
  const carrier: Record<string, string> = {};
  new GatewayAwareBaggagePropagator(new GatewayHostTable()).inject(
    propagation.setBaggage(ROOT_CONTEXT, propagation.createBaggage(entries)),
    carrier,
    { set: (c, k, v) => ((c as Record<string, string>)[k] = v) },
  );
  return carrier.baggage;
}

const many = (n: number, value: (i: number) => string): Record<string, BaggageEntry> =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, { value: value(i) }]));

const cases: Array<[string, Record<string, BaggageEntry>]> = [
  ['a payment context', { 'payment.order_id': { value: 'ord-1' }, 'payment.channel': { value: 'alipay' }, 'payment.amount': { value: '12.50' }, 'payment.currency': { value: 'CNY' } }],
  ['every character encodeURIComponent keeps', { "a-z_A.Z~0!9*'()": { value: "-_.!~*'()azAZ09" } }],
  ['characters that need encoding', { 'key with space': { value: 'a,b;c=d%e/f?g#h&i+j"k' }, 'ключ': { value: '订单 №7' }, emoji: { value: '💳' } }],
  ['metadata, written as it is', { 'payment.order_id': { value: 'ord-2', metadata: baggageEntryMetadataFromString('p1;p2=v') } }],
  ['an empty value', { empty: { value: '' }, next: { value: 'x' } }],
  ['a pair over 4096 characters is left out', { long: { value: 'x'.repeat(4100) }, kept: { value: 'y' } }],
  ['a pair of exactly 4096 characters is kept', { k: { value: 'x'.repeat(4094) } }],
  ['at most 180 pairs', many(200, (i) => `v${i}`)],
  ['a pair that would pass 8192 characters is skipped, later shorter ones kept', many(5, (i) => (i === 4 ? 's' : 'x'.repeat(3000)))],
  ['nothing left: no header', { long: { value: 'x'.repeat(5000) } }],
];

describe('baggage header', () => {
  it.each(cases)('%s: the same as the W3C propagator writes', (_name, entries) => {
    const expected = upstreamHeader(entries);
    expect(payscopeHeader(entries)).toBe(expected);
    expect(serializeBaggage(propagation.createBaggage(entries))).toBe(expected ?? '');
  });

  it('each baggage gets its own header, also when one propagator serves them in turn', () => {
    const propagator = new GatewayAwareBaggagePropagator(new GatewayHostTable());
    const set = { set: (c: unknown, k: string, v: string) => ((c as Record<string, string>)[k] = v) };
    const headers = ['ord-1', 'ord-2', 'ord-1'].map((orderId) => {
      const carrier: Record<string, string> = {};
      propagator.inject(propagation.setBaggage(ROOT_CONTEXT, propagation.createBaggage({ 'payment.order_id': { value: orderId } })), carrier, set);
      return carrier.baggage;
    });
    expect(headers).toEqual(['payment.order_id=ord-1', 'payment.order_id=ord-2', 'payment.order_id=ord-1']);
  });

  it.each(cases)('%s: extracted by payscope and injected again, the same as the W3C propagator round trip', (_name, entries) => {
    const header = upstreamHeader(entries);
    if (header === undefined) return;
    const w3c = new W3CBaggagePropagator();
    const payscope = new GatewayAwareBaggagePropagator(new GatewayHostTable());
    const get = { get: (c: unknown, k: string) => (c as Record<string, string>)[k], keys: (c: unknown) => Object.keys(c as object) };
    const set = { set: (c: unknown, k: string, v: string) => ((c as Record<string, string>)[k] = v) };
    const expected: Record<string, string> = {};
    w3c.inject(w3c.extract(ROOT_CONTEXT, { baggage: header }, get), expected, set);
    const extracted = payscope.extract(ROOT_CONTEXT, { baggage: header }, get);
    expect(propagation.getBaggage(extracted)).toBeInstanceOf(PaymentBaggage);
    const actual: Record<string, string> = {};
    payscope.inject(extracted, actual, set);
    expect(actual).toEqual(expected);
  });

  it("payscope's baggage answers as the API's own: entries, copies, and new baggage from every change", () => {
    const entries = { 'payment.order_id': { value: 'ord-9' }, 'payment.channel': { value: 'card' }, other: { value: 'x y' } };
    const api = propagation.createBaggage(entries);
    const ours = new PaymentBaggage(new Map(Object.entries(entries)));
    const header = (b: Baggage) => (b instanceof PaymentBaggage ? b.header() : serializeBaggage(b));
    const steps: Array<[string, (b: Baggage) => Baggage]> = [
      ['as built', (b) => b],
      ['setEntry new', (b) => b.setEntry('added', { value: 'a' })],
      ['setEntry existing', (b) => b.setEntry('payment.channel', { value: 'alipay' })],
      ['removeEntry', (b) => b.removeEntry('other')],
      ['removeEntries', (b) => b.removeEntries('other', 'payment.channel')],
      ['clear', (b) => b.clear()],
    ];
    for (const [name, step] of steps) {
      const a = step(api);
      const o = step(ours);
      expect(o.getAllEntries(), name).toEqual(a.getAllEntries());
      expect(header(o), name).toBe(serializeBaggage(a));
      expect(o.getEntry('payment.order_id'), name).toEqual(a.getEntry('payment.order_id'));
    }
    // The original is untouched by every change, and getEntry hands out a copy.
    expect(ours.getAllEntries()).toEqual(api.getAllEntries());
    ours.getEntry('payment.order_id')!.value = 'changed';
    expect(ours.getEntry('payment.order_id')?.value).toBe('ord-9');
    expect(ours.header()).toBe('payment.order_id=ord-9,payment.channel=card,other=x%20y');
    expect(ours.spanAttributes()).toEqual(['payment.order_id', 'ord-9', 'payment.channel', 'card']);
  });

  it('setPaymentContext puts payscope\'s baggage in the context, over the entries already there', () => {
    const inbound = propagation.setBaggage(ROOT_CONTEXT, propagation.createBaggage({ tenant: { value: 't1' }, 'payment.channel': { value: 'old' } }));
    const baggage = propagation.getBaggage(setPaymentContext(inbound, { orderId: 'ord-3', channel: 'wechatpay', amount: 5, currency: 'cny' }));
    expect(baggage).toBeInstanceOf(PaymentBaggage);
    expect((baggage as PaymentBaggage).header()).toBe(
      'tenant=t1,payment.channel=wechatpay,payment.order_id=ord-3,payment.amount=5,payment.currency=CNY',
    );
  });
});

