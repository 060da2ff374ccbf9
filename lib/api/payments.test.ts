/** GET /api/payments through its route handler, on the forty payments of test/helpers/deltas-fixture.ts. */
import { describe, expect, it } from 'vitest';
import * as paymentsRoute from '../../app/api/payments/route';
import { DELTAS_FIXTURE, DELTAS_T0 } from '../../test/helpers/deltas-fixture';
import { useRouteStore } from '../../test/helpers/route-store';
import { PaymentsResponse } from './payments';
import { ErrorResponse } from './schemas';

const RANGE = `from=${DELTAS_T0}&to=${DELTAS_T0 + 3_600_000}`;

useRouteStore(DELTAS_FIXTURE, DELTAS_T0);

async function call(path: string) {
  const res = await paymentsRoute.GET(new Request(`http://payscope.test${path}`));
  return { status: res.status, body: (await res.json()) as unknown };
}
const orderIds = (body: unknown) => PaymentsResponse.parse(body).payments.map((p) => p.orderId).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));

describe('GET /api/payments', () => {
  it('lists the payments, narrowed by attribute value and cohort', async () => {
    const all = await call(`/api/payments?${RANGE}&limit=5`);
    expect(all.status, JSON.stringify(all.body)).toBe(200);
    expect([PaymentsResponse.parse(all.body).payments.length, PaymentsResponse.parse(all.body).total]).toEqual([5, 40]);
    const issuer = encodeURIComponent('payment.card.issuer:Big Bank');
    expect(orderIds((await call(`/api/payments?${RANGE}&attr=${issuer}&cohort=failed`)).body)).toEqual(Array.from({ length: 12 }, (_, i) => `ord${i}`));
    const slow = await call(`/api/payments?${RANGE}&cohort=slow&slowMs=1000&attr=host.name:pod-slow&attr=${encodeURIComponent('payment.amount_band:10–50 USD')}`);
    expect(orderIds(slow.body)).toEqual(Array.from({ length: 7 }, (_, i) => `ord${25 + i}`));
    expect(orderIds((await call(`/api/payments?${RANGE}&cohort=stuck&slaSec=300&gateway=stripe`)).body)).toEqual(['ord22', 'ord23', 'ord24']);
  });

  it.each([
    ['an attr without a colon', `/api/payments?${RANGE}&attr=payment.card.issuer`],
    ['an attr without a key', `/api/payments?${RANGE}&attr=:Big`],
    ['an attr without a value', `/api/payments?${RANGE}&attr=payment.card.issuer:`],
    ['an attr key over 256 characters', `/api/payments?${RANGE}&attr=${'k'.repeat(257)}:v`],
    ['more than ten attrs', `/api/payments?${RANGE}${'&attr=a:b'.repeat(11)}`],
    ['an unknown cohort', `/api/payments?${RANGE}&cohort=declined`],
    ['slowMs with another cohort', `/api/payments?${RANGE}&cohort=failed&slowMs=100`],
    ['slaSec without the stuck cohort', `/api/payments?${RANGE}&slaSec=100`],
    ['a limit over 1000', `/api/payments?${RANGE}&limit=1001`],
    ['an unknown parameter', `/api/payments?${RANGE}&status=error`],
  ])('400 for %s', async (_, path) => {
    const r = await call(path);
    expect(r.status).toBe(400);
    expect(ErrorResponse.parse(r.body).error).not.toBe('');
  });

  it('hostile values only filter', async () => {
    const r = await call(`/api/payments?${RANGE}&attr=${encodeURIComponent("payment.card.issuer:x') OR 1=1 --")}&gateway=${encodeURIComponent("\\' OR ''='")}`);
    expect(PaymentsResponse.parse(r.body)).toEqual({ payments: [], total: 0 });
  });
});
