import { afterAll, describe, expect, it } from 'vitest';
import { replayScenario } from './testing/replay';

/**
 * Double charges on the simulated platform (sim/: `double-charge`, stripe answering after the caller
 * gave up though it charged, and the retry charging again) fire PaymentsChargedTwice naming stripe,
 * with the money to refund; stripe's late answers are timeouts on the caller's side, so its
 * gateway-health alert fires too. Nothing else.
 */

let cleanup: (() => Promise<void>) | undefined;
afterAll(async () => cleanup?.());

describe('alerts on simulated double charges', () => {
  it('double-charge fires PaymentsChargedTwice for stripe with the amount at stake', async () => {
    const r = await replayScenario({ scenario: 'double-charge', minutes: 10 });
    cleanup = r.cleanup;
    expect(r.failed).toEqual([]);
    expect(r.transitions.map((t) => `${t.kind} ${t.rule} ${t.labels.gateway}`).sort()).toEqual(['firing double-charges stripe', 'firing gateway-health stripe']);
    const charged = r.transitions.find((t) => t.rule === 'double-charges')!;
    expect(charged.summary).toMatch(/^\d+ orders charged twice via stripe, [\d,.]+ [A-Z]{3}/);
    // for 0: the evaluation that first counts 5 double charges fires.
    expect(charged.afterFault).toBeLessThanOrEqual(10);
  }, 900_000);
});
