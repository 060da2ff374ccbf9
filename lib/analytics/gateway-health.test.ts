import { describe, expect, it } from 'vitest';
import { judgeGatewayHealth } from './gateway-health';

const base = { requests: 10_000, errors: 120, timeouts: 10, p95Ms: 410 };

describe('judgeGatewayHealth', () => {
  it.each([
    { name: 'same as baseline', cur: { requests: 500, errors: 6, timeouts: 0, p95Ms: 420 }, verdict: 'healthy',
      reasons: [{ code: 'figures', errorRate: 0.012, baselineErrorRate: 0.012, timeoutRate: 0, p95Ms: 420, baselineP95Ms: 410 }] },
    { name: 'error rate up 17x', cur: { requests: 500, errors: 105, timeouts: 10, p95Ms: 1600 }, verdict: 'failing',
      reasons: [{ code: 'error_rate', rate: 0.21, baseline: 0.012 }] },
    { name: 'error rate doubled, significant', cur: { requests: 2000, errors: 60, timeouts: 2, p95Ms: 400 }, verdict: 'degraded',
      reasons: [{ code: 'error_rate', rate: 0.03, baseline: 0.012 }] },
    { name: 'error rate doubled on too few requests to tell', cur: { requests: 100, errors: 3, timeouts: 0, p95Ms: 400 }, verdict: 'healthy',
      reasons: [{ code: 'figures', errorRate: 0.03, baselineErrorRate: 0.012, timeoutRate: 0, p95Ms: 400, baselineP95Ms: 410 }] },
    { name: 'latency up', cur: { requests: 500, errors: 5, timeouts: 0, p95Ms: 1640 }, verdict: 'degraded',
      reasons: [{ code: 'p95', ms: 1640, baselineMs: 410 }] },
    { name: 'timeouts up', cur: { requests: 1000, errors: 30, timeouts: 25, p95Ms: 500 }, verdict: 'degraded',
      reasons: [{ code: 'error_rate', rate: 0.03, baseline: 0.012 }, { code: 'timeout_rate', rate: 0.025, baseline: 0.001 }] },
    { name: 'many timeouts', cur: { requests: 1000, errors: 130, timeouts: 120, p95Ms: 700 }, verdict: 'failing',
      reasons: [{ code: 'error_rate', rate: 0.13, baseline: 0.012 }, { code: 'timeout_rate', rate: 0.12, baseline: 0.001 }] },
    { name: 'no traffic', cur: { requests: 0, errors: 0, timeouts: 0, p95Ms: null }, verdict: 'healthy', reasons: [{ code: 'no_requests' }] },
    { name: 'a handful, all failed', cur: { requests: 6, errors: 6, timeouts: 0, p95Ms: 50 }, verdict: 'failing',
      reasons: [{ code: 'mostly_failed', requests: 6, errors: 6 }] },
  ])('$name → $verdict', ({ cur, verdict, reasons }) => {
    expect(judgeGatewayHealth(cur, base)).toEqual({ verdict, reasons });
  });

  it('without a baseline, judges on absolute figures', () => {
    expect(judgeGatewayHealth({ requests: 400, errors: 40, timeouts: 0, p95Ms: 300 }, null)).toEqual({
      verdict: 'degraded', reasons: [{ code: 'error_rate', rate: 0.1, baseline: null }],
    });
    expect(judgeGatewayHealth({ requests: 400, errors: 120, timeouts: 0, p95Ms: 300 }, { requests: 10, errors: 0, timeouts: 0, p95Ms: 1 }).verdict).toBe('failing');
    expect(judgeGatewayHealth({ requests: 400, errors: 4, timeouts: 0, p95Ms: 300 }, null).reasons[0]).toMatchObject({ code: 'figures', baselineErrorRate: null });
  });
});
