import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../clickhouse/migrate';
import { searchParamsObject } from '../api/params';
import { TracesQuery } from '../api/schemas';
import { sql } from '../store/sql';
import type { Store } from '../store/store';
import { openTempStore } from '../../test/helpers/store';
import { searchTraces, type TraceSearchParams } from './traces';
import { insertFixture, traceIdOf, type FixtureSpan } from '../../test/helpers/fixtures';

/**
 * Trace search by attribute, span name and duration, on spans drawn by hand (ms after T0):
 *
 *   X  checkout POST /pay    0 ──────────────────────────── 1000   http.route=/pay
 *      payment  SELECT        100 ─ 150                              db.system=postgresql
 *      payment  POST              200 ───────────── 900              http.route=/charge, payment.channel=card, resource deployment.environment=prod
 *   Y  checkout POST /pay    10000 ────── 10300                      http.route=/pay
 *      payment  POST          10050 ─── 10250                        http.route=/charge, db.system=postgresql
 *   Z  payment  SELECT       20000 ──────────── 20900                db.system=postgresql, resource deployment.environment=staging
 *                                                                     and payment.channel=wallet
 *   H  svc      op           30000 ─ 30010                           hostile keys and values (below)
 *
 * Trace durations: X 1000, Y 300, Z 900, H 10 ms.
 *
 * And across the end of a second range (EDGE_RANGE, 90 s to 120 s):
 *
 *   V  edge     check        119000 ─ 119500 │                       db.system=oracle
 *      edge     late                         │ 120500 ─ 120600       db.system=mysql, error
 */
const T0 = Date.parse('2025-04-01T10:00:00Z');
const HOSTILE_KEY = "k'); DROP TABLE otel_traces; --";
const HOSTILE_VALUE = "v' OR '1'='1";
const SPANS: FixtureSpan[] = [
  { trace: 'X', id: 'x.root', service: 'checkout', name: 'POST /pay', start: 0, dur: 1000, attrs: { 'http.route': '/pay' } },
  { trace: 'X', id: 'x.db', parent: 'x.root', service: 'payment', name: 'SELECT', kind: 'Client', start: 100, dur: 50, attrs: { 'db.system': 'postgresql' } },
  { trace: 'X', id: 'x.gw', parent: 'x.root', service: 'payment', name: 'POST', kind: 'Client', start: 200, dur: 700, attrs: { 'http.route': '/charge', 'payment.channel': 'card' }, resource: { 'deployment.environment': 'prod' } },
  { trace: 'Y', id: 'y.root', service: 'checkout', name: 'POST /pay', start: 10_000, dur: 300, attrs: { 'http.route': '/pay' } },
  { trace: 'Y', id: 'y.gw', parent: 'y.root', service: 'payment', name: 'POST', kind: 'Client', start: 10_050, dur: 200, attrs: { 'http.route': '/charge', 'db.system': 'postgresql' } },
  { trace: 'Z', id: 'z.root', service: 'payment', name: 'SELECT', start: 20_000, dur: 900, attrs: { 'db.system': 'postgresql' }, resource: { 'deployment.environment': 'staging', 'payment.channel': 'wallet' } },
  { trace: 'H', id: 'h.root', service: 'svc', name: 'op', start: 30_000, dur: 10, attrs: { [HOSTILE_KEY]: HOSTILE_VALUE, url: 'https://x.example/a:b', 'ü🙂\u202E': '%00\u0000' } },
];

const EDGE: FixtureSpan[] = [
  { trace: 'V', id: 'v.root', service: 'edge', name: 'check', start: 119_000, dur: 500, attrs: { 'db.system': 'oracle' } },
  { trace: 'V', id: 'v.late', parent: 'v.root', service: 'edge', name: 'late', start: 120_500, dur: 100, attrs: { 'db.system': 'mysql' }, status: 'Error' },
];
const EDGE_RANGE = { from: new Date(T0 + 90_000), to: new Date(T0 + 120_000) };

/**
 * Most recent first over a 3 h range (from B): the search looks at its last hour first.
 *
 *   P  p.early  B−10 s (before the range)  ·  p.late  3 h − 1 min
 *   R1                                          r1     3 h − 10 min     db.system=x
 *   R2                                          r2     2 h + 30 min     db.system=x
 *   S  s.root   2 h − 30 s (before the last hour)  ·  s.child  3 h − 5 min
 *
 * In the range P starts at 3 h − 1 min (its first span is before it), then R1, R2, S: S's second
 * span is late but S started before the last hour.
 */
