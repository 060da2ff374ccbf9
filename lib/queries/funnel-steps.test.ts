/**
 * A funnel with the most steps a definition may have (20), on hand-made flows whose answer is worked
 * out below. The query must stay linear in the steps: 12 steps used to fail ("query tree is too big").
 *
 *   flow  steps done (seconds after T0)                          reaches
 *   F1    1 2 3 … 20 at 1 s, 2 s, … 20 s                          20
 *   F2    1 … 12 at 2k s (+0.1)                                   12
 *   F3    1 … 5 at k s (+0.2); 7 at 6.2 s; 6 at 7.2 s             6   (7 came before 6: not counted)
 *   F4    1 … 19 at k s (+0.3); 20 at 3,602.3 s                   19  (20 is past the 3,600 s window)
 *   F5    1 at -5 s (before the range); 2 … 20 at k s             —   (step 1 must be in the range)
 *   F6    20 at 1 s, 19 at 2 s, … 1 at 20 s (reverse)             1
 *
 *   reached: step 1: 5 (F1 F2 F3 F4 F6) · 2–6: 4 · 7–12: 3 (F1 F2 F4) · 13–19: 2 (F1 F4) · 20: 1 (F1)
 *   wait for step 20: F1 only, 1 s; for step 13: F1 and F4, 1 s each
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../clickhouse/migrate';
import type { FunnelDefinition } from '../analytics/funnel';
import type { Store } from '../store/store';
import { openTempStore } from '../../test/helpers/store';
import { getFunnel } from './funnel';
import { listFunnelDropOffs } from './funnel-drop-offs';
import { insertFixture, type FixtureSpan } from '../../test/helpers/fixtures';

const T0 = Date.UTC(2025, 2, 1, 10);
const range = { from: new Date(T0), to: new Date(T0 + 3_600_000) };
const STEPS = 20;
const funnel: FunnelDefinition = {
  name: 'twenty', flowKey: 'flow.id', windowSec: 3600,
  steps: Array.from({ length: STEPS }, (_, i) => ({ name: `step ${i + 1}`, spanName: `step ${i + 1}` })),
};

function flow(id: string, steps: [step: number, atMs: number][]): FixtureSpan[] {
  return steps.map(([step, at], i) => ({ trace: id, id: `${id}-${i}`, service: 'shop', name: `step ${step}`, start: at, dur: 1, attrs: { 'flow.id': id } }));
}
const upTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

let store: Store;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ store, cleanup } = await openTempStore());
  await migrate(store, { retentionDays: 0 });
  await insertFixture(store, [
    ...flow('F1', upTo(20).map((k) => [k, k * 1000])),
    ...flow('F2', upTo(12).map((k) => [k, 2000 * k + 100])),
    ...flow('F3', [...upTo(5).map((k): [number, number] => [k, k * 1000 + 200]), [7, 6200], [6, 7200]]),
    ...flow('F4', [...upTo(19).map((k): [number, number] => [k, k * 1000 + 300]), [20, 3_602_300]]),
    ...flow('F5', [[1, -5000], ...upTo(20).slice(1).map((k): [number, number] => [k, k * 1000])]),
    ...flow('F6', upTo(20).map((k) => [k, (21 - k) * 1000])),
  ], T0);
});
afterAll(async () => cleanup?.());

describe('a 20-step funnel', () => {
  it('counts every step as worked out by hand', async () => {
    const r = await getFunnel(store, { ...range, funnel });
    const expected = upTo(20).map((k) => (k === 1 ? 5 : k <= 6 ? 4 : k <= 12 ? 3 : k <= 19 ? 2 : 1));
    expect(r.steps.map((s) => s.reached)).toEqual(expected);
    expect([r.steps[19].p50Ms, r.steps[19].p99Ms]).toEqual([1000, 1000]);
    expect([r.steps[12].p50Ms, r.steps[12].p99Ms]).toEqual([1000, 1000]);
  });

  it('lists the flows that dropped at each step', async () => {
    const dropped = async (step: number) => (await listFunnelDropOffs(store, { ...range, funnel, step })).flows.map((f) => f.flow);
    expect(await dropped(1)).toEqual(['F6']);
    expect(await dropped(6)).toEqual(['F3']);
    expect(await dropped(12)).toEqual(['F2']);
    expect(await dropped(19)).toEqual(['F4']);
    expect(await dropped(15)).toEqual([]);
  });
});
