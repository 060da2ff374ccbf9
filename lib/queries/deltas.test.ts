import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../clickhouse/migrate';
import type { Store } from '../store/store';
import { DELTAS_FIXTURE, DELTAS_PAYMENTS, DELTAS_T0 } from '../../test/helpers/deltas-fixture';
import { fixtureRows, insertFixture, traceIdOf } from '../../test/helpers/fixtures';
import { sql } from '../store/sql';
import { openTempStore } from '../../test/helpers/store';
import { getDeltas, traceIdSliceBound } from './deltas';

// Every expected figure below was worked out by hand from test/helpers/deltas-fixture.ts.
const range = { from: new Date(DELTAS_T0), to: new Date(DELTAS_T0 + 3_600_000) };
const SLA = { defaultSec: 300, byGateway: {} };

let store: Store;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ store, cleanup } = await openTempStore());
  await migrate(store, { retentionDays: 0 });
  await insertFixture(store, DELTAS_FIXTURE, DELTAS_T0);
});
afterAll(async () => cleanup?.());

const row = (r: { key: string; value: string; cohortShare: number; baselineShare: number }) => [r.key, r.value, +r.cohortShare.toFixed(4), +r.baselineShare.toFixed(4)];

describe('getDeltas', () => {
  it('failed: the issuer most failures share comes first, the one-payment issuer does not', async () => {
    const r = await getDeltas(store, { ...range, cohort: 'failed', sla: SLA });
    expect(r.cohort).toEqual({ count: 15, sampled: 15 });
    expect(r.baseline).toEqual({ count: 25, sampled: 25 });
    expect(r.slowMs).toBeNull();
    // Big Bank and its amount band: 12/15 against 8/25 (equal scores; the band's key sorts first).
    expect(r.attributes.slice(0, 2).map(row)).toEqual([
      ['payment.amount_band', '100–500 USD', 0.8, 0.32],
      ['payment.card.issuer', 'Big Bank', 0.8, 0.32],
    ]);
    const rare = r.attributes.findIndex((a) => a.value === 'Rare Bank');
    expect(rare).toBeGreaterThan(1);
    expect(r.attributes[rare]).toMatchObject({ cohortCount: 1, baselineCount: 0 });
    // Resource attributes count too: every failed payment ran on pod-fast, 18 of the 25 others.
    expect(row(r.attributes.find((a) => a.key === 'host.name')!)).toEqual(['host.name', 'pod-fast', 1, 0.72]);
    // Nothing that identifies a payment or restates the cohort.
    const keys = new Set(r.attributes.map((a) => a.key));
    for (const k of ['payment.order_id', 'payment.amount', 'payment.outcome', 'payment.stage', 'payment.error_code']) expect(keys.has(k), k).toBe(false);
  });

  it('slow: the threshold given, or the p90 of succeeded payments; compared with the faster succeeded ones', async () => {
    const given = await getDeltas(store, { ...range, cohort: 'slow', slowMs: 1000, sla: SLA });
    expect([given.cohort.count, given.baseline.count, given.slowMs]).toEqual([7, 15, 1000]);
    expect(row(given.attributes[0])).toEqual(['host.name', 'pod-slow', 1, 0]);
    // 22 succeeded: 15 × 500 ms, 7 × 5000 ms; the p90 (the 20th of 22) is 5000 ms.
    const p90 = await getDeltas(store, { ...range, cohort: 'slow', sla: SLA });
    expect([p90.cohort.count, p90.baseline.count, p90.slowMs]).toEqual([7, 15, 5000]);
  });

  it('stuck: accepted requests with no callback past the SLA, against every other payment', async () => {
    const r = await getDeltas(store, { ...range, cohort: 'stuck', sla: SLA });
    expect([r.cohort.count, r.baseline.count]).toEqual([3, 37]);
    // Other Bank: 3/3 against 16/37.
    expect(row(r.attributes[0])).toEqual(['payment.card.issuer', 'Other Bank', 1, +(16 / 37).toFixed(4)]);
    const none = await getDeltas(store, { ...range, cohort: 'stuck', sla: { defaultSec: 86_400, byGateway: {} } });
    expect([none.cohort.count, none.attributes]).toEqual([0, []]);
  });

  it('samples the payments with the smallest checkout trace ids, and reads only a slice of trace ids when the range holds many payments', async () => {
    const failed = DELTAS_PAYMENTS.filter((p) => p.kind === 'failed').map((p) => ({ ...p, trace: traceIdOf(`p${p.i}`) })).sort((a, b) => (a.trace < b.trace ? -1 : 1));
    const few = await getDeltas(store, { ...range, cohort: 'failed', sla: SLA, samplePerSide: 4 });
    expect([few.cohort, few.baseline]).toEqual([{ count: 15, sampled: 4 }, { count: 25, sampled: 4 }]);
    const big = failed.slice(0, 4).filter((p) => p.issuer === 'Big Bank').length;
    expect(few.attributes.find((a) => a.value === 'Big Bank')?.cohortCount ?? 0).toBe(big);

    // A slice of about 12 of the 40 payments' trace ids.
    const bound = traceIdSliceBound(12 / 40);
    const sliced = await getDeltas(store, { ...range, cohort: 'failed', sla: SLA, maxSlicePayments: 12 });
    expect(sliced.cohort).toEqual({ count: 15, sampled: failed.filter((p) => p.trace < bound).length });
    expect(sliced.cohort.sampled).toBeLessThan(15);
  });

  it('filters by channel and gateway; hostile values only filter', async () => {
    expect((await getDeltas(store, { ...range, cohort: 'failed', sla: SLA, channel: 'card' })).cohort.count).toBe(15);
    // Failed payments never reached a gateway: with gateway=stripe only the stuck and succeeded remain.
    const stripe = await getDeltas(store, { ...range, cohort: 'stuck', sla: SLA, gateway: 'stripe' });
    expect([stripe.cohort.count, stripe.baseline.count]).toEqual([3, 22]);
    const hostile = await getDeltas(store, { ...range, cohort: 'failed', sla: SLA, channel: "card' OR '1'='1" });
    expect([hostile.cohort.count, hostile.baseline.count, hostile.attributes]).toEqual([0, 0, []]);
  });
});

