import { afterAll, describe, expect, it } from 'vitest';
import { replayScenario } from './testing/replay';

/**
 * 30 minutes of the simulated platform's baseline traffic (sim/: `baseline`, seeded: ~13,000 payments
 * an hour with its normal declines, timeouts, lost, late and duplicate callbacks, double charges and
 * transaction anomalies), every default rule evaluated every 15 s: no alert fires. The seeder's traffic
 * follows a daily curve, so the run ends at the last 03:30 UTC, its quietest time (the fewest calls
 * per window, where noise weighs most), whatever the time the suite runs.
 */

let cleanup: (() => Promise<void>) | undefined;
afterAll(async () => cleanup?.());

describe('alerts on simulated baseline traffic', () => {
  it('121 evaluations over 30 minutes fire nothing', async () => {
    const day = 86_400_000;
    // At least 10 minutes ago, as the other replays end.
    const quietest = Math.floor((Date.now() - 3.5 * 3_600_000 - 600_000) / day) * day + 3.5 * 3_600_000;
    const r = await replayScenario({ scenario: 'baseline', minutes: 25, endMs: quietest });
    cleanup = r.cleanup;
    expect(r.failed).toEqual([]);
    expect(r.evaluations).toBe(121);
    expect(r.transitions.map((t) => `${t.afterFault} ${t.kind} ${t.rule} ${JSON.stringify(t.labels)} ${t.summary}`)).toEqual([]);
  }, 900_000);
});
