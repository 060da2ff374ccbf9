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
import { computePartials, HOUR_MS, planPartials } from './partials';
import { getStageLatency, STAGE_LATENCY_PARTIAL } from './stage-latency';

const END = Date.parse('2025-04-10T12:00:00Z');
const HOURS = 6;
// After the data: every hour closed; horizon covers the seeded hours and the one after.
const NOW = END + 3 * HOUR_MS;
const job = { now: NOW, horizonHours: HOURS + 4, settleMs: 0 };

let store: Store;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ store, cleanup } = await openTempStore());
  await migrate(store, { retentionDays: 0 });
  await seedStore(store, { payments: 300, days: HOURS / 24, seed: 'partials', endMs: END, scenario: 'gateway-degraded', chunkSpans: 2000 });
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

async function expectSameAsSpans(): Promise<void> {
  for (const r of RANGES) {
    for (const channel of [undefined, 'card']) {
      const want = await stagesFromSpans(r, channel);
      expect(want.stages.length).toBeGreaterThan(0);
      expect(await stagesNow(r, channel), `${r.from.toISOString()} ${channel}`).toEqual(want);
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
    await expectSameAsSpans();
  });

  it('every hour computed: the same answer, only the partial hours at the ends read from the spans', async () => {
    await computePartials(store, { ...job, maxHours: 100, only: [STAGE_LATENCY_PARTIAL.name] });
    expect((await computePartials(store, { ...job, only: [STAGE_LATENCY_PARTIAL.name] })).computed[STAGE_LATENCY_PARTIAL.name]).toBe(0);
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
    const r = await computePartials(store, { ...job, only: [STAGE_LATENCY_PARTIAL.name] });
    expect(r.computed[STAGE_LATENCY_PARTIAL.name]).toBeGreaterThanOrEqual(2);
    expect((await planPartials(store, STAGE_LATENCY_PARTIAL, RANGES[2], NOW)).live).toEqual([]);
    await expectSameAsSpans();
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
