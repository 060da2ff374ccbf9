import { describe, expect, it } from 'vitest';
import { judgeGatewayHealth } from './gateway-health';

const base = { requests: 10_000, providerErrors: 120, timeouts: 10, p95Ms: 410 };

describe('judgeGatewayHealth', () => {
  it.each([
    { name: 'same as baseline', cur: { requests: 500, providerErrors: 6, timeouts: 0, p95Ms: 420 }, verdict: 'healthy',
      reasons: [{ code: 'figures', providerErrorRate: 0.012, baselineProviderErrorRate: 0.012, timeoutRate: 0, p95Ms: 420, baselineP95Ms: 410 }] },
    { name: 'provider error rate up 17x', cur: { requests: 500, providerErrors: 105, timeouts: 10, p95Ms: 1600 }, verdict: 'failing',
      reasons: [{ code: 'provider_error_rate', rate: 0.21, baseline: 0.012 }] },
    { name: 'provider error rate doubled, significant', cur: { requests: 2000, providerErrors: 60, timeouts: 2, p95Ms: 400 }, verdict: 'degraded',
      reasons: [{ code: 'provider_error_rate', rate: 0.03, baseline: 0.012 }] },
    { name: 'provider error rate doubled on too few requests to tell', cur: { requests: 100, providerErrors: 3, timeouts: 0, p95Ms: 400 }, verdict: 'healthy',
      reasons: [{ code: 'figures', providerErrorRate: 0.03, baselineProviderErrorRate: 0.012, timeoutRate: 0, p95Ms: 400, baselineP95Ms: 410 }] },
    { name: 'latency up', cur: { requests: 500, providerErrors: 5, timeouts: 0, p95Ms: 1640, slowCalls: 60 }, verdict: 'degraded',
      reasons: [{ code: 'p95', ms: 1640, baselineMs: 410 }] },
    // 60 of 500 above 615 ms (the threshold) is 12 %, far above the 5 % a p95 leaves; 40 (8 %) is too, 30 (6 %) is not.
    { name: 'latency up on a few more slow calls than a p95 leaves', cur: { requests: 500, providerErrors: 5, timeouts: 0, p95Ms: 1640, slowCalls: 30 }, verdict: 'healthy',
      reasons: [{ code: 'figures', providerErrorRate: 0.01, baselineProviderErrorRate: 0.012, timeoutRate: 0, p95Ms: 1640, baselineP95Ms: 410 }] },
    { name: 'latency up, uncounted slow calls', cur: { requests: 500, providerErrors: 5, timeouts: 0, p95Ms: 1640 }, verdict: 'healthy',
      reasons: [{ code: 'figures', providerErrorRate: 0.01, baselineProviderErrorRate: 0.012, timeoutRate: 0, p95Ms: 1640, baselineP95Ms: 410 }] },
    { name: 'timeouts up', cur: { requests: 1000, providerErrors: 30, timeouts: 25, p95Ms: 500 }, verdict: 'degraded',
      reasons: [{ code: 'provider_error_rate', rate: 0.03, baseline: 0.012 }, { code: 'timeout_rate', rate: 0.025, baseline: 0.001 }] },
    { name: 'many timeouts', cur: { requests: 1000, providerErrors: 130, timeouts: 120, p95Ms: 700 }, verdict: 'failing',
      reasons: [{ code: 'provider_error_rate', rate: 0.13, baseline: 0.012 }, { code: 'timeout_rate', rate: 0.12, baseline: 0.001 }] },
    { name: 'no traffic', cur: { requests: 0, providerErrors: 0, timeouts: 0, p95Ms: null }, verdict: 'healthy', reasons: [{ code: 'no_requests' }] },
    { name: 'a handful, all failed', cur: { requests: 6, providerErrors: 6, timeouts: 0, p95Ms: 50 }, verdict: 'failing',
      reasons: [{ code: 'mostly_failed', requests: 6, providerErrors: 6 }] },
  ])('$name → $verdict', ({ cur, verdict, reasons }) => {
    expect(judgeGatewayHealth(cur, base)).toEqual({ verdict, reasons });
  });

  it('a quiet night: two errors and two timeouts among 28 calls, whose p95 they make, are noise', () => {
    // Seen on the simulator's baseline at 00:30 UTC (paypal, 120 s window, baseline of the hours before):
    // the z-score called each of these significant and the gateway degraded for a minute.
    const night = { requests: 2_900, providerErrors: 19, timeouts: 8, p95Ms: 1_088 };
    const cur = { requests: 28, providerErrors: 2, timeouts: 2, p95Ms: 5_000, slowCalls: 2 };
    expect(judgeGatewayHealth(cur, night).verdict).toBe('healthy');
    expect(judgeGatewayHealth({ ...cur, timeouts: 1, providerErrors: 1, p95Ms: 1_250, slowCalls: 1 }, night).verdict).toBe('healthy');
    // A third timeout is not chance (P ≈ 0.0002 at 0.28 %), and 3 of 28 is over the 10 % that fails a gateway; nor is a third of the calls slow.
    expect(judgeGatewayHealth({ ...cur, providerErrors: 3, timeouts: 3 }, night)).toMatchObject({ verdict: 'failing', reasons: [{ code: 'provider_error_rate' }, { code: 'timeout_rate' }] });
    expect(judgeGatewayHealth({ ...cur, providerErrors: 0, timeouts: 0, slowCalls: 9 }, night)).toMatchObject({ verdict: 'degraded', reasons: [{ code: 'p95', ms: 5_000 }] });
  });

  it('without a baseline, judges on absolute figures', () => {
    expect(judgeGatewayHealth({ requests: 400, providerErrors: 40, timeouts: 0, p95Ms: 300 }, null)).toEqual({
      verdict: 'degraded', reasons: [{ code: 'provider_error_rate', rate: 0.1, baseline: null }],
    });
    expect(judgeGatewayHealth({ requests: 400, providerErrors: 120, timeouts: 0, p95Ms: 300 }, { requests: 10, providerErrors: 0, timeouts: 0, p95Ms: 1 }).verdict).toBe('failing');
    expect(judgeGatewayHealth({ requests: 400, providerErrors: 4, timeouts: 0, p95Ms: 300 }, null).reasons[0]).toMatchObject({ code: 'figures', baselineProviderErrorRate: null });
  });
});
