/** listPayments narrowed to the payments that carry an attribute value, and to a What's-different cohort. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../clickhouse/migrate';
import { DELTAS_FIXTURE, DELTAS_T0 } from '../../test/helpers/deltas-fixture';
import { insertFixture, type FixtureSpan } from '../../test/helpers/fixtures';
import { openTempStore } from '../../test/helpers/store';
import type { Store } from '../store/store';
import { getDeltas } from './deltas';
import { listPayments, type PaymentListParams } from './overview';

/**
 * The forty payments of test/helpers/deltas-fixture.ts (ord0–ord39), and three more drawn here:
 *   x1  minute 41  failed; customer.note carries quotes and backslashes; resource deployment.environment=canary
 *   x2  minute 42  failed; issuer "Big Bank Ltd" (starts with another issuer's name)
 *   x3  minute 43  pending; amount 5 without a currency
 */
const HOSTILE = `it's "quoted" \\ and \\\\ back\\'slashed`;
const MIN = 60_000;
function extra(order: string, minute: number, attrs: Record<string, string>, resource: Record<string, string> = {}, failed = true): FixtureSpan[] {
  const base = { 'payment.order_id': order, 'payment.channel': 'card' };
  const spans: FixtureSpan[] = [{ trace: order, id: `${order}-c`, service: 'checkout', name: 'POST /checkout', start: minute * MIN, dur: 100,
    attrs: { ...base, 'payment.stage': 'order.create', ...attrs }, resource }];
  if (failed) spans.push({ trace: order, id: `${order}-s`, parent: `${order}-c`, service: 'payment', name: 'POST /payments', start: minute * MIN + 10, dur: 50,
    status: 'Error', attrs: { ...base, 'payment.stage': 'payment.submit', 'payment.outcome': 'failed' } });
  return spans;
}
const EXTRAS = [
  ...extra('x1', 41, { 'customer.note': HOSTILE, 'payment.amount': '20.00', 'payment.currency': 'USD' }, { 'deployment.environment': 'canary' }),
  ...extra('x2', 42, { 'payment.card.issuer': 'Big Bank Ltd', 'payment.amount': '20.00', 'payment.currency': 'USD' }),
  ...extra('x3', 43, { 'payment.amount': '5' }, {}, false),
];

let store: Store;
let cleanup: () => Promise<void>;
const range = { from: new Date(DELTAS_T0), to: new Date(DELTAS_T0 + 60 * MIN) };
const SLA = { defaultSec: 300, byGateway: {} };

beforeAll(async () => {
  ({ store, cleanup } = await openTempStore());
  await migrate(store, { retentionDays: 0 });
  await insertFixture(store, [...DELTAS_FIXTURE, ...EXTRAS], DELTAS_T0);
});
afterAll(async () => cleanup?.());