const B = T0 + 86_400_000;
const H = 3_600_000;
const WINDOW: FixtureSpan[] = [
  { trace: 'P', id: 'p.early', service: 'win', name: 'early', start: -10_000, dur: 100 },
  { trace: 'P', id: 'p.late', parent: 'p.early', service: 'win', name: 'late', start: 3 * H - 60_000, dur: 100 },
  { trace: 'R1', id: 'r1', service: 'win', name: 'r1', start: 3 * H - 600_000, dur: 100, attrs: { 'db.system': 'x' } },
  { trace: 'R2', id: 'r2', service: 'win', name: 'r2', start: 2 * H + 1_800_000, dur: 100, attrs: { 'db.system': 'x' } },
  { trace: 'S', id: 's.root', service: 'win', name: 'root', start: 2 * H - 30_000, dur: 100 },
  { trace: 'S', id: 's.child', parent: 's.root', service: 'win', name: 'child', start: 3 * H - 300_000, dur: 100 },
];

let store: Store;
let cleanup: () => Promise<void>;
const range = { from: new Date(T0), to: new Date(T0 + 60_000) };
const T = (...names: string[]) => names.map(traceIdOf).sort();

beforeAll(async () => {
  ({ store, cleanup } = await openTempStore());
  await migrate(store, { retentionDays: 0 });
  await insertFixture(store, [...SPANS, ...EDGE], T0);
  await insertFixture(store, WINDOW, B);
});
afterAll(async () => cleanup?.());

const ids = async (f: Partial<TraceSearchParams>) => (await searchTraces(store, { ...range, ...f })).traces.map((t) => t.traceId).sort();
const attr = (key: string, value: string) => ({ key, value });

describe('trace search by attribute, span name and duration', () => {
  it('matches span and resource attributes', async () => {
    expect(await ids({ attr: [attr('http.route', '/charge')] })).toEqual(T('X', 'Y'));
    expect(await ids({ attr: [attr('db.system', 'postgresql')] })).toEqual(T('X', 'Y', 'Z'));
    expect(await ids({ attr: [attr('deployment.environment', 'prod')] })).toEqual(T('X'));
    expect(await ids({ attr: [attr('deployment.environment', 'prod'), attr('db.system', 'postgresql')] })).toEqual(T('X'));
    expect(await ids({ attr: [attr('http.route', '/nowhere')] })).toEqual([]);
    // payment.* keys are read from their own columns; a resource attribute of that name still counts.
    expect(await ids({ attr: [attr('payment.channel', 'card')] })).toEqual(T('X'));
    expect(await ids({ attr: [attr('payment.channel', 'wallet')] })).toEqual(T('Z'));
    expect(await ids({ match: 'span', service: 'payment', attr: [attr('payment.channel', 'card')], minDurationMs: 600 })).toEqual(T('X'));
    expect(await ids({ match: 'span', service: 'payment', attr: [attr('payment.channel', 'card')], minDurationMs: 800 })).toEqual([]);
  });

  it('bounds the trace duration by default, each filter on any span (match=trace)', async () => {
    expect(await ids({ minDurationMs: 800 })).toEqual(T('X', 'Z'));
    expect(await ids({ maxDurationMs: 500 })).toEqual(T('Y', 'H'));
    expect(await ids({ minDurationMs: 800, maxDurationMs: 950 })).toEqual(T('Z'));
    expect(await ids({ service: 'payment', name: 'SELECT', minDurationMs: 800 })).toEqual(T('X', 'Z'));
    expect(await ids({ service: 'payment', attr: [attr('http.route', '/pay')] })).toEqual(T('X', 'Y'));
    expect(await ids({ attr: [attr('http.route', '/charge'), attr('db.system', 'postgresql')] })).toEqual(T('X', 'Y'));
    expect(await ids({ maxDurationMs: 100 })).toEqual(T('H'));
  });

  it('with match=span, service, name, attributes and duration hold on one span', async () => {
    // X's SELECT took 50 ms; only Z's took 800 ms or more.
    expect(await ids({ match: 'span', service: 'payment', name: 'SELECT', minDurationMs: 800 })).toEqual(T('Z'));
    // No payment span has route /pay (the checkout roots do).
    expect(await ids({ match: 'span', service: 'payment', attr: [attr('http.route', '/pay')] })).toEqual([]);
    // Only Y's gateway call carries both.
    expect(await ids({ match: 'span', attr: [attr('http.route', '/charge'), attr('db.system', 'postgresql')] })).toEqual(T('Y'));
    // Spans of at most 100 ms: X's SELECT (50) and H's root (10).
    expect(await ids({ match: 'span', maxDurationMs: 100 })).toEqual(T('X', 'H'));
    expect(await ids({ match: 'span', service: 'payment', name: 'POST', minDurationMs: 250, maxDurationMs: 800 })).toEqual(T('X'));
    // Filters match=span leaves per trace (stage, channel, gateway, status) and no filter at all.
    expect(await ids({ match: 'span' })).toEqual(T('X', 'Y', 'Z', 'H'));
  });

  it('takes hostile keys and values as data, from the URL to the store', async () => {
    const parse = (qs: string) => {
      const { values } = searchParamsObject(new URLSearchParams(qs));
      return TracesQuery.parse({ ...values, from: range.from.toISOString(), to: range.to.toISOString() });
    };
    const hostile = parse(`attr=${encodeURIComponent(`${HOSTILE_KEY}:${HOSTILE_VALUE}`)}`);
    expect(hostile.attr).toEqual([attr(HOSTILE_KEY, HOSTILE_VALUE)]);
    expect(await ids(hostile)).toEqual(T('H'));
    // The key ends at the first colon; the value keeps the rest.
    expect(await ids(parse(`attr=${encodeURIComponent('url:https://x.example/a:b')}`))).toEqual(T('H'));
    expect(await ids(parse(`attr=${encodeURIComponent('ü🙂\u202E:%00\u0000')}&match=span`))).toEqual(T('H'));
    expect(await ids(parse(`attr=${encodeURIComponent("http.route:/pay' OR 1=1 --")}`))).toEqual([]);
    expect(await ids(parse(`attr=${encodeURIComponent("') OR 1=1 --:x")}`))).toEqual([]);
    const [{ n }] = await store.query<{ n: string }>(sql`SELECT count() AS n FROM otel_traces`);
    expect(Number(n)).toBe(SPANS.length + EDGE.length + WINDOW.length);
  });

  it('reads only the spans in the range, for the filters and for the summary', async () => {
    const search = (f: Partial<TraceSearchParams>) => searchTraces(store, { ...EDGE_RANGE, ...f });
    const { traces } = await search({ attr: [attr('db.system', 'oracle')] });
    expect(traces.map((t) => [t.traceId, t.spanCount, t.durationMs, t.error])).toEqual([[traceIdOf('V'), 1, 500, false]]);
    // V's mysql span and its error lie after the range.
    expect((await search({ attr: [attr('db.system', 'mysql')] })).traces).toEqual([]);
    expect((await search({ attr: [attr('db.system', 'oracle'), attr('db.system', 'mysql')] })).traces).toEqual([]);
    expect((await search({ match: 'span', service: 'edge', name: 'late' })).traces).toEqual([]);
    expect((await search({ status: 'error' })).traces).toEqual([]);
    expect((await search({ status: 'ok', service: 'edge' })).traces.map((t) => t.traceId)).toEqual([traceIdOf('V')]);
  });

  it('most recent first over a long range: the same traces as over the whole range', async () => {
    const search = async (f: Partial<TraceSearchParams>) =>
      (await searchTraces(store, { from: new Date(B), to: new Date(B + 3 * H), service: 'win', ...f })).traces.map((t) => [t.traceId, t.start, t.spanCount]);
    const at = (ms: number) => new Date(B + ms).toISOString().replace('Z', '000000Z');
    const P = [traceIdOf('P'), at(3 * H - 60_000), 1];
    const R1 = [traceIdOf('R1'), at(3 * H - 600_000), 1];
    const R2 = [traceIdOf('R2'), at(2 * H + 1_800_000), 1];
    const S = [traceIdOf('S'), at(2 * H - 30_000), 2];
    // In the last hour alone S (from its second span) would come before R1.
    expect(await search({ limit: 2 })).toEqual([P, R1]);
    expect(await search({ limit: 3 })).toEqual([P, R1, R2]);
    expect(await search({})).toEqual([P, R1, R2, S]);
    expect(await search({ attr: [attr('db.system', 'x')], limit: 1 })).toEqual([R1]);
    expect(await search({ attr: [attr('db.system', 'x')] })).toEqual([R1, R2]);
  });
});

