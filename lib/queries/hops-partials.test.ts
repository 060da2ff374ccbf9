/**
 * The hops query on hourly partials gives the answer the spans give: before any partial, with some
 * hours computed, with all, and after late inserts made some stale: one into a middle hour, and one
 * that only answers, in the next hour, a call made in an hour whose partial was already computed.
 * The from-spans answer is the same query with `now` before the range (every hour then counts as
 * current, so none is read from partials).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../clickhouse/migrate';
import { seedStore } from '../../sim/seed/seed';
import { sql } from '../store/sql';
import type { Store } from '../store/store';
import { openTempStore } from '../../test/helpers/store';
import { insertFixture, type FixtureSpan } from '../../test/helpers/fixtures';
import { getSlowestHops, HOPS_PARTIALS, planHops } from './hops';
import { computePartials, HOUR_MS, planPartials } from './partials';

const END = Date.parse('2025-04-10T12:00:00Z');
const HOURS = 6;
const NOW = END + 3 * HOUR_MS;
const [HEAD, TAIL] = HOPS_PARTIALS.map((k) => k.kind);
const job = { now: NOW, horizonHours: HOURS + 4, settleMs: 0, only: [HEAD.name, TAIL.name] };
const computed = (r: { computed: Record<string, number> }) => (r.computed[HEAD.name] ?? 0) + (r.computed[TAIL.name] ?? 0);

let store: Store;
let cleanup: () => Promise<void>;

// A call made a moment before END - 3h whose server child starts just after it, in the next hour:
//
//   hour END-4h … END-3h              | hour END-3h …
//   checkout CLIENT      |=============|=====|          → host late-db (nothing answered yet)
//   late-svc SERVER                    ||==|            written later: checkout → late-svc
//
// And one whose server child starts 20 minutes after it: outside the call's window (15 minutes), so
// the call stays checkout → far-db in every range, the whole history included.
const EDGE = END - 3 * HOUR_MS;
const CALL: FixtureSpan[] = [
  { trace: 'edge', id: 'root', service: 'checkout', name: 'POST /checkout', start: -50, dur: 400 },
  { trace: 'edge', id: 'call', parent: 'root', service: 'checkout', name: 'GET', kind: 'Client', start: -20, dur: 300, attrs: { 'server.address': 'late-db' } },
  { trace: 'far', id: 'far-call', service: 'checkout', name: 'GET', kind: 'Client', start: -20, dur: 30 * 60_000, attrs: { 'server.address': 'far-db' } },
  { trace: 'far', id: 'far-child', parent: 'far-call', service: 'far-svc', name: 'GET', start: 20 * 60_000, dur: 5 },
];
const LATE_CHILD: FixtureSpan[] = [
  { trace: 'edge', id: 'child', parent: 'call', service: 'late-svc', name: 'GET', start: 5, dur: 250 },
];

beforeAll(async () => {
  ({ store, cleanup } = await openTempStore());
  await migrate(store, { retentionDays: 0 });
  await seedStore(store, { payments: 300, days: HOURS / 24, seed: 'hop-partials', endMs: END, scenario: 'gateway-degraded', chunkSpans: 2000 });
  await insertFixture(store, CALL, EDGE);
});
afterAll(async () => cleanup?.());

// Whole hours inside, partial hours at both ends; one range on hour boundaries.
const RANGES = [
  { from: new Date(END - HOURS * HOUR_MS - 600_000), to: new Date(END + HOUR_MS) },
  { from: new Date(END - 4 * HOUR_MS + 1_234_567), to: new Date(END - 1_800_000) },
  { from: new Date(END - 5 * HOUR_MS), to: new Date(END - HOUR_MS) },
];

type Filter = { channel?: string; gateway?: string };
const hopsFromSpans = (r: { from: Date; to: Date }, f: Filter = {}) => getSlowestHops(store, { ...r, ...f, sampleTraces: 10 }, 0);
const hopsNow = (r: { from: Date; to: Date }, f: Filter = {}) => getSlowestHops(store, { ...r, ...f, sampleTraces: 10 }, NOW);

async function expectSameAsSpans(): Promise<void> {
  for (const r of RANGES) {
    for (const f of [{}, { channel: 'card' }, { gateway: 'stripe' }]) {
      const want = await hopsFromSpans(r, f);
      expect(want.hops.length).toBeGreaterThan(3);
      expect(await hopsNow(r, f), `${r.from.toISOString()} ${JSON.stringify(f)}`).toEqual(want);
    }
  }
}

const edgeOf = async (to: string) => (await hopsNow(RANGES[2])).hops.find((h) => h.from === 'checkout' && h.to === to);

// Each step compares 18 answers (three ranges, unfiltered and two filters, both ways): a busy machine
// needs more than the default minute for that, which says nothing about the query's cost.
describe('hops on hourly partials', { timeout: 240_000 }, () => {
  it('before any partial, every hour is read from the spans', async () => {
    expect(await planHops(store, RANGES[0], NOW)).toEqual({ pieces: [], live: [RANGES[0]] });
    expect(await edgeOf('late-db')).toMatchObject({ calls: 1, toKind: 'external' });
    for (const r of RANGES) expect((await hopsFromSpans(r)).hops.some((h) => h.to === 'far-svc')).toBe(false);
    expect(await edgeOf('far-db')).toMatchObject({ calls: 1, toKind: 'external', selfMs: 30 * 60_000 });
  });

  it('some hours computed: the same answer', async () => {
    // The first 45 minutes of the newest six hours, none of the rest.
    const r = await computePartials(store, { ...job, maxHours: 6, only: [HEAD.name] });
    expect(r.computed).toEqual({ [HEAD.name]: 6 });
    expect(r.remaining).toBeGreaterThan(0);
    expect((await planPartials(store, HEAD, RANGES[0], NOW)).hours.length).toBe(4);
    expect((await planPartials(store, TAIL, RANGES[0], NOW)).hours).toEqual([]);
    await expectSameAsSpans();
  });

  it('the first 45 minutes of every hour computed: the last 15 of each from the spans, in at most eight ranges', async () => {
    await computePartials(store, { ...job, maxHours: 100, only: [HEAD.name] });
    // Eight heads inside it, so nine gaps: the two closest are read as one range, heads and all.
    const wide = { from: new Date(END - HOURS * HOUR_MS - 600_000), to: new Date(END + 2 * HOUR_MS) };
    const plan = await planHops(store, wide, NOW);
    expect(plan.live).toHaveLength(8);
    expect(plan.pieces).toHaveLength(7);
    const want = await hopsFromSpans(wide);
    expect(want.hops.length).toBeGreaterThan(3);
    expect(await hopsNow(wide)).toEqual(want);
    await expectSameAsSpans();
  });

  it('every hour computed: the same answer, only the partial hours at the ends read from the spans', async () => {
    await computePartials(store, { ...job, maxHours: 100 });
    expect(computed(await computePartials(store, job))).toBe(0);
    for (const kind of [HEAD, TAIL]) {
      const plan = await planPartials(store, kind, RANGES[1], NOW);
      expect(plan.live).toEqual([
        { from: RANGES[1].from, to: new Date(END - 3 * HOUR_MS) },
        { from: new Date(END - HOUR_MS), to: RANGES[1].to },
      ]);
      expect(plan.hours.map((h) => h.hour.getTime())).toEqual([END - 3 * HOUR_MS, END - 2 * HOUR_MS]);
    }
    await expectSameAsSpans();
  });

  it('a range starting and ending inside computed hours: the five-minute buckets inside it from partials, the rest from spans', async () => {
    // Each end a millisecond past a client span, inside a bucket: the span before `from` and the one
    // at `to` lie in the cut buckets and must not count.
    const firstAfter = async (ms: number) => {
      const [r] = await store.query<{ t: string }>(sql`
        SELECT toUnixTimestamp64Milli(min(Timestamp)) AS t FROM hop_spans WHERE Kind = 'client' AND Timestamp >= ${new Date(ms)}`);
      return Number(r.t);
    };
    const from = (await firstAfter(END - 4 * HOUR_MS + 6 * 60_000)) + 1;
    const to = await firstAfter(END - 2 * HOUR_MS + 31 * 60_000);
    expect(Math.floor((from - 1) / 300_000)).toBe(Math.floor(from / 300_000));
    const r = { from: new Date(from), to: new Date(to) };
    const want = await hopsFromSpans(r);
    expect(await hopsNow(r)).toEqual(want);
  });

  it('a late server child in the next hour: the call’s hour is read from the spans until recomputed', async () => {
    await insertFixture(store, LATE_CHILD, EDGE);
    expect(await edgeOf('late-db')).toBeUndefined();
    expect(await edgeOf('late-svc')).toMatchObject({ calls: 1, toKind: 'service', selfMs: 300 });
    await expectSameAsSpans();
    // The call's own hour had no insert; its last 15 minutes depend on the hour after it, the rest
    // of it does not.
    expect((await planPartials(store, TAIL, RANGES[2], NOW)).hours.map((h) => h.hour.getTime())).not.toContain(EDGE - HOUR_MS);
    expect((await planPartials(store, HEAD, RANGES[2], NOW)).hours.map((h) => h.hour.getTime())).toContain(EDGE - HOUR_MS);
    await computePartials(store, job);
    expect((await planHops(store, RANGES[2], NOW)).live).toEqual([]);
    expect(await edgeOf('late-svc')).toMatchObject({ calls: 1, toKind: 'service' });
    await expectSameAsSpans();
  });

  it('a late insert into a middle hour: the same answer, before and after the job recomputes', async () => {
    const before = await hopsFromSpans(RANGES[2]);
    await seedStore(store, { payments: 40, days: 1 / 24, seed: 'late', endMs: END - 2 * HOUR_MS, scenario: 'baseline', chunkSpans: 2000 });
    expect(await hopsFromSpans(RANGES[2])).not.toEqual(before);
    await expectSameAsSpans();
    const r = await computePartials(store, job);
    expect(computed(r)).toBeGreaterThanOrEqual(3);
    expect((await planHops(store, RANGES[2], NOW)).live).toEqual([]);
    await expectSameAsSpans();
  });

  it('the hour before the current one: its first 45 minutes from partials while the current hour is written', async () => {
    // Two hours of payments a day later; "now" 20 minutes into the second.
    const T = END + 24 * HOUR_MS;
    await seedStore(store, { payments: 100, days: 2 / 24, seed: 'current', endMs: T, scenario: 'gateway-degraded', chunkSpans: 2000 });
    const now = T - 40 * 60_000;
    const range = { from: new Date(T - 2 * HOUR_MS), to: new Date(now) };
    const r = await computePartials(store, { ...job, now, horizonHours: 3 });
    expect(r.remaining).toBe(0);
    const tailOfPrevious = { from: new Date(T - 2 * HOUR_MS + 45 * 60_000), to: new Date(now) };
    const plan = await planHops(store, range, now);
    expect(plan.pieces.map((x) => [x.kind.name, x.hour.getTime(), x.lo, x.hi])).toEqual([[HEAD.name, T - 2 * HOUR_MS, 0, 9]]);
    expect(plan.live).toEqual([tailOfPrevious]);
    const want = await getSlowestHops(store, { ...range, sampleTraces: 10 }, 0);
    expect(want.hops.length).toBeGreaterThan(3);
    expect(await getSlowestHops(store, { ...range, sampleTraces: 10 }, now)).toEqual(want);
    // More spans in the current hour leave the previous hour's first 45 minutes valid.
    await insertFixture(store, [{ trace: 'current', id: 'c', service: 'checkout', name: 'GET', kind: 'Client', start: 0, dur: 5, attrs: { 'server.address': 'db' } }], T - HOUR_MS + 60_000);
    expect((await planHops(store, range, now)).live).toEqual([tailOfPrevious]);
  });
});
