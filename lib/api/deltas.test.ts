/** GET /api/deltas through its route handler, on the forty payments of test/helpers/deltas-fixture.ts. */
import { describe, expect, it } from 'vitest';
import * as deltasRoute from '../../app/api/deltas/route';
import { DELTAS_FIXTURE, DELTAS_T0 } from '../../test/helpers/deltas-fixture';
import { useRouteStore } from '../../test/helpers/route-store';
import { DeltasResponse } from './deltas';
import { ErrorResponse } from './schemas';

const RANGE = `from=${DELTAS_T0}&to=${DELTAS_T0 + 3_600_000}`;

useRouteStore(DELTAS_FIXTURE, DELTAS_T0);

async function call(path: string) {
  const res = await deltasRoute.GET(new Request(`http://payscope.test${path}`));
  return { status: res.status, body: (await res.json()) as unknown };
}

describe('GET /api/deltas', () => {
  it('answers in its documented shape for each cohort', async () => {
    const failed = await call(`/api/deltas?${RANGE}&cohort=failed&limit=3`);
    expect(failed.status, JSON.stringify(failed.body)).toBe(200);
    const f = DeltasResponse.parse(failed.body);
    expect([f.cohort.count, f.baseline.count, f.attributes.length]).toEqual([15, 25, 3]);
    expect(f.attributes.map((a) => a.value)).toContain('Big Bank');
    const slow = DeltasResponse.parse((await call(`/api/deltas?${RANGE}&cohort=slow&slowMs=1000`)).body);
    expect([slow.cohort.count, slow.slowMs, slow.attributes[0].value]).toEqual([7, 1000, 'pod-slow']);
    const stuck = DeltasResponse.parse((await call(`/api/deltas?${RANGE}&cohort=stuck&slaSec=300`)).body);
    expect(stuck.cohort.count).toBe(3);
  });

  it.each([
    ['no cohort', `/api/deltas?${RANGE}`],
    ['an unknown cohort', `/api/deltas?${RANGE}&cohort=declined`],
    ['slowMs with another cohort', `/api/deltas?${RANGE}&cohort=failed&slowMs=100`],
    ['slaSec with another cohort', `/api/deltas?${RANGE}&cohort=slow&slaSec=100`],
    ['a negative threshold', `/api/deltas?${RANGE}&cohort=slow&slowMs=-1`],
    ['an unknown parameter', `/api/deltas?${RANGE}&cohort=failed&attr=a:b`],
  ])('400 for %s', async (_, path) => {
    const r = await call(path);
    expect(r.status).toBe(400);
    expect(ErrorResponse.parse(r.body).error).not.toBe('');
  });

  it('hostile filter values only filter', async () => {
    const r = DeltasResponse.parse((await call(`/api/deltas?${RANGE}&cohort=failed&gateway=${encodeURIComponent("x') OR 1=1 --")}`)).body);
    expect([r.cohort.count, r.baseline.count]).toEqual([0, 0]);
  });
});
