import { describe, expect, it } from 'vitest';
import { describeRange, parseTime, resolveTimeRange, withParams } from './time-range';

const now = new Date('2026-11-21T12:00:00Z');

describe('time range from the URL', () => {
  it('defaults to the last hour', () => {
    expect(resolveTimeRange({}, now)).toEqual({ from: new Date('2026-11-21T11:00:00Z'), to: now, preset: '1h' });
  });
  it('takes a preset', () => {
    expect(resolveTimeRange({ range: '7d' }, now).from).toEqual(new Date('2026-11-14T12:00:00Z'));
  });
  it('prefers an absolute range, in ISO or epoch ms', () => {
    expect(resolveTimeRange({ range: '7d', from: '2026-11-20T00:00:00Z', to: String(Date.parse('2026-11-20T06:00:00Z')) }, now))
      .toEqual({ from: new Date('2026-11-20T00:00:00Z'), to: new Date('2026-11-20T06:00:00Z') });
  });
  it('ignores an inverted or unparsable range', () => {
    expect(resolveTimeRange({ from: '2026-11-21T00:00:00Z', to: '2026-11-20T00:00:00Z' }, now).preset).toBe('1h');
    expect(resolveTimeRange({ from: 'yesterday' }, now).preset).toBe('1h');
    expect(parseTime('<script>')).toBeUndefined();
  });
  it('ignores times the store cannot hold and ranges over 400 days (a page would fail, not show an error)', () => {
    expect(parseTime('8640000000000000')).toBeUndefined();
    expect(parseTime('99999999999999')).toBeUndefined(); // year 5138
    expect(parseTime('1999-12-31T00:00:00Z')).toBeUndefined();
    expect(parseTime('0000003600000')).toBeUndefined();
    expect(parseTime('<img src=x onerror="window.__pwned=1">')).toBeUndefined(); // Date() reads 2001-01-01
    expect(parseTime('-1')).toBeUndefined();
    expect(parseTime('2026-11-20 06:00:00.123+08:00')).toEqual(new Date('2026-11-19T22:00:00.123Z'));
    expect(resolveTimeRange({ from: '0000000000', to: '9000000000000' }, now).preset).toBe('1h');
    expect(resolveTimeRange({ from: '2020-01-01T00:00:00Z' }, now).preset).toBe('1h');
    expect(resolveTimeRange({ from: '2026-01-01T00:00:00Z', to: '2026-11-01T00:00:00Z' }, now).preset).toBeUndefined();
  });
  it('edits query strings without losing other filters', () => {
    expect(withParams({ channel: 'card', range: '1h' }, { range: '24h' })).toBe('?channel=card&range=24h');
    expect(withParams({ channel: 'card' }, { channel: undefined })).toBe('');
    expect(withParams({ q: 'a&b=c' }, {})).toBe('?q=a%26b%3Dc');
  });
  it('describes ranges for people', () => {
    expect(describeRange(resolveTimeRange({ range: '6h' }, now))).toBe('Last 6 hours');
    expect(describeRange({ from: new Date('2026-11-20T00:00:00Z'), to: new Date('2026-11-20T06:30:00Z') })).toBe('2026-11-20 00:00 – 2026-11-20 06:30 UTC');
  });
});
