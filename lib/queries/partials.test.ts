/**
 * Hourly partials give the answer the spans give: with every hour computed, with some, and after a
 * late insert into a middle hour made some stale. The from-spans answer is the same query with
 * `now` before the range (every hour then counts as current, so none is read from partials).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../clickhouse/migrate';
import { seedStore } from '../../sim/seed/seed';
import type { Store } from '../store/store';
import { openTempStore } from '../../test/helpers/store';
import { insertFixture } from '../../test/helpers/fixtures';
import { sql } from '../store/sql';
import { DEFAULT_CHECKOUT_FUNNEL, type FunnelDefinition } from '../analytics/funnel';
import { defaultGatewayHosts } from './common';
import { funnelPartialKind, getFunnel, type FunnelParams } from './funnel';
import { saveFunnel } from './funnels';
import { computePartials, HOUR_MS, planPartials } from './partials';
import { getStageLatency, STAGE_LATENCY_PARTIAL } from './stage-latency';

const END = Date.parse('2025-04-10T12:00:00Z');
const HOURS = 6;
// After the data: every hour closed; horizon covers the seeded hours and the one after.
const NOW = END + 3 * HOUR_MS;
const job = { now: NOW, horizonHours: HOURS + 4, settleMs: 0 };

let store: Store;
let cleanup: () => Promise<void>;

// A saved funnel matching by attribute: read from otel_traces, not payment_stage_events.
const CUSTOM: FunnelDefinition = {
  name: 'by attribute', flowKey: 'payment.order_id', windowSec: 1800,
  steps: ['order.create', 'payment.submit', 'order.confirm'].map((stage) => ({ name: stage, attributes: { 'payment.stage': stage } })),
};
const CHECKOUT_KIND = () => funnelPartialKind(DEFAULT_CHECKOUT_FUNNEL, defaultGatewayHosts())!.name;
const CUSTOM_KIND = () => funnelPartialKind(CUSTOM, defaultGatewayHosts())!.name;

beforeAll(async () => {
  ({ store, cleanup } = await openTempStore());
  await migrate(store, { retentionDays: 0 });
  await seedStore(store, { payments: 300, days: HOURS / 24, seed: 'partials', endMs: END, scenario: 'gateway-degraded', chunkSpans: 2000 });
  await saveFunnel(store, CUSTOM);
});
afterAll(async () => cleanup?.());

// Whole hours inside, partial hours at both ends; one range on hour boundaries.
const RANGES = [
  { from: new Date(END - HOURS * HOUR_MS - 600_000), to: new Date(END + HOUR_MS) },
  { from: new Date(END - 4 * HOUR_MS + 1_234_567), to: new Date(END - 1_800_000) },
  { from: new Date(END - 5 * HOUR_MS), to: new Date(END - HOUR_MS) },
];

const stagesFromSpans = (r: { from: Date; to: Date }, channel?: string) => getStageLatency(store, { ...r, channel }, 0);
const stagesNow = (r: { from: Date; to: Date }, channel?: string) => getStageLatency(store, { ...r, channel }, NOW);

function funnelCases(r: { from: Date; to: Date }): Omit<FunnelParams, 'from' | 'to'>[] {
  const earlier = { from: new Date(r.from.getTime() - 2 * HOUR_MS), to: new Date(r.to.getTime() - 2 * HOUR_MS) };
  return [
    { funnel: DEFAULT_CHECKOUT_FUNNEL },
    { funnel: DEFAULT_CHECKOUT_FUNNEL, split: 'channel' },
    { funnel: DEFAULT_CHECKOUT_FUNNEL, split: 'gateway', channel: 'card' },
    { funnel: DEFAULT_CHECKOUT_FUNNEL, gateway: 'stripe', compare: earlier },
    { funnel: CUSTOM, split: 'gateway' },
  ];
}

async function expectSameAsSpans(): Promise<void> {
  for (const r of RANGES) {
    for (const channel of [undefined, 'card']) {
      const want = await stagesFromSpans(r, channel);
      expect(want.stages.length).toBeGreaterThan(0);
      expect(await stagesNow(r, channel), `${r.from.toISOString()} ${channel}`).toEqual(want);
    }
    for (const c of funnelCases(r)) {
      const want = await getFunnel(store, { ...r, ...c, now: 0 });
      expect(want.steps[2].reached, JSON.stringify(c)).toBeGreaterThan(0);
      expect(await getFunnel(store, { ...r, ...c, now: NOW }), `${r.from.toISOString()} ${JSON.stringify(c)}`).toEqual(want);
    }
  }
}

describe('stage latency on hourly partials', () => {
  it('before any partial, every hour is read from the spans', async () => {
    const plan = await planPartials(store, STAGE_LATENCY_PARTIAL, RANGES[0], NOW);
    expect(plan.hours).toEqual([]);
    expect(plan.live).toEqual([RANGES[0]]);
  });

  it('some hours computed: the same answer', async () => {
    const r = await computePartials(store, { ...job, maxHours: 5, only: [STAGE_LATENCY_PARTIAL.name] });
    expect(r.computed[STAGE_LATENCY_PARTIAL.name]).toBe(5);
    expect(r.remaining).toBeGreaterThan(0);
    const plan = await planPartials(store, STAGE_LATENCY_PARTIAL, RANGES[0], NOW);
    expect(plan.hours.length).toBe(3);
    // Funnels: the newest hours whose next hour is closed, END+1h … END-3h.
    for (const name of [CHECKOUT_KIND(), CUSTOM_KIND()]) {
      expect((await computePartials(store, { ...job, maxHours: 5, only: [name] })).computed[name]).toBe(5);
    }
    const fplan = await planPartials(store, funnelPartialKind(DEFAULT_CHECKOUT_FUNNEL, defaultGatewayHosts())!, RANGES[0], NOW);
    expect(fplan.hours.map((h) => h.hour.getTime())).toEqual([END - 3 * HOUR_MS, END - 2 * HOUR_MS, END - HOUR_MS, END]);
    await expectSameAsSpans();
  });

  it('every hour computed: the same answer, nothing read from the spans (or only the partial hours at the ends without clip)', async () => {
    const kinds = [STAGE_LATENCY_PARTIAL.name, CHECKOUT_KIND(), CUSTOM_KIND()];
    await computePartials(store, { ...job, maxHours: 100, only: kinds });
    expect((await computePartials(store, { ...job, only: kinds })).remaining).toBe(0);
    expect(await planPartials(store, STAGE_LATENCY_PARTIAL, RANGES[1], NOW, true)).toMatchObject({ live: [] });
    const plan = await planPartials(store, STAGE_LATENCY_PARTIAL, RANGES[1], NOW);
    expect(plan.live).toEqual([
      { from: RANGES[1].from, to: new Date(END - 3 * HOUR_MS) },
      { from: new Date(END - HOUR_MS), to: RANGES[1].to },
    ]);
    expect(plan.hours.map((h) => h.hour.getTime())).toEqual([END - 3 * HOUR_MS, END - 2 * HOUR_MS]);
    await expectSameAsSpans();
  });

  it('a late insert into a middle hour: that hour and the one after it are read from the spans until recomputed', async () => {
    const before = await stagesFromSpans(RANGES[2]);
    // Payments in the hour END-3h…END-2h, written now: later than every partial.
    await seedStore(store, { payments: 40, days: 1 / 24, seed: 'late', endMs: END - 2 * HOUR_MS, scenario: 'baseline', chunkSpans: 2000 });
    const after = await stagesFromSpans(RANGES[2]);
    expect(after).not.toEqual(before);
    await expectSameAsSpans();
    const plan = await planPartials(store, STAGE_LATENCY_PARTIAL, RANGES[2], NOW);
    const live = plan.live.map((l) => [l.from.getTime(), l.to.getTime()]);
    expect(live).toContainEqual([END - 3 * HOUR_MS, END - HOUR_MS]);
    expect(plan.hours.length).toBeGreaterThan(0);
    const fplan = await planPartials(store, funnelPartialKind(DEFAULT_CHECKOUT_FUNNEL, defaultGatewayHosts())!, RANGES[2], NOW);
    // The funnel's hours read spans an hour either side: END-4h … END-2h (and later ones) are stale.
    expect(fplan.live.map((l) => [l.from.getTime(), l.to.getTime()])).toContainEqual([END - 4 * HOUR_MS, END - HOUR_MS]);
    const r = await computePartials(store, { ...job, only: [STAGE_LATENCY_PARTIAL.name, CHECKOUT_KIND(), CUSTOM_KIND()] });
    expect(r.computed[STAGE_LATENCY_PARTIAL.name]).toBeGreaterThanOrEqual(2);
    expect(r.computed[CHECKOUT_KIND()]).toBeGreaterThanOrEqual(3);
    expect((await planPartials(store, STAGE_LATENCY_PARTIAL, RANGES[2], NOW)).live).toEqual([]);
    await expectSameAsSpans();
  });

  it('an insert into the hour before only: the hour after it is read from the spans', async () => {
    // A flow that enters in the first half hour of H gets an earlier order.create at H - 1 s: the
    // insert touches hour H - 1 alone, yet changes H's answer (the later span gets a predecessor,
    // and the flow's entry moves out of H).
    const H = END - 2 * HOUR_MS;
    const [flow] = await store.query<{ order: string; channel: string }>(sql`
      SELECT PaymentOrderId AS order, toString(PaymentChannel) AS channel FROM payment_stage_events
      WHERE PaymentStage = 'order.create' AND Timestamp >= ${new Date(H)} AND Timestamp < ${new Date(H + 1_800_000)}
      ORDER BY Timestamp LIMIT 1`);
    const hourOnly = { from: new Date(H), to: new Date(H + HOUR_MS) };
    const before = [await stagesFromSpans(hourOnly), await getFunnel(store, { ...hourOnly, funnel: DEFAULT_CHECKOUT_FUNNEL, now: 0 })];
    await insertFixture(store, [{
      trace: 'early', id: 'early', service: 'checkout', name: 'order.create', start: -1000, dur: 1,
      attrs: { 'payment.stage': 'order.create', 'payment.order_id': flow.order, 'payment.channel': flow.channel },
    }], H);
    const after = [await stagesFromSpans(hourOnly), await getFunnel(store, { ...hourOnly, funnel: DEFAULT_CHECKOUT_FUNNEL, now: 0 })];
    expect(after[0]).not.toEqual(before[0]);
    expect(after[1]).not.toEqual(before[1]);
    await expectSameAsSpans();
  });

  it('many stale hours: at most 8 live ranges, hours and live ranges covering the range once', async () => {
    // Every other hour of a day marked computed, for a kind no insert touches: 12 gaps.
    const kind = { name: 'test-alternate', before: 0, after: 0, table: 'stage_latency_partials', compute: async () => {} };
    const day = Date.parse('2024-01-01T00:00:00Z');
    for (let h = 0; h < 24; h += 2) {
      await store.command(sql`INSERT INTO partial_hours (Kind, Hour, Covers) VALUES (${kind.name}, ${new Date(day + h * HOUR_MS)}, now64(6))`);
    }
    const range = { from: new Date(day), to: new Date(day + 24 * HOUR_MS) };
    const plan = await planPartials(store, kind, range, NOW);
    expect(plan.live).toHaveLength(8);
    const pieces = [...plan.live.map((l) => [l.from.getTime(), l.to.getTime()]), ...plan.hours.map((h) => [h.hour.getTime(), h.hour.getTime() + HOUR_MS])];
    pieces.sort((a, b) => a[0] - b[0]);
    expect(pieces[0][0]).toBe(day);
    for (let i = 1; i < pieces.length; i++) expect(pieces[i][0]).toBe(pieces[i - 1][1]);
    expect(pieces[pieces.length - 1][1]).toBe(day + 24 * HOUR_MS);
  });

  it('the job leaves hours whose dependencies are not settled or not closed', async () => {
    await seedStore(store, { payments: 5, days: 1 / 24, seed: 'late2', endMs: END - 4 * HOUR_MS, scenario: 'baseline', chunkSpans: 2000 });
    const r = await computePartials(store, { ...job, settleMs: 3_600_000, only: [STAGE_LATENCY_PARTIAL.name] });
    expect(r.computed[STAGE_LATENCY_PARTIAL.name]).toBe(0);
    expect(r.remaining).toBeGreaterThan(0);
    const plan = await planPartials(store, STAGE_LATENCY_PARTIAL, { from: new Date(NOW - 2 * HOUR_MS), to: new Date(NOW + HOUR_MS) }, NOW);
    // The current hour is always read from the spans.
    expect(plan.live[plan.live.length - 1]).toEqual({ from: new Date(NOW), to: new Date(NOW + HOUR_MS) });
  });
});