describe('trace search parameters', () => {
  const parse = (qs: string) => {
    const { values } = searchParamsObject(new URLSearchParams(qs));
    return TracesQuery.safeParse(values);
  };
  it('take attr more than once, each a key:value', () => {
    const r = parse('attr=a:1&attr=b:x:y&match=span&maxDurationMs=20');
    expect(r.success && [r.data.attr, r.data.match, r.data.maxDurationMs]).toEqual([[attr('a', '1'), attr('b', 'x:y')], 'span', 20]);
  });
  it.each([
    ['attr=nocolon', /attr: expected key:value, got "nocolon"/],
    ['attr=:v', /attr: expected key:value/],
    ['attr=k:', /attr: expected key:value/],
    [Array.from({ length: 11 }, (_, i) => `attr=k${i}:v`).join('&'), /attr: at most 10 attribute filters/],
    [`attr=${'k'.repeat(257)}:v`, /attr: a key has at most 256 characters/],
    ['minDurationMs=500&maxDurationMs=100', /maxDurationMs: must not be below minDurationMs/],
    ['maxDurationMs=-1', /maxDurationMs:/],
    ['match=some', /match:/],
    ['service=a&service=b', null],
  ])('refuse %s', (qs, message) => {
    const { repeated } = searchParamsObject(new URLSearchParams(qs));
    if (message === null) return expect(repeated).toEqual(['service']);
    const r = parse(qs);
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')).toMatch(message);
  });
});