describe('traceIdSliceBound', () => {
  it.each([[1, ''], [2, ''], [0.5, '8000'], [1 / 16, '1000'], [1e-9, '0001']])('%s → %s', (f, want) => expect(traceIdSliceBound(f)).toBe(want));
});

describe('getDeltas on a sample whose trace ids all lie below 1', () => {
  // The same payments two days later, every trace id moved below '1' (first digit 0).
  const T1 = DELTAS_T0 + 2 * 86_400_000;
  const later = { from: new Date(T1), to: new Date(T1 + 3_600_000) };
  beforeAll(async () => {
    const rows = fixtureRows(DELTAS_FIXTURE, T1).map((r) => ({ ...r, TraceId: `0${String(r.TraceId).slice(1)}` }));
    await store.client.insert({ table: 'otel_traces', values: rows, format: 'JSONEachRow', clickhouse_settings: { async_insert: 0, date_time_input_format: 'best_effort' } });
  });

  it('reads the sampled traces from attribute_sample_spans, which the view fills with all their spans', async () => {
    const inLater = sql`Timestamp >= ${later.from} AND Timestamp < ${new Date(T1 + 86_400_000)}`;
    const [n] = await store.query<{ n: string }>(sql`SELECT count() AS n FROM attribute_sample_spans WHERE ${inLater}`);
    expect(Number(n.n)).toBe(DELTAS_FIXTURE.length);
    const r = await getDeltas(store, { ...later, cohort: 'failed', sla: SLA });
    expect(r.cohort).toEqual({ count: 15, sampled: 15 });
    expect(r.attributes.slice(0, 2).map(row)).toEqual([
      ['payment.amount_band', '100–500 USD', 0.8, 0.32],
      ['payment.card.issuer', 'Big Bank', 0.8, 0.32],
    ]);
    expect(row(r.attributes.find((a) => a.key === 'host.name')!)).toEqual(['host.name', 'pod-fast', 1, 0.72]);
    // Without the sample table's rows the same query finds no attribute: it read them there.
    await store.command(sql`DELETE FROM attribute_sample_spans WHERE ${inLater}`);
    expect((await getDeltas(store, { ...later, cohort: 'failed', sla: SLA })).attributes).toEqual([]);
  });
});
