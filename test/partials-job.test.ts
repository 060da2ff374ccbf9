/**
 * The `partials` job inside a running payscope server (server/payscope-server.ts, docs/jobs.md): on
 * seeded spans of closed hours it computes the hourly partials, and the queries then read them and
 * give the answer the spans give. It waits for the partials by looking at them, never for a time.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CHECKOUT_FUNNEL } from '../lib/analytics/funnel';
import { loadConfig } from '../lib/config';
import { defaultGatewayHosts } from '../lib/queries/common';
import { funnelPartialKind, getFunnel } from '../lib/queries/funnel';
import { HOUR_MS, planPartials } from '../lib/queries/partials';
import { getStageLatency, STAGE_LATENCY_PARTIAL } from '../lib/queries/stage-latency';
import { seedStore } from '../sim/seed/seed';
import { startTestServer } from './helpers/server';

describe('the partials job in a running server', () => {
  it('takes its interval and settle time from the environment', () => {
    expect(loadConfig({}).partials).toEqual({ intervalSec: 30, settleSec: 60 });
    expect(loadConfig({ PAYSCOPE_PARTIALS_INTERVAL_SEC: '5', PAYSCOPE_PARTIALS_SETTLE_SEC: '0' }).partials).toEqual({ intervalSec: 5, settleSec: 0 });
    expect(() => loadConfig({ PAYSCOPE_PARTIALS_INTERVAL_SEC: '0' })).toThrow(/PAYSCOPE_PARTIALS_INTERVAL_SEC/);
    expect(() => loadConfig({ PAYSCOPE_PARTIALS_SETTLE_SEC: 'soon' })).toThrow(/PAYSCOPE_PARTIALS_SETTLE_SEC/);
  });

  it('computes the closed hours of seeded spans, and the queries read them', { timeout: 600_000 }, async () => {
    // A one-day retention keeps the job's horizon (and its work before these hours) to a day.
    const server = await startTestServer({ retentionDays: 1, partials: { intervalSec: 1, settleSec: 0 } });
    try {
      const end = Math.floor(Date.now() / HOUR_MS) * HOUR_MS - HOUR_MS;
      await seedStore(server.store, { payments: 80, days: 3 / 24, seed: 'partials-job', endMs: end, scenario: 'gateway-degraded', chunkSpans: 2000 });
      const range = { from: new Date(end - 3 * HOUR_MS), to: new Date(end) };
      const checkout = funnelPartialKind(DEFAULT_CHECKOUT_FUNNEL, defaultGatewayHosts())!;
      const valid = async () => {
        const plans = await Promise.all([STAGE_LATENCY_PARTIAL, checkout].map((k) => planPartials(server.store, k, range, Date.now(), true)));
        return plans.every((p) => p.hours.length === 3 && p.live.length === 0);
      };
      while (!(await valid())) await new Promise((r) => setTimeout(r, 250));

      const stats = server.jobs.stats().find((s) => s.name === 'partials')!;
      expect(stats.runs).toBeGreaterThan(0);
      expect(stats.failures).toBe(0);
      // now = 0: every hour counts as current, so these read the spans alone.
      const stages = await getStageLatency(server.store, range);
      expect(stages.stages.length).toBeGreaterThan(0);
      expect(stages).toEqual(await getStageLatency(server.store, range, 0));
      const funnel = await getFunnel(server.store, { ...range, funnel: DEFAULT_CHECKOUT_FUNNEL });
      expect(funnel.steps[0].reached).toBeGreaterThan(0);
      expect(funnel).toEqual(await getFunnel(server.store, { ...range, funnel: DEFAULT_CHECKOUT_FUNNEL, now: 0 }));
    } finally {
      await server.stop();
    }
  });
});
