import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { describeZodError, parsePageParams, resolveRange, searchParamsObject } from './params';
import { DropOffsQuery, FunnelQuery, StuckQuery, TracesQuery } from './schemas';

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

// Pages parse with the schema of their view, leniently: what the API answers 400 to, a page leaves out and says.
describe('page parameters', () => {
  const HOUR = 3_600_000;

  it('take the range as the API does: a preset, or from/to (absolute wins)', () => {
    const preset = parsePageParams(TracesQuery, { range: '7d' }).query;
    expect([preset.to.getTime() - preset.from.getTime(), preset.preset]).toEqual([7 * 24 * HOUR, '7d']);
    const dflt = parsePageParams(TracesQuery, {}).query;
    expect([dflt.to.getTime() - dflt.from.getTime(), dflt.preset]).toEqual([HOUR, '1h']);
    const abs = parsePageParams(TracesQuery, { range: '7d', from: '2026-11-20T00:00:00Z', to: String(Date.parse('2026-11-20T06:00:00Z')) });
    expect(abs).toEqual({ query: expect.objectContaining({ from: new Date('2026-11-20T00:00:00Z'), to: new Date('2026-11-20T06:00:00Z') }), problems: [] });
    expect(abs.query.preset).toBeUndefined();
    // The API reads the same preset.
    const api = TracesQuery.parse({ range: '24h' });
    expect([api.to.getTime() - api.from.getTime(), api.preset]).toEqual([24 * HOUR, '24h']);
  });

  // Pages read times with new Date(): server-local without an offset, and 2025-02-30 became March 2.
  it('read a time without an offset as UTC and refuse impossible dates, as the API does', () => {
    const tz = process.env.TZ;
    process.env.TZ = 'America/New_York';
    try {
      const q = parsePageParams(TracesQuery, { from: '2025-03-01T10:00', to: '2025-03-01T11:00' });
      expect([q.query.from.toISOString(), q.query.to.toISOString(), q.problems]).toEqual(['2025-03-01T10:00:00.000Z', '2025-03-01T11:00:00.000Z', []]);
      const bad = parsePageParams(TracesQuery, { from: '2025-02-30', to: '2025-03-03T00:00:00Z' });
      expect(bad.problems).toEqual([{ param: 'from', message: expect.stringContaining('not a time: "2025-02-30"') }]);
      expect(bad.query.from.toISOString()).toBe('2025-03-02T23:00:00.000Z'); // the hour before `to`
    } finally {
      if (tz === undefined) delete process.env.TZ;
      else process.env.TZ = tz;
    }
  });

  it('fall back to the last hour for ranges the store cannot hold, saying why', () => {
    for (const sp of [{ from: '0', to: '8640000000000000' }, { from: '-1', to: '99999999999999' }, { from: '1000000000000' }, { from: '1999-12-31T00:00:00Z' }]) {
      const { query, problems } = parsePageParams(FunnelQuery, { ...sp, compare: 'week' });
      expect([query.preset, query.to.getTime() - query.from.getTime()], JSON.stringify(sp)).toEqual(['1h', HOUR]);
      expect(problems.length, JSON.stringify(sp)).toBeGreaterThan(0);
      // The comparison window follows the range it fell back to.
      expect(query.compare!.from.getTime()).toBe(query.from.getTime() - 7 * 24 * HOUR);
    }
    const long = parsePageParams(TracesQuery, { from: '2024-01-01T00:00:00Z', to: '2026-01-01T00:00:00Z' });
    expect(long.problems).toEqual([{ param: 'from', message: 'the range may span at most 400 days' }]);
  });

  it('leave out bad values (reported), ignore page-only parameters, never throw', () => {
    const r = parsePageParams(TracesQuery, {
      status: 'broken', limit: 'lots', minDurationMs: '<img src=x>', sort: 'duration', service: '  payment  ', edit: 'new', span: 'x',
      attr: ['a:1', 'nocolon'], constructor: 'y', channel: 'c'.repeat(3800), ...JSON.parse('{"__proto__": "x"}'),
    });
    expect(r.problems.map((p) => p.param).sort()).toEqual(['attr', 'limit', 'minDurationMs', 'status']);
    expect(r.query).toMatchObject({ sort: 'duration', service: 'payment', channel: 'c'.repeat(512) });
    expect(r.query.status).toBeUndefined();
    expect(r.query.attr).toBeUndefined();
    const funnel = parsePageParams(FunnelQuery, { compare: 'previous', compareFrom: '2025-03-01' });
    expect(funnel.problems.map((p) => p.param)).toContain('compare');
    expect(parsePageParams(DropOffsQuery, { step: 'x' }).query.step).toBe(1);
    expect(parsePageParams(DropOffsQuery, { step: '3' }).query.step).toBe(3);
  });
});
