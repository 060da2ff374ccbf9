/**
 * The simulator's ground truth (sim/seed, `truth: true`) against what the queries find: the
 * double-charge scenario's double charges and retry chains (and their look-alikes, which must not be
 * double charges), and the issuer-skew scenario's issuer at the top of what failed payments share.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../clickhouse/migrate';
import type { Store } from '../store/store';
import { openTempStore } from '../../test/helpers/store';
import type { GroundTruth } from '../../sim/seed/scenarios';
import { seedStore } from '../../sim/seed/seed';
import { getDeltas } from './deltas';
import { getRetries, listDoubleCharges } from './retries';

const HOURS = 6;
const END = Date.parse('2025-09-10T12:00:00Z');
const SKEW_END = END + 2 * 86_400_000;
const seeded = (end: number) => ({ from: new Date(end - HOURS * 3_600_000), to: new Date(end) });

let store: Store;
let cleanup: () => Promise<void>;
let doubles: GroundTruth;
let skew: GroundTruth;

beforeAll(async () => {
  ({ store, cleanup } = await openTempStore());
  await migrate(store, { retentionDays: 0 });
  doubles = (await seedStore(store, { payments: 800, days: HOURS / 24, seed: 'f1-doubles', endMs: END, scenario: 'double-charge', truth: true, chunkSpans: 3000 })).truth!;
  skew = (await seedStore(store, { payments: 1500, days: HOURS / 24, seed: 'f1-skew', endMs: SKEW_END, scenario: 'issuer-skew', truth: true, chunkSpans: 3000 })).truth!;
}, 180_000);
afterAll(async () => cleanup?.());

describe('ground truth of the simulator', () => {
  it('double charges: exactly the orders charged twice, not their look-alikes', async () => {
    expect(doubles.doubleCharges.length).toBeGreaterThan(3);
    const { payments } = await listDoubleCharges(store, { ...seeded(END), limit: 10_000 });
    const got = payments.map((p) => [p.orderId, p.charges, p.amount, p.currency, [...p.gateways].sort()]).sort();
    const want = doubles.doubleCharges.map((d) => [d.orderId, d.charges, d.amount, d.currency, [...new Set(d.gateways)].sort()]).sort();
    expect(got).toEqual(want);
    const listed = new Set(payments.map((p) => p.orderId));
    for (const o of [...doubles.syncAndCallbackOrders, ...doubles.duplicateCallbackOrders]) {
      if (!doubles.doubleCharges.some((d) => d.orderId === o)) expect(listed.has(o), o).toBe(false);
    }
  });

  it('retry chains: the retried orders, their attempts in order with their error classes, and which recovered', async () => {
    expect(doubles.retryChains.length).toBeGreaterThan(10);
    const r = await getRetries(store, { ...seeded(END), limit: 100_000 });
    expect(r.retried).toBe(doubles.retryChains.length);
    const got = r.chains.map((c) => [c.orderId, c.attempts.map((a) => `${a.gateway} ${a.traceId}`)]).sort();
    const want = doubles.retryChains.map((c) => [c.orderId, [...c.attempts].sort((a, b) => a.attempt - b.attempt).map((a) => `${a.gateway} ${a.traceId}`)]).sort();
    expect(got).toEqual(want);
    // A failed attempt's class is the taxonomy's, as the simulator drew it (attempt by attempt, in order).
    const classes = (attempts: { errorClass: string | null }[]) => attempts.map((a) => a.errorClass ?? '-');
    const wantClasses = new Map(doubles.retryChains.map((c) => [c.orderId, classes([...c.attempts].sort((a, b) => a.attempt - b.attempt))]));
    for (const c of r.chains) expect(classes(c.attempts), c.orderId).toEqual(wantClasses.get(c.orderId));
    // Recovered here means an attempt after the first succeeded; the simulator counts a last call
    // that was accepted (a later decline included), so ours are among its.
    const truthRecovered = new Set(doubles.retryChains.filter((c) => c.recovered).map((c) => c.orderId));
    const ours = r.chains.filter((c) => c.recovered);
    expect(ours.length).toBeGreaterThan(0);
    for (const c of ours) expect(truthRecovered.has(c.orderId), c.orderId).toBe(true);
  });

  it('issuer skew: the issuer the scenario fails comes first among failed payments', async () => {
    expect(skew.skew).not.toBeNull();
    const d = await getDeltas(store, { ...seeded(SKEW_END), cohort: 'failed' });
    expect(d.cohort.count).toBeGreaterThan(0);
    expect(d.attributes[0]).toMatchObject({ key: skew.skew!.key, value: skew.skew!.value });
  });
});
