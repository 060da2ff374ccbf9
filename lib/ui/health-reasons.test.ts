import { describe, expect, it } from 'vitest';
import { judgeGatewayHealth } from '../analytics/gateway-health';
import { formatPct } from './format';
import { describeHealthReason } from './health-reasons';

const base = { requests: 10_000, providerErrors: 120, timeouts: 10, p95Ms: 410 };
const words = (cur: Parameters<typeof judgeGatewayHealth>[0], b: typeof base | null = base) => judgeGatewayHealth(cur, b).reasons.map(describeHealthReason);

describe('gateway health reasons in words', () => {
  it.each([
    [{ requests: 500, providerErrors: 6, timeouts: 0, p95Ms: 420 }, 'provider error rate 1.2% (baseline 1.2%), timeout rate 0%, p95 420 ms (baseline 410 ms)'],
    [{ requests: 500, providerErrors: 105, timeouts: 10, p95Ms: 1600 }, 'provider error rate 21.0% vs 1.2% baseline (17.5x)'],
    [{ requests: 2000, providerErrors: 60, timeouts: 2, p95Ms: 400 }, 'provider error rate 3.0% vs 1.2% baseline (2.5x)'],
    [{ requests: 500, providerErrors: 5, timeouts: 0, p95Ms: 1640, slowCalls: 60 }, 'p95 1.64 s vs 410 ms baseline (4.0x)'],
    [{ requests: 1000, providerErrors: 30, timeouts: 25, p95Ms: 500 }, 'provider error rate 3.0% vs 1.2% baseline (2.5x)', 'timeout rate 2.5% vs 0.10% baseline (25.0x)'],
    [{ requests: 0, providerErrors: 0, timeouts: 0, p95Ms: null }, 'no requests in this window'],
    [{ requests: 6, providerErrors: 6, timeouts: 0, p95Ms: 50 }, '6 of 6 requests failed on the provider\'s side'],
    [{ requests: 10, providerErrors: 1, timeouts: 0, p95Ms: 50 }, 'only 10 requests: too few to judge (1 failed on the provider\'s side)'],
  ])('%j → %s', (cur, ...texts) => {
    expect(words(cur)).toEqual(texts);
  });

  it('without a baseline', () => {
    expect(words({ requests: 400, providerErrors: 40, timeouts: 0, p95Ms: 300 }, null)).toEqual(['provider error rate 10.0% (no baseline to compare with)']);
    expect(words({ requests: 400, providerErrors: 4, timeouts: 0, p95Ms: 300 }, null)).toEqual(['provider error rate 1.0% (no baseline yet), timeout rate 0%, p95 300 ms']);
  });

  // The reasons once rounded with a formatter of their own (5.23%) beside the table's 5.2%.
  it('rounds a rate as the gateway table does', () => {
    const [reason] = words({ requests: 10_000, providerErrors: 523, timeouts: 0, p95Ms: 400 });
    expect(reason).toBe(`provider error rate ${formatPct(0.0523)} vs 1.2% baseline (4.4x)`);
    expect(reason).toContain('5.2%');
  });
});
