import { describe, expect, it } from 'vitest';
import { judgeGatewayHealth, formatMs, formatPct } from './gateway-health';

const base = { requests: 10_000, errors: 120, timeouts: 10, p95Ms: 410 };

describe('judgeGatewayHealth', () => {
  it.each([
    { name: 'same as baseline', cur: { requests: 500, errors: 6, timeouts: 0, p95Ms: 420 }, verdict: 'healthy', reason: /error rate 1\.20% \(baseline 1\.20%\)/ },
    { name: 'error rate up 17x', cur: { requests: 500, errors: 105, timeouts: 10, p95Ms: 1600 }, verdict: 'failing', reason: /error rate 21\.0% vs 1\.20% baseline \(17\.5x\)/ },
    { name: 'error rate doubled, significant', cur: { requests: 2000, errors: 60, timeouts: 2, p95Ms: 400 }, verdict: 'degraded', reason: /error rate 3\.00% vs 1\.20% baseline/ },
    { name: 'error rate doubled on too few requests to tell', cur: { requests: 100, errors: 3, timeouts: 0, p95Ms: 400 }, verdict: 'healthy', reason: /error rate 3\.00%/ },
    { name: 'latency up', cur: { requests: 500, errors: 5, timeouts: 0, p95Ms: 1640 }, verdict: 'degraded', reason: /p95 1\.64 s vs 410 ms baseline \(4\.0x\)/ },
    { name: 'timeouts up', cur: { requests: 1000, errors: 30, timeouts: 25, p95Ms: 500 }, verdict: 'degraded', reason: /timeout rate 2\.50% vs 0\.10% baseline/ },
    { name: 'many timeouts', cur: { requests: 1000, errors: 130, timeouts: 120, p95Ms: 700 }, verdict: 'failing', reason: /timeout rate 12\.0%/ },
    { name: 'no traffic', cur: { requests: 0, errors: 0, timeouts: 0, p95Ms: null }, verdict: 'healthy', reason: /no requests/ },
    { name: 'a handful, all failed', cur: { requests: 6, errors: 6, timeouts: 0, p95Ms: 50 }, verdict: 'failing', reason: /6 of 6 requests failed/ },
  ])('$name → $verdict', ({ cur, verdict, reason }) => {
    const j = judgeGatewayHealth(cur, base);
    expect(j.verdict).toBe(verdict);
    expect(j.reasons.join('; ')).toMatch(reason);
  });

  it('without a baseline, judges on absolute figures', () => {
    expect(judgeGatewayHealth({ requests: 400, errors: 40, timeouts: 0, p95Ms: 300 }, null)).toEqual({
      verdict: 'degraded', reasons: ['error rate 10.0% (no baseline to compare with)'],
    });
    expect(judgeGatewayHealth({ requests: 400, errors: 120, timeouts: 0, p95Ms: 300 }, { requests: 10, errors: 0, timeouts: 0, p95Ms: 1 }).verdict).toBe('failing');
    expect(judgeGatewayHealth({ requests: 400, errors: 4, timeouts: 0, p95Ms: 300 }, null).reasons[0]).toMatch(/no baseline yet/);
  });

  it('formats figures for people', () => {
    expect([formatPct(0.2104), formatPct(0.012), formatPct(0), formatMs(1640), formatMs(12_345), formatMs(410.4), formatMs(2.25)]).toEqual([
      '21.0%', '1.20%', '0.0%', '1.64 s', '12.3 s', '410 ms', '2.3 ms',
    ]);
  });
});
