/**
 * Money at stake (lib/queries/payments-rollup.ts) and the stuck list (lib/queries/stuck.ts) on
 * hourly partials give the answer the spans give: before any partial, with some hours, with all, and after a late insert made an hour stale.
 * The from-spans answer is the same query with `now` 0 (every hour current, none read from partials).
 * Besides seeded payments, a few drawn by hand have spans in two hours, so each merged fact decides
 * their outcome only when merged across hours:
 *
 *   hour        H-1 | H
 *   failover    stripe request rejected | paypal request accepted, callback ok   → succeeded via paypal
 *   failback    paypal request rejected | stripe request succeeded               → succeeded via stripe
 *   inconsistent   callback succeeded   | order.confirm failed                   → inconsistent
 *   stuck          request accepted     | (no callback)                          → stuck
 *   classed        stripe request declined | payment.submit failed later         → failed, class of the gateway call (decline)
 *
 * and, apart, a request whose callback comes in the next hour, after the end of a range that holds
 * the request's whole hour: stuck there, though the hour's partial (no callback in it and the next)
 * does not list it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../clickhouse/migrate';
import { seedStore } from '../../sim/seed/seed';
import { insertFixture, type FixtureSpan } from '../../test/helpers/fixtures';
import { openTempStore } from '../../test/helpers/store';
import type { Store } from '../store/store';
import { defaultGatewayHosts } from './common';
import { getImpact, type ImpactParams } from './impact';
import { computePartials, HOUR_MS, planPartials } from './partials';
import { paymentFactsKind } from './payments-rollup';
import { listStuckPayments, STUCK_CANDIDATES_PARTIAL } from './stuck';

const END = Date.parse('2025-04-10T12:00:00Z');
const HOURS = 6;
const NOW = END + 3 * HOUR_MS;
// The hand-drawn payments, apart from the seeded hours.
const H = END - 10 * HOUR_MS;
const KIND = () => paymentFactsKind(defaultGatewayHosts());
// The late callback, further apart.
const L = END - 14 * HOUR_MS;
const job = () => ({ now: NOW, horizonHours: 20, settleMs: 0, only: [KIND().name, STUCK_CANDIDATES_PARTIAL.name] });
const SLA = { defaultSec: 300, byGateway: {} };

let store: Store;
let cleanup: () => Promise<void>;

// Whole hours inside and partial hours at both ends; one range on hour boundaries; the hand-drawn
// hours, and a range ending before the stuck payment's SLA has passed (pending there).
const AROUND = { from: new Date(H - HOUR_MS), to: new Date(H + HOUR_MS) };
const RANGES = [
  { from: new Date(END - HOURS * HOUR_MS - 600_000), to: new Date(END + HOUR_MS) },
  { from: new Date(END - 4 * HOUR_MS + 1_234_567), to: new Date(END - 1_800_000) },
  { from: new Date(END - 5 * HOUR_MS), to: new Date(END - HOUR_MS) },
  AROUND,
  { from: new Date(H - 2 * HOUR_MS), to: new Date(H + 60_000) },
  // L-1 h and L whole; the callback at L + 1 h 20 min comes after the end.
  { from: new Date(L - HOUR_MS), to: new Date(L + HOUR_MS + 600_000) },
  { from: new Date(L - HOUR_MS), to: new Date(L + 2 * HOUR_MS) },
];
const FILTERS: Omit<ImpactParams, 'from' | 'to'>[] = [{}, { channel: 'card' }, { gateway: 'paypal' }];

function payment(order: string, amount: string, spans: { stage: string; start: number; status?: 'Error'; attrs?: Record<string, string> }[]): FixtureSpan[] {
  return spans.map((s, i) => ({
    trace: `${order}-${i}`, id: `${order}-${i}`, service: 'payment', name: s.stage, kind: s.stage.startsWith('gateway.') ? 'Client' : 'Server',
    start: s.start, dur: 50, status: s.status,
    attrs: { 'payment.stage': s.stage, 'payment.order_id': order, 'payment.channel': 'card', 'payment.amount': amount, 'payment.currency': 'USD', ...s.attrs },
  }));
}

// Times in ms after H: negative is the hour before.
const HAND: FixtureSpan[] = [
  ...payment('hand-failover', '40.00', [
    { stage: 'order.create', start: -5_000 },
    { stage: 'gateway.request', start: -2_000, status: 'Error', attrs: { 'payment.gateway': 'stripe', 'payment.outcome': 'failed', 'payment.error_code': 'processing_error' } },
    { stage: 'gateway.request', start: 1_000, attrs: { 'payment.gateway': 'paypal', 'payment.outcome': 'succeeded' } },
    { stage: 'gateway.callback', start: 3_000, attrs: { 'payment.gateway': 'paypal', 'payment.outcome': 'succeeded' } },
  ]),
  ...payment('hand-failback', '10.00', [
    { stage: 'order.create', start: -6_000 },
    { stage: 'gateway.request', start: -3_000, status: 'Error', attrs: { 'payment.gateway': 'paypal', 'payment.outcome': 'failed', 'payment.error_code': 'processing_error' } },
    { stage: 'gateway.request', start: 2_000, attrs: { 'payment.gateway': 'stripe', 'payment.outcome': 'succeeded' } },
  ]),
  ...payment('hand-inconsistent', '25.00', [
    { stage: 'order.create', start: -9_000 },
    { stage: 'gateway.request', start: -8_000, attrs: { 'payment.gateway': 'paypal' } },
    { stage: 'gateway.callback', start: -1_000, attrs: { 'payment.gateway': 'paypal', 'payment.outcome': 'succeeded' } },
    { stage: 'order.confirm', start: 2_000, status: 'Error', attrs: { 'payment.error_code': 'ORDER_STATE_CONFLICT' } },
  ]),
  ...payment('hand-stuck', '25.00', [
    { stage: 'order.create', start: -4_000 },
    { stage: 'gateway.request', start: -3_000, attrs: { 'payment.gateway': 'stripe' } },
    { stage: 'payment.submit', start: 500 },
  ]),
  ...payment('hand-classed', '25.00', [
    { stage: 'order.create', start: -7_000 },
    { stage: 'gateway.request', start: -6_000, status: 'Error', attrs: { 'payment.gateway': 'stripe', 'payment.outcome': 'failed', 'payment.error_code': 'card_declined' } },
    { stage: 'payment.submit', start: 4_000, status: 'Error', attrs: { 'payment.error_code': 'RISK_REJECTED' } },
  ]),
];

const LATE_CALLBACK: FixtureSpan[] = payment('hand-late-callback', '5.00', [
  { stage: 'order.create', start: 1_790_000 },
  { stage: 'gateway.request', start: 1_800_000, attrs: { 'payment.gateway': 'stripe' } },
  { stage: 'gateway.callback', start: HOUR_MS + 1_200_000, attrs: { 'payment.gateway': 'stripe', 'payment.outcome': 'succeeded' } },
]);

beforeAll(async () => {
  ({ store, cleanup } = await openTempStore());
  await migrate(store, { retentionDays: 0 });
  await seedStore(store, { payments: 300, days: HOURS / 24, seed: 'payments-rollup', endMs: END, scenario: 'gateway-degraded', chunkSpans: 2000 });
  await insertFixture(store, HAND, H);
  await insertFixture(store, LATE_CALLBACK, L);
});
afterAll(async () => cleanup?.());

async function expectSameAsSpans(): Promise<void> {
  for (const r of RANGES) {
    for (const f of FILTERS) {
      const want = await getImpact(store, { ...r, ...f, sla: SLA, now: 0 });
      expect(await getImpact(store, { ...r, ...f, sla: SLA, now: NOW }), `${r.from.toISOString()} ${JSON.stringify(f)}`).toEqual(want);
    }
    const stuck = await listStuckPayments(store, { ...r, sla: SLA, limit: 1000, now: 0 });
    expect(await listStuckPayments(store, { ...r, sla: SLA, limit: 1000, now: NOW }), `stuck ${r.from.toISOString()}`).toEqual(stuck);
  }
}

// Up to 112 answers compared per step (31 s here on a busy machine): more room than the default minute.
describe('money at stake and the stuck list on hourly partials', { timeout: 240_000 }, () => {
  it('the hand-drawn payments are judged on facts from both hours', async () => {
    const all = await getImpact(store, { ...AROUND, sla: SLA, now: 0 });
    expect(all).toMatchObject({
      payments: { count: 5, amount: 125 },
      inconsistent: { count: 1 },
      stuck: { count: 1 },
      failed: { count: 1, amount: 25 },
      byGateway: [{ gateway: 'stripe', failed: { count: 1 }, stuck: { count: 1 } }],
    });
    expect(all.failed.byClass.decline.count).toBe(1);
    // The latest request decides the gateway: paypal for the failover and the inconsistent one.
    expect((await getImpact(store, { ...AROUND, gateway: 'paypal', sla: SLA, now: 0 })).payments).toEqual({ count: 2, amount: 65 });
    expect((await getImpact(store, { ...AROUND, gateway: 'stripe', sla: SLA, now: 0 })).payments).toEqual({ count: 3, amount: 60 });
    // A minute after the request the SLA has not passed: pending, not stuck.
    expect((await getImpact(store, { ...RANGES[4], sla: SLA, now: 0 })).stuck.count).toBe(0);
    // The late callback: stuck in the range that ends before it, not in the one that holds it.
    const stuckIds = async (r: { from: Date; to: Date }) => (await listStuckPayments(store, { ...r, sla: SLA, now: 0 })).payments.map((x) => x.orderId);
    expect(await stuckIds(RANGES[5])).toEqual(['hand-late-callback']);
    expect(await stuckIds(RANGES[6])).toEqual([]);
  });

  it('before any partial, every hour is read from the spans', async () => {
    const plan = await planPartials(store, KIND(), RANGES[0], NOW);
    expect(plan.hours).toEqual([]);
    await expectSameAsSpans();
  });

  it('some hours computed: the same answer', async () => {
    for (const name of job().only) {
      expect((await computePartials(store, { ...job(), only: [name], maxHours: 3 })).computed[name]).toBe(3);
    }
    expect((await planPartials(store, KIND(), RANGES[0], NOW)).hours.length).toBeGreaterThan(0);
    expect((await planPartials(store, STUCK_CANDIDATES_PARTIAL, RANGES[0], NOW)).hours.length).toBeGreaterThan(0);
    await expectSameAsSpans();
  });

  it('every hour computed: the same answer, only the partial hours at the ends read from the spans', async () => {
    await computePartials(store, { ...job(), maxHours: 100 });
    expect((await computePartials(store, job())).remaining).toBe(0);
    // The late callback's request hour L has a partial, which does not list it; the range ending
    // before the callback reads L from the spans (its next hour ends past the range).
    expect((await planPartials(store, STUCK_CANDIDATES_PARTIAL, RANGES[5], NOW)).hours.map((h) => h.hour.getTime())).toEqual([L - HOUR_MS, L]);
    const plan = await planPartials(store, KIND(), RANGES[1], NOW);
    expect(plan.live).toEqual([
      { from: RANGES[1].from, to: new Date(END - 3 * HOUR_MS) },
      { from: new Date(END - HOUR_MS), to: RANGES[1].to },
    ]);
    await expectSameAsSpans();
  });

  it('a late insert into a middle hour: that hour is read from the spans until recomputed', async () => {
    const before = await getImpact(store, { ...RANGES[2], sla: SLA, now: 0 });
    await seedStore(store, { payments: 40, days: 1 / 24, seed: 'late', endMs: END - 2 * HOUR_MS, scenario: 'gateway-degraded', chunkSpans: 2000 });
    expect(await getImpact(store, { ...RANGES[2], sla: SLA, now: 0 })).not.toEqual(before);
    const plan = await planPartials(store, KIND(), RANGES[2], NOW);
    expect(plan.live.map((l) => [l.from.getTime(), l.to.getTime()])).toContainEqual([END - 3 * HOUR_MS, END - 2 * HOUR_MS]);
    await expectSameAsSpans();
    expect((await computePartials(store, job())).computed[KIND().name]).toBeGreaterThanOrEqual(1);
    expect((await planPartials(store, KIND(), RANGES[2], NOW)).live).toEqual([]);
    await expectSameAsSpans();
  });
});
