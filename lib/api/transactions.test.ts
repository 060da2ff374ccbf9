/** GET /api/transactions through its route handler, on the hand-made transactions of test/helpers/transactions-fixture.ts. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as transactionsRoute from '../../app/api/transactions/route';
import { migrate } from '../../clickhouse/migrate';
import { insertFixture } from '../../test/helpers/fixtures';
import { openTempStore } from '../../test/helpers/store';
import { TRANSACTIONS_FIXTURE, TRANSACTIONS_T0 } from '../../test/helpers/transactions-fixture';
import { setStore, type Store } from '../store/store';
import { ErrorResponse } from './schemas';
import { TransactionsResponse, transactionSlaSec } from './transactions';

let store: Store;
let cleanup: () => Promise<void>;
const RANGE = `from=${TRANSACTIONS_T0}&to=${TRANSACTIONS_T0 + 3_600_000}`;

beforeAll(async () => {
  ({ store, cleanup } = await openTempStore());
  await migrate(store, { retentionDays: 0 });
  await insertFixture(store, TRANSACTIONS_FIXTURE, TRANSACTIONS_T0);
  setStore(store);
});
afterAll(async () => {
  setStore(undefined);
  await cleanup?.();
});

async function call(path: string) {
  const res = await transactionsRoute.GET(new Request(`http://payscope.test${path}`));
  return { status: res.status, body: (await res.json()) as unknown };
}

describe('GET /api/transactions', () => {
  it('answers in its documented shape: transactions, counts per kind, one row per transaction, branch and kind', async () => {
    const r = await call(`/api/transactions?${RANGE}`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const body = TransactionsResponse.parse(r.body);
    expect(body.slaSec).toBe(transactionSlaSec());
    expect(body.slaSec).toBe(300);
    expect(body.transactions).toBe(9);
    expect(body.counts).toEqual({ empty_rollback: 1, hanging: 1, unfinished: 1, mixed_outcome: 1, failed_compensation: 1 });
    expect(body.anomalies.map((a) => `${a.txId}/${a.branch} ${a.kind} ${a.orderId}`)).toEqual([
      'S-comp/points failed_compensation ord-s', 'T-mixed/points mixed_outcome ord-m', 'T-hang/points hanging ord-h', 'T-open/wallet unfinished ord-o', 'T-empty/points empty_rollback ord-e',
    ]);
  });

  it('slaSec and limit apply', async () => {
    const body = TransactionsResponse.parse((await call(`/api/transactions?${RANGE}&slaSec=10&limit=1`)).body);
    expect(body.counts.unfinished).toBe(5);
    expect(body.anomalies.map((a) => `${a.txId}/${a.branch} ${a.kind}`)).toEqual(['T-late/wallet unfinished']);
  });

  it.each([
    ['an unknown parameter', `/api/transactions?${RANGE}&gateway=stripe`],
    ['a bad time', '/api/transactions?from=yesterday'],
    ['a negative SLA', `/api/transactions?${RANGE}&slaSec=-1`],
    ['an SLA that is not a number', `/api/transactions?${RANGE}&slaSec=soon`],
    ['a limit of 0', `/api/transactions?${RANGE}&limit=0`],
    ['slaSec given twice', `/api/transactions?${RANGE}&slaSec=1&slaSec=2`],
  ])('400 for %s', async (_, path) => {
    const r = await call(path);
    expect(r.status).toBe(400);
    expect(ErrorResponse.parse(r.body).error).not.toBe('');
  });
});
