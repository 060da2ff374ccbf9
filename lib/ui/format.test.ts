import { describe, expect, it } from 'vitest';
import { formatCount, formatMs, formatPct, formatPp, formatSec, formatTime, parseIsoMs, shortId } from './format';

describe('formatting', () => {
  it('durations', () => {
    expect([0.4234, 12.34, 845.4, 1234, 12_345, 600_100, 7_200_000, null].map(formatMs)).toEqual(['0.42 ms', '12.3 ms', '845 ms', '1.23 s', '12.3 s', '10.0 min', '2.0 h', '—']);
  });
  it('rates and counts', () => {
    expect([0, 0.004234, 0.1234, 1, null].map(formatPct)).toEqual(['0%', '0.42%', '12.3%', '100%', '—']);
    expect(formatCount(1234567)).toBe('1,234,567');
    expect([0.012, -0.004, 0.0001].map(formatPp)).toEqual(['+1.2 pp', '−0.4 pp', '±0 pp']);
  });
  it('times and ids', () => {
    expect(formatTime('2026-11-21T21:50:03.123456789Z')).toBe('2026-11-21 21:50:03');
    expect(formatTime(Date.parse('2026-11-21T21:50:03.123Z'), true)).toBe('2026-11-21 21:50:03.123');
    expect([45, 600, 12_600, 259_200].map(formatSec)).toEqual(['45 s', '10 min', '3.5 h', '3.0 d']);
    expect(parseIsoMs('2026-11-21T21:50:03.123456789Z')).toBeCloseTo(Date.UTC(2026, 10, 21, 21, 50, 3) + 123.456789, 5);
    expect(parseIsoMs('2026-11-21T21:50:03Z')).toBe(Date.UTC(2026, 10, 21, 21, 50, 3));
    expect(shortId('0123456789abcdef0123')).toBe('0123456789ab…');
  });
});
