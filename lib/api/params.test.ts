import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { describeZodError, parseTime, resolveRange, searchParamsObject } from './params';
import { FunnelQuery, StuckQuery, TracesQuery } from './schemas';

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
  ])('%s → %s', (text, iso) => {
    expect(parseTime(text)?.toISOString()).toBe(iso);
  });

  it.each(['', 'yesterday', 'now', '2025-13-01', '2025-02-30', '2025-03-01T24:00:00Z', '2025-03-01T10:60', '1e12', '-5', '2025/03/01', '1740823200000000000', "2025-03-01' OR 1=1"])(
    'rejects %j',
    (text) => {
      expect(parseTime(text)).toBeUndefined();
    },
  );
});

describe('query schemas', () => {
  const now = Date.now();
  it('default to the last hour and accept a range given either way', () => {
    const q = TracesQuery.parse({});
    expect(q.to.getTime() - q.from.getTime()).toBe(3_600_000);
    expect(Math.abs(q.to.getTime() - now)).toBeLessThan(5000);
    const r = TracesQuery.parse({ from: '2025-03-01T10:00:00Z', to: '1740826800000' });
    expect([r.from.toISOString(), r.to.toISOString()]).toEqual(['2025-03-01T10:00:00.000Z', '2025-03-01T11:00:00.000Z']);
    const onlyTo = TracesQuery.parse({ to: '2025-03-01T11:00:00Z' });
    expect(onlyTo.from.toISOString()).toBe('2025-03-01T10:00:00.000Z');
  });

  it.each([
    [{ from: 'yesterday' }, /from: not a time: "yesterday"/],
    [{ from: '2025-03-01T11:00:00Z', to: '2025-03-01T10:00:00Z' }, /from: `from` must be before `to`/],
    [{ from: '2020-01-01', to: '2025-01-01' }, /at most 400 days/],
    [{ color: 'red' }, /unknown parameter "color"/],
    [{ limit: '0' }, /limit:/],
    [{ limit: 'lots' }, /limit:/],
    [{ status: 'broken' }, /status: Invalid option/],
    [{ minDurationMs: '-1' }, /minDurationMs:/],
    [{ traceId: "abc' OR 1=1" }, /traceId must be 16 to 64 hex digits/],
    [{ service: '' }, /service: must not be empty/],
    [{ service: 'x'.repeat(513) }, /service: at most 512 characters/],
  ])('reject %j', (input, message) => {
    const r = TracesQuery.safeParse(input);
    expect(r.success).toBe(false);
    expect(describeZodError(r.error!)).toMatch(message);
  });

  it('funnel steps as stage names or JSON step objects; compare periods', () => {
    const a = FunnelQuery.parse({ steps: 'order.create, payment.submit', from: '2025-03-01T10:00:00Z', to: '2025-03-01T11:00:00Z', compare: 'previous' });
    expect(a.steps).toEqual([{ name: 'order.create', stage: 'order.create' }, { name: 'payment.submit', stage: 'payment.submit' }]);
    expect([a.compare!.from.toISOString(), a.compare!.to.toISOString()]).toEqual(['2025-03-01T09:00:00.000Z', '2025-03-01T10:00:00.000Z']);
    const b = FunnelQuery.parse({ steps: JSON.stringify([{ service: 'order', spanName: 'POST /orders' }, { name: 'paid', attributes: { 'payment.outcome': 'succeeded' } }]) });
    expect(b.steps!.map((s) => s.name)).toEqual(['POST /orders', 'paid']);
    for (const [input, message] of [
      [{ steps: '[{"service": ' }, /steps: not valid JSON/],
      [{ steps: '[{}]' }, /a step needs a stage/],
      [{ steps: '[{"stage": "x", "sql": "DROP"}]' }, /Unrecognized key/],
      [{ steps: 'a', funnelId: 'checkout' }, /either steps or funnelId/],
      [{ compareFrom: '2025-03-01' }, /compareFrom and compareTo go together/],
      [{ split: 'service' }, /split: Invalid option/],
    ] as const) {
      const r = FunnelQuery.safeParse(input);
      expect(r.success, JSON.stringify(input)).toBe(false);
      expect(describeZodError(r.error!)).toMatch(message);
    }
  });

  it('SLA per gateway', () => {
    expect(StuckQuery.parse({ sla: 'paypal=900, alipay=120.5' }).sla).toEqual({ paypal: 900, alipay: 120.5 });
    expect(describeZodError(StuckQuery.safeParse({ sla: 'paypal' }).error!)).toMatch(/expected gateway=seconds/);
    expect(describeZodError(StuckQuery.safeParse({ slaSec: '0' }).error!)).toMatch(/slaSec/);
  });

  it('repeated parameters are reported, not merged', () => {
    expect(searchParamsObject(new URLSearchParams('a=1&b=2&a=3'))).toEqual({ values: { a: '3', b: '2' }, repeated: ['a'] });
  });

  it('resolveRange reports through the refinement context', () => {
    const s = z.object({}).transform((_, ctx) => resolveRange({ from: new Date(10), to: new Date(5) }, ctx));
    expect(s.safeParse({}).success).toBe(false);
  });
});
