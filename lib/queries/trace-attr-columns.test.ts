import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMigrations, migrate } from '../../clickhouse/migrate';
import { render, sql, UNSAFE_RAW_SQL } from '../store/sql';
import type { Store } from '../store/store';
import { openTempStore } from '../../test/helpers/store';
import { attributeEqualsSql, searchTraces, type TraceSearchParams } from './traces';
import { insertFixture, traceIdOf, type FixtureSpan } from '../../test/helpers/fixtures';

/**
 * The semantic-convention keys with columns of their own (migration 0060), on spans and resources
 * (ms after T0; each trace one span unless drawn otherwise):
 *
 *   A  api  GET /a   span http.response.status_code=500, http.request.method=GET, http.route=/a
 *      db   q        span error.type=timeout
 *   B  api  GET /b   span http.request.method=POST; resource http.response.status_code=500,
 *                    http.request.method=PUT, http.route=/b, error.type=timeout
 *   C  api  old      span http.status_code=500 (the older key), error.type=500, http.route=/a/;
 *                    resource http.route=/c
 *
 * Stored the way a store that predates the migration holds them: the spans are inserted while the
 * span table lacks the columns, then the migration's ADD COLUMN runs, then its MATERIALIZE COLUMN.
 */
const T0 = Date.parse('2025-04-03T10:00:00Z');
const SPANS: FixtureSpan[] = [
  { trace: 'A', id: 'a.root', service: 'api', name: 'GET /a', start: 0, dur: 100, attrs: { 'http.response.status_code': '500', 'http.request.method': 'GET', 'http.route': '/a' } },
  { trace: 'A', id: 'a.db', parent: 'a.root', service: 'db', name: 'q', start: 10, dur: 50, attrs: { 'error.type': 'timeout' } },
  {
    trace: 'B', id: 'b.root', service: 'api', name: 'GET /b', start: 1000, dur: 100, attrs: { 'http.request.method': 'POST' },
    resource: { 'http.response.status_code': '500', 'http.request.method': 'PUT', 'http.route': '/b', 'error.type': 'timeout' },
  },
  { trace: 'C', id: 'c.root', service: 'api', name: 'old', start: 2000, dur: 100, attrs: { 'http.status_code': '500', 'error.type': '500', 'http.route': '/a/' }, resource: { 'http.route': '/c' } },
];
const range = { from: new Date(T0), to: new Date(T0 + 60_000) };
const KEYS = ['http.response.status_code', 'http.request.method', 'http.route', 'error.type'];
const COLUMNS = ['HttpResponseStatusCode', 'HttpRequestMethod', 'HttpRoute', 'ErrorType'].flatMap((c) => [c, `Resource${c}`]);
const T = (...names: string[]) => names.map(traceIdOf).sort();
const attr = (key: string, value: string) => ({ key, value });

let store: Store;
let cleanup: () => Promise<void>;
const [addColumns, materialize] = loadMigrations('').find((m) => m.name === '0060_search_attribute_columns')!.statements;

beforeAll(async () => {
  ({ store, cleanup } = await openTempStore());
  await migrate(store, { retentionDays: 0 });
  await store.command(sql`ALTER TABLE otel_traces ${UNSAFE_RAW_SQL(COLUMNS.map((c) => `DROP COLUMN ${c}`).join(', '))}`);
  await insertFixture(store, SPANS, T0);
  await store.command(sql`${UNSAFE_RAW_SQL(addColumns)}`);
});
afterAll(async () => cleanup?.());

/** How many of the search columns the stored parts hold. */
async function storedColumns(): Promise<number> {
  const [{ n }] = await store.query<{ n: string }>(sql`
    SELECT uniqExact(column) AS n FROM system.parts_columns
    WHERE database = currentDatabase() AND table = 'otel_traces' AND active AND column IN ${COLUMNS}`);
  return Number(n);
}

const search = async (f: Partial<TraceSearchParams>) => (await searchTraces(store, { ...range, ...f })).traces.map((t) => t.traceId).sort();

async function expectSameAnswers() {
  expect(await search({ attr: [attr('http.response.status_code', '500')] })).toEqual(T('A', 'B'));
  expect(await search({ attr: [attr('http.response.status_code', '500 ')] })).toEqual([]);
  expect(await search({ attr: [attr('http.request.method', 'GET')] })).toEqual(T('A'));
  expect(await search({ attr: [attr('http.request.method', 'POST')] })).toEqual(T('B'));
  expect(await search({ attr: [attr('http.request.method', 'PUT')] })).toEqual(T('B'));
  expect(await search({ attr: [attr('http.route', '/a')] })).toEqual(T('A'));
  expect(await search({ attr: [attr('http.route', '/c')] })).toEqual(T('C'));
  expect(await search({ attr: [attr('error.type', 'timeout')] })).toEqual(T('A', 'B'));
  expect(await search({ attr: [attr('error.type', '500')] })).toEqual(T('C'));
  expect(await search({ attr: [attr('http.status_code', '500')] })).toEqual(T('C'));
  // On one span: A's status and error are on different spans, B's resource holds both.
  expect(await search({ attr: [attr('http.response.status_code', '500'), attr('error.type', 'timeout')] })).toEqual(T('A', 'B'));
  expect(await search({ match: 'span', attr: [attr('http.response.status_code', '500'), attr('error.type', 'timeout')] })).toEqual(T('B'));
  expect(await search({ match: 'span', service: 'db', attr: [attr('error.type', 'timeout')] })).toEqual(T('A'));
  expect(await search({ match: 'span', service: 'api', attr: [attr('error.type', 'timeout')] })).toEqual(T('B'));
  expect(await search({ match: 'span', attr: [attr('http.response.status_code', '500'), attr('http.request.method', 'POST')] })).toEqual(T('B'));

  // Every key and value of the fixture, and values no span has, against a search of the maps.
  const pairs = new Set<string>();
  for (const s of SPANS) for (const kv of [s.attrs, s.resource]) for (const [k, v] of Object.entries(kv ?? {})) pairs.add(JSON.stringify([k, v]));
  for (const k of KEYS) for (const v of ['', 'none']) pairs.add(JSON.stringify([k, v]));
  for (const pair of pairs) {
    const [key, value] = JSON.parse(pair) as [string, string];
    const fromMaps = await store.query<{ t: string }>(sql`
      SELECT DISTINCT TraceId AS t FROM otel_traces
      WHERE Timestamp >= ${range.from} AND Timestamp < ${range.to}
        AND (SpanAttributes[${key}] = ${value} OR ResourceAttributes[${key}] = ${value})
      ORDER BY t`);
    expect(await search({ attr: [attr(key, value)] }), pair).toEqual(fromMaps.map((r) => r.t));
  }
}

describe('trace search on the keys with columns of their own (migration 0060)', () => {
  it('finds them on spans and resources, exactly as the maps do, from parts stored before the migration', async () => {
    expect(await storedColumns()).toBe(0);
    await expectSameAnswers();
  });

  it('and the same once the migration has written the columns into those parts', async () => {
    await store.command(sql`${UNSAFE_RAW_SQL(materialize)}`, { mutations_sync: '1' });
    expect(await storedColumns()).toBe(COLUMNS.length);
    await expectSameAnswers();
  });

  it('reads those keys from their columns, not from the attribute maps', () => {
    for (const key of KEYS) expect(render(attributeEqualsSql(key, '500')).text, key).not.toMatch(/Attributes/);
    expect(render(attributeEqualsSql('db.system', 'x')).text).toMatch(/SpanAttributes\[.*ResourceAttributes\[/);
  });
});