const ords = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, k) => `ord${from + k}`);
async function ids(p: Omit<PaymentListParams, 'from' | 'to'>): Promise<string[]> {
  const r = await listPayments(store, { ...range, sla: SLA, ...p });
  expect(r.total).toBe(r.payments.length);
  return r.payments.map((x) => x.orderId).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

describe('listPayments by attribute', () => {
  it('a span attribute: exactly the payments carrying the whole value, not a longer one that starts with it', async () => {
    expect(await ids({ attr: [{ key: 'payment.card.issuer', value: 'Big Bank' }] })).toEqual(ords(0, 19));
    expect(await ids({ attr: [{ key: 'payment.card.issuer', value: 'Big Bank Ltd' }] })).toEqual(['x2']);
    expect(await ids({ attr: [{ key: 'payment.card.issuer', value: 'Big' }] })).toEqual([]);
  });

  it('a resource attribute, and several values together (each on some span)', async () => {
    expect(await ids({ attr: [{ key: 'host.name', value: 'pod-slow' }] })).toEqual(ords(25, 31));
    expect(await ids({ attr: [{ key: 'deployment.environment', value: 'canary' }] })).toEqual(['x1']);
    expect(await ids({ attr: [{ key: 'payment.card.issuer', value: 'Other Bank' }, { key: 'host.name', value: 'pod-fast' }] }))
      .toEqual([...ords(20, 24), ...ords(32, 38)]);
    expect(await ids({ attr: [{ key: 'payment.card.issuer', value: 'Big Bank' }, { key: 'host.name', value: 'pod-slow' }] })).toEqual([]);
  });

  it('hostile values are compared as data', async () => {
    expect(await ids({ attr: [{ key: 'customer.note', value: HOSTILE }] })).toEqual(['x1']);
    expect(await ids({ attr: [{ key: 'customer.note', value: `it's "quoted"` }] })).toEqual([]);
    expect(await ids({ attr: [{ key: "x') OR 1=1 --", value: "' OR '1'='1" }] })).toEqual([]);
    expect(await ids({ attr: [{ key: 'payment.card.issuer', value: "Big Bank') OR ('1'='1" }] })).toEqual([]);
  });

  it('the amount band is a range of payment.amount in its currency', async () => {
    expect(await ids({ attr: [{ key: 'payment.amount_band', value: '100–500 USD' }] })).toEqual(ords(0, 19));
    expect(await ids({ attr: [{ key: 'payment.amount_band', value: '10–50 USD' }] })).toEqual([...ords(20, 39), 'x1', 'x2']);
    expect(await ids({ attr: [{ key: 'payment.amount_band', value: '< 10' }] })).toEqual(['x3']);
    expect(await ids({ attr: [{ key: 'payment.amount_band', value: '< 10 USD' }] })).toEqual([]);
    expect(await ids({ attr: [{ key: 'payment.amount_band', value: '100–500 EUR' }] })).toEqual([]);
    expect(await ids({ attr: [{ key: 'payment.amount_band', value: '100–500' }] })).toEqual([]);
    expect(await ids({ attr: [{ key: 'payment.amount_band', value: 'any' }] })).toEqual([]);
  });

  it('the cohorts, with a value and with the gateway', async () => {
    const bigBank = [{ key: 'payment.card.issuer', value: 'Big Bank' }];
    expect(await ids({ cohort: 'failed', attr: bigBank })).toEqual(ords(0, 11));
    expect(await ids({ cohort: 'slow', slowMs: 1000, attr: [{ key: 'payment.card.issuer', value: 'Other Bank' }] })).toEqual(ords(25, 31));
    expect(await ids({ cohort: 'stuck' })).toEqual(ords(22, 24));
    expect(await ids({ cohort: 'stuck', sla: { defaultSec: 3600, byGateway: {} } })).toEqual([]);
    expect(await ids({ cohort: 'failed', gateway: 'stripe' })).toEqual([]);
    expect(await ids({ cohort: 'stuck', gateway: 'stripe', attr: [{ key: 'host.name', value: 'pod-fast' }] })).toEqual(ords(22, 24));
  });

  it("each value the What's-different page lists links to as many payments as it counted in the cohort", async () => {
    for (const [cohort, slowMs] of [['failed', undefined], ['slow', undefined], ['slow', 1000], ['stuck', undefined]] as const) {
      const d = await getDeltas(store, { ...range, cohort, slowMs, sla: SLA, limit: 200 });
      expect(d.cohort.sampled).toBe(d.cohort.count);
      expect(d.attributes.length).toBeGreaterThan(0);
      for (const a of d.attributes) {
        const r = await listPayments(store, { ...range, cohort, slowMs, sla: SLA, attr: [{ key: a.key, value: a.value }] });
        expect([cohort, a.key, a.value, r.total]).toEqual([cohort, a.key, a.value, a.cohortCount]);
      }
      expect((await listPayments(store, { ...range, cohort, slowMs, sla: SLA })).total).toBe(d.cohort.count);
    }
  });
});
