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
    { name: 'latency up', cur: { requests: 500, providerErrors: 5, timeouts: 0, p95Ms: 1640 }, verdict: 'degraded',
      reasons: [{ code: 'p95', ms: 1640, baselineMs: 410 }] },
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

  it('without a baseline, judges on absolute figures', () => {
    expect(judgeGatewayHealth({ requests: 400, providerErrors: 40, timeouts: 0, p95Ms: 300 }, null)).toEqual({
      verdict: 'degraded', reasons: [{ code: 'provider_error_rate', rate: 0.1, baseline: null }],
    });
    expect(judgeGatewayHealth({ requests: 400, providerErrors: 120, timeouts: 0, p95Ms: 300 }, { requests: 10, providerErrors: 0, timeouts: 0, p95Ms: 1 }).verdict).toBe('failing');
    expect(judgeGatewayHealth({ requests: 400, providerErrors: 4, timeouts: 0, p95Ms: 300 }, null).reasons[0]).toMatchObject({ code: 'figures', baselineProviderErrorRate: null });
  });
});
