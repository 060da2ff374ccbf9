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
