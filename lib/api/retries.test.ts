/** GET /api/retries and /api/double-charges through their route handlers, on the hand-drawn orders of test/helpers/retries-fixture.ts. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as doubleChargesRoute from '../../app/api/double-charges/route';
import * as retriesRoute from '../../app/api/retries/route';
import { migrate } from '../../clickhouse/migrate';
import { insertFixture } from '../../test/helpers/fixtures';
import { RETRIES_FIXTURE, RETRIES_T0 } from '../../test/helpers/retries-fixture';
import { openTempStore } from '../../test/helpers/store';
import { setStore, type Store } from '../store/store';
import { DoubleChargesResponse, RetriesResponse } from './retries';
import { ErrorResponse } from './schemas';

let store: Store;
let cleanup: () => Promise<void>;
const RANGE = `from=${RETRIES_T0}&to=${RETRIES_T0 + 3_600_000}`;

beforeAll(async () => {
  ({ store, cleanup } = await openTempStore());
  await migrate(store, { retentionDays: 0 });
  await insertFixture(store, RETRIES_FIXTURE, RETRIES_T0);
  setStore(store);
});
afterAll(async () => {
  setStore(undefined);
  await cleanup?.();
});

async function call(handler: (req: Request) => Promise<Response>, path: string) {
  const res = await handler(new Request(`http://payscope.test${path}`));
  return { status: res.status, body: (await res.json()) as unknown };
}

describe('GET /api/retries', () => {
  it('answers in its documented shape, in the reporting currency', async () => {
    const r = await call(retriesRoute.GET, `/api/retries?${RANGE}`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const body = RetriesResponse.parse(r.body);
    expect([body.orders, body.retried, body.recovered.count, body.currency]).toEqual([7, 3, 2, 'USD']);
    expect(body.chains.map((c) => c.orderId)).toEqual(['recovered-eur', 'declined-after-failover', 'double-failover']);
    const limited = RetriesResponse.parse((await call(retriesRoute.GET, `/api/retries?${RANGE}&channel=card&limit=1`)).body);
    expect(limited.chains.map((c) => c.orderId)).toEqual(['recovered-eur']);
  });

  it.each([
    ['an unknown parameter', `/api/retries?${RANGE}&gateway=stripe`],
    ['a bad time', '/api/retries?from=yesterday'],
    ['a limit of 0', `/api/retries?${RANGE}&limit=0`],
    ['a channel given twice', `/api/retries?${RANGE}&channel=a&channel=b`],
  ])('400 for %s', async (_, path) => {
    const r = await call(retriesRoute.GET, path);
    expect(r.status).toBe(400);
    expect(ErrorResponse.parse(r.body).error).not.toBe('');
  });
});

describe('GET /api/double-charges', () => {
  it('lists the orders charged twice, and a hostile channel only filters', async () => {
    const r = await call(doubleChargesRoute.GET, `/api/double-charges?${RANGE}`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(DoubleChargesResponse.parse(r.body).payments.map((p) => [p.orderId, p.charges])).toEqual([['double-callbacks', 2], ['double-failover', 2]]);
    // `limit` lists fewer; `total` still counts them all.
    const one = DoubleChargesResponse.parse((await call(doubleChargesRoute.GET, `/api/double-charges?${RANGE}&limit=1`)).body);
    expect([one.payments.map((p) => p.orderId), one.total]).toEqual([['double-callbacks'], 2]);
    const hostile = await call(doubleChargesRoute.GET, `/api/double-charges?${RANGE}&channel=${encodeURIComponent("card'); DROP TABLE payment_attempts; --")}`);
    expect(DoubleChargesResponse.parse(hostile.body).payments).toEqual([]);
    const again = DoubleChargesResponse.parse((await call(doubleChargesRoute.GET, `/api/double-charges?${RANGE}&channel=card`)).body);
    expect(again.payments.map((p) => p.orderId)).toEqual(['double-failover']);
  });
});
