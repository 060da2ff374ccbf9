import { afterAll, describe, expect, it } from 'vitest';
import { replayScenario } from './testing/replay';

/**
 * A wave of payer declines on the simulated platform (sim/: `decline-wave`, 30 % more insufficient
 * funds / do-not-honor on stripe) fires no provider alert: stripe's gateway-health alert stays quiet.
 * The acceptance-rate rule (off by default, switched on here) is the one that may say so, for the card
 * channel, severity info.
 */

let cleanup: (() => Promise<void>) | undefined;
afterAll(async () => cleanup?.());

describe('alerts on a simulated decline wave', () => {
  it('no gateway-health alert; the acceptance-rate rule, when on, fires info for card', async () => {
    const r = await replayScenario({ scenario: 'decline-wave', minutes: 12, enable: ['acceptance-rate-drop'] });
    cleanup = r.cleanup;
    expect(r.failed).toEqual([]);
    expect(r.transitions.filter((t) => t.rule === 'gateway-health')).toEqual([]);
    expect(r.transitions.map((t) => `${t.kind} ${t.rule} ${t.labels.channel} ${t.severity}`)).toEqual(['firing acceptance-rate-drop card info']);
  }, 900_000);
});
