import { describe, expect, it } from 'vitest';
import { paymentHref, traceHintOf, traceHref } from './links';

describe('links carry when a trace or payment started', () => {
  it('as `at` (whole epoch ms), beside the time range', () => {
    expect(traceHref({ range: '6h' }, 'abc', undefined, 1_748_764_800_123.9)).toBe('/traces/abc?range=6h&at=1748764800123');
    expect(traceHref({}, 'abc', 'def', 5)).toBe('/traces/abc?span=def&at=5');
    expect(paymentHref({ from: '1', to: '2' }, 'ord_1', 7)).toBe('/payments/ord_1?from=1&to=2&at=7');
    expect(paymentHref({}, 'ord_1')).toBe('/payments/ord_1');
  });

  it('which the page reads as a day either side, and ignores when it is no time', () => {
    const at = Date.parse('2025-06-01T08:00:00Z');
    expect(traceHintOf({ at: String(at) })).toEqual({ from: new Date(at - 86_400_000), to: new Date(at + 86_400_000) });
    expect(traceHintOf({ at: '5' })).toEqual({ from: new Date(0), to: new Date(5 + 86_400_000) });
    expect(traceHintOf({})).toBeUndefined();
    expect(traceHintOf({ at: 'yesterday' })).toBeUndefined();
    expect(traceHintOf({ at: '-1' })).toBeUndefined();
    expect(traceHintOf({ at: '1e300' })).toBeUndefined();
  });
});
