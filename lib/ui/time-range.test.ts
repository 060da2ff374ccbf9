import { describe, expect, it } from 'vitest';
import { describeRange, parseTime, withParams } from './time-range';

// Ranges from URL parameters (presets, from/to, limits) are lib/api/params.test.ts: one parser for pages and API.

describe('parseTime', () => {
  it.each([
    ['1740823200000', '2025-03-01T10:00:00.000Z'],
    ['0', '1970-01-01T00:00:00.000Z'],
    ['2025-03-01', '2025-03-01T00:00:00.000Z'],
    ['2025-03-01T10:00', '2025-03-01T10:00:00.000Z'],
    ['2025-03-01T10:00:00Z', '2025-03-01T10:00:00.000Z'],
    ['2025-03-01T10:00:00.123456789Z', '2025-03-01T10:00:00.123Z'],
    ['2025-03-01 10:00:00', '2025-03-01T10:00:00.000Z'], // no offset: UTC
    ['2025-03-01T18:00:00+08:00', '2025-03-01T10:00:00.000Z'],
    ['2025-03-01T05:00:00-0500', '2025-03-01T10:00:00.000Z'],
    ['2026-11-20 06:00:00.123+08:00', '2026-11-19T22:00:00.123Z'],
  ])('%s → %s', (text, iso) => {
    expect(parseTime(text)?.toISOString()).toBe(iso);
  });

  it.each(['', 'yesterday', 'now', '2025-13-01', '2025-02-30', '2025-03-01T24:00:00Z', '2025-03-01T10:60', '1e12', '-5', '-1', '2025/03/01',
    '1740823200000000000', "2025-03-01' OR 1=1", '<script>', '<img src=x onerror="window.__pwned=1">'])('rejects %j', (text) => {
    expect(parseTime(text)).toBeUndefined();
  });

  it('reads a time without an offset as UTC whatever the server\'s zone', () => {
    const tz = process.env.TZ;
    process.env.TZ = 'Asia/Shanghai';
    try {
      expect(new Date(2025, 2, 1).getTimezoneOffset()).toBe(-480); // the zone took effect
      expect(parseTime('2025-03-01T10:00')?.toISOString()).toBe('2025-03-01T10:00:00.000Z');
    } finally {
      if (tz === undefined) delete process.env.TZ;
      else process.env.TZ = tz;
    }
  });
});

describe('query strings and labels', () => {
  it('edits query strings without losing other filters', () => {
    expect(withParams({ channel: 'card', range: '1h' }, { range: '24h' })).toBe('?channel=card&range=24h');
    expect(withParams({ channel: 'card' }, { channel: undefined })).toBe('');
    expect(withParams({ q: 'a&b=c' }, {})).toBe('?q=a%26b%3Dc');
  });
  it('describes ranges for people', () => {
    expect(describeRange({ from: new Date('2026-11-21T06:00:00Z'), to: new Date('2026-11-21T12:00:00Z'), preset: '6h' })).toBe('Last 6 hours');
    expect(describeRange({ from: new Date('2026-11-20T00:00:00Z'), to: new Date('2026-11-20T06:30:00Z') })).toBe('2026-11-20 00:00 – 2026-11-20 06:30 UTC');
  });
});
