/**
 * The partials job's order: the kinds take turns, newest hour first, so with a budget of one hour
 * per kind every kind computes its own newest hour (before, the first kind took the whole budget
 * and the others' recent hours waited for its history).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../clickhouse/migrate';
import { seedStore } from '../../sim/seed/seed';
import { sql } from '../store/sql';
import type { Store } from '../store/store';
import { openTempStore } from '../../test/helpers/store';
import { computePartials, HOUR_MS, partialKinds } from './partials';
// Registers every kind the job computes.
import './partials-job';

const END = Date.parse('2025-04-10T12:00:00Z');
const NOW = END + 3 * HOUR_MS;
const job = { now: NOW, horizonHours: 10, settleMs: 0 };

let store: Store;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ store, cleanup } = await openTempStore());
  await migrate(store, { retentionDays: 0 });
  await seedStore(store, { payments: 60, days: 4 / 24, seed: 'order', endMs: END, scenario: 'baseline', chunkSpans: 2000 });
});
afterAll(async () => cleanup?.());

describe('the partials job', () => {
  it('computes each kind’s newest hour before any kind’s next', async () => {
    const kinds = await partialKinds(store);
    expect(kinds.length).toBeGreaterThan(3);
    const first = await computePartials(store, { ...job, maxHours: kinds.length });
    for (const k of kinds) expect(first.computed[k.name], k.name).toBe(1);
    const hours = await store.query<{ Kind: string; h: string }>(sql`
      SELECT Kind, toString(max(Hour)) AS h FROM partial_hours GROUP BY Kind`);
    for (const k of kinds) {
      // The newest hour whose dependencies are closed: before the current hour and the kind's `after` hours.
      const newest = new Date(Math.floor(NOW / HOUR_MS) * HOUR_MS - (k.after + 1) * HOUR_MS).toISOString().replace('T', ' ').slice(0, 19);
      expect(hours.find((r) => r.Kind === k.name)?.h, k.name).toBe(newest);
    }
    // The next run goes on in turns: one more each.
    const second = await computePartials(store, { ...job, maxHours: kinds.length });
    for (const k of kinds) expect(second.computed[k.name], k.name).toBe(1);
    expect(second.remaining).toBe(first.remaining - kinds.length);
  });
});
