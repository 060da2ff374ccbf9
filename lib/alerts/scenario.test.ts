import { afterAll, describe, expect, it } from 'vitest';
import { replayScenario, SCENARIO_ALERT_CONFIG } from './testing/replay';

/**
 * A fault scenario of the simulated platform (sim/: `gateway-degraded`, wechatpay's provider errors
 * and latency up) fires the gateway-health alert naming wechatpay, and nothing else, within two
 * intervals after its `for` of the fault's start (lib/alerts/testing/replay.ts replays evaluations).
 */

let cleanup: (() => Promise<void>) | undefined;
afterAll(async () => cleanup?.());

describe('alerts on a simulated gateway fault', () => {
  it('gateway-degraded fires PaymentGatewayUnhealthy for wechatpay within two intervals after its for, and nothing else', async () => {
    const r = await replayScenario({ scenario: 'gateway-degraded', minutes: 10 });
    cleanup = r.cleanup;
    expect(r.failed).toEqual([]);
    // Only wechatpay's gateway-health alert: it fires (warning or critical), may rise to critical, and stays.
    expect(r.transitions.map((t) => `${t.rule} ${t.labels.gateway}`)).toEqual(r.transitions.map(() => 'gateway-health wechatpay'));
    expect(r.transitions.map((t) => t.kind)).toEqual(r.transitions.length > 1 ? ['firing', 'severity'] : ['firing']);
    expect(r.transitions[0].afterFault).toBeLessThanOrEqual(SCENARIO_ALERT_CONFIG.gatewayForSec / 15 + 2);
  }, 900_000);
});
