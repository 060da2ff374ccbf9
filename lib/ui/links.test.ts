import { describe, expect, it } from 'vitest';
import { choice, flatParams, formParams, href, numberParam, param, paymentHref, timeParams, traceHref, tracesHref } from './links';

describe('links carry the time range and filters', () => {
  const sp = { range: '6h', channel: 'card', junk: ['a', 'b'] };
  it('keeps only the time parameters of the page', () => {
    expect(timeParams(sp)).toEqual({ range: '6h' });
    expect(timeParams({ from: '2026-01-01T00:00:00Z', to: '1767229200000', channel: 'x' })).toEqual({ from: '2026-01-01T00:00:00Z', to: '1767229200000' });
  });
  it('builds trace searches; a percentile becomes a minimum duration, slowest first', () => {
    expect(tracesHref(sp, { gateway: 'stripe', status: 'error' })).toBe('/traces?range=6h&gateway=stripe&status=error');
    expect(tracesHref(sp, { channel: 'card', minDurationMs: 812.34567 })).toBe('/traces?range=6h&channel=card&minDurationMs=812.345&sort=duration');
    expect(tracesHref({}, { minDurationMs: null })).toBe('/traces');
  });
  it('encodes hostile values', () => {
    expect(href('/x', { q: 'a&b=c <script>', n: 0, off: false, none: undefined })).toBe('/x?q=a%26b%3Dc+%3Cscript%3E&n=0');
    expect(paymentHref(sp, 'ord/../1?x')).toBe('/payments/ord%2F..%2F1%3Fx?range=6h');
    expect(traceHref({}, 'abc', 'def')).toBe('/traces/abc?span=def');
  });
  it('reads parameters defensively', () => {
    expect(param({ a: '  x  ', b: '', c: ['1', '2'] }, 'a')).toBe('x');
    expect(param({ b: '   ' }, 'b')).toBeUndefined();
    expect(param({ c: ['1', '2'] }, 'c')).toBe('1');
    expect(choice({ split: 'channel' }, 'split', ['channel', 'gateway'])).toBe('channel');
    expect(choice({ split: 'DROP' }, 'split', ['channel', 'gateway'])).toBeUndefined();
    expect(numberParam({ n: '12.5' }, 'n')).toBe(12.5);
    expect(numberParam({ n: '-1' }, 'n')).toBeUndefined();
    expect(numberParam({ n: 'abc' }, 'n')).toBeUndefined();
  });
  it('ignores what is not a string: names every object has, as Next.js passes them', () => {
    const odd = { constructor: [Object, 'x'], toString: [Object.prototype.toString, 'y'], a: 'b' } as unknown as Record<string, string>;
    expect(param(odd, 'constructor')).toBeUndefined();
    expect(param(odd, 'toString')).toBeUndefined();
    expect(param({}, 'hasOwnProperty')).toBeUndefined();
    expect(flatParams(odd)).toEqual({ a: 'b' });
  });

  it('keeps every value of a repeatable parameter for the filter form, the first of others', () => {
    expect(formParams({ attr: ['a:1', ' b:2 ', ''], service: ['x', 'y'], range: '1h' })).toEqual({ attr: ['a:1', 'b:2'], service: 'x', range: '1h' });
    expect(formParams({ attr: 'a:1' })).toEqual({ attr: ['a:1'] });
  });
});
