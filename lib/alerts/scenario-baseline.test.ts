import { afterAll, describe, expect, it } from 'vitest';
import { replayScenario } from './testing/replay';

/**
 * 30 minutes of the simulated platform's baseline traffic (sim/: `baseline`, seeded: ~13,000 payments
 * an hour with its normal declines, timeouts, lost, late and duplicate callbacks, double charges and
 * transaction anomalies), every default rule evaluated every 15 s: no alert fires.
 */

let cleanup: (() => Promise<void>) | undefined;
afterAll(async () => cleanup?.());

describe('alerts on simulated baseline traffic', () => {
  it('121 evaluations over 30 minutes fire nothing', async () => {
    const r = await replayScenario({ scenario: 'baseline', minutes: 25 });
    cleanup = r.cleanup;
    expect(r.failed).toEqual([]);
    expect(r.evaluations).toBe(121);
    expect(r.transitions.map((t) => `${t.afterFault} ${t.kind} ${t.rule} ${JSON.stringify(t.labels)} ${t.summary}`)).toEqual([]);
  }, 900_000);
});
