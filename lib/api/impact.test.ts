/** GET /api/impact and the gateway rows of GET /api/gateways through their route handlers, on test/helpers/impact-fixture.ts. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as gatewaysRoute from '../../app/api/gateways/route';
import * as impactRoute from '../../app/api/impact/route';
import { migrate } from '../../clickhouse/migrate';
import { insertFixture } from '../../test/helpers/fixtures';
import { IMPACT_FIXTURE, IMPACT_T0 } from '../../test/helpers/impact-fixture';
import { openTempStore } from '../../test/helpers/store';
import { getConfig } from '../config';
import { setStore, type Store } from '../store/store';
import { ImpactResponse } from './impact';
import { ErrorResponse, GatewaysResponse } from './schemas';

let store: Store;
let cleanup: () => Promise<void>;
const RANGE = `from=${IMPACT_T0}&to=${IMPACT_T0 + 3_600_000}`;

beforeAll(async () => {
  ({ store, cleanup } = await openTempStore());
  await migrate(store, { retentionDays: 0 });
  await insertFixture(store, IMPACT_FIXTURE, IMPACT_T0);
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

describe('GET /api/impact', () => {
  it('answers in its documented shape, in the configured reporting currency with the date of its rates', async () => {
    const r = await call(impactRoute.GET, `/api/impact?${RANGE}&slaSec=300`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const body = ImpactResponse.parse(r.body);
    expect([body.currency, body.ratesAsOf]).toEqual([getConfig().reportingCurrency, getConfig().fxRates.asOf]);
    expect([body.payments.count, body.failed.count, body.stuck.count, body.inconsistent.count, body.doubleCharged.count]).toEqual([10, 5, 1, 1, 1]);
    expect(body.byGateway.map((g) => g.gateway)).toEqual(['alipay', 'stripe', 'adyen', 'paypal']);
    // A longer SLA for every gateway: the alipay payment is still within it.
    expect(ImpactResponse.parse((await call(impactRoute.GET, `/api/impact?${RANGE}&slaSec=4000`)).body).stuck.count).toBe(0);
  });

  it('filters by channel and gateway; a hostile value only filters', async () => {
    const wallet = ImpactResponse.parse((await call(impactRoute.GET, `/api/impact?${RANGE}&slaSec=300&channel=wallet&gateway=alipay`)).body);
    expect([wallet.payments.count, wallet.failed.byClass.fraud.count, wallet.stuck.count]).toEqual([2, 1, 1]);
    const hostile = await call(impactRoute.GET, `/api/impact?${RANGE}&gateway=${encodeURIComponent("stripe' OR 1=1; --")}`);
    expect(ImpactResponse.parse(hostile.body).payments.count).toBe(0);
  });

  it.each([
    ['an unknown parameter', `/api/impact?${RANGE}&currency=EUR`],
    ['a bad time', '/api/impact?from=yesterday'],
    ['a negative SLA', `/api/impact?${RANGE}&slaSec=-5`],
    ['an empty gateway', `/api/impact?${RANGE}&gateway=`],
  ])('400 for %s', async (_, path) => {
    const r = await call(impactRoute.GET, path);
    expect(r.status).toBe(400);
    expect(ErrorResponse.parse(r.body).error).not.toBe('');
  });
});

describe('GET /api/gateways', () => {
  it('rows carry failures per error class, the provider error rate and the decline rate', async () => {
    const r = await call(gatewaysRoute.GET, `/api/gateways?${RANGE}`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const by = Object.fromEntries(GatewaysResponse.parse(r.body).gateways.map((g) => [g.gateway, g]));
    // stripe: ok, declined (402), failover-failed's timeout, no-rate (402), twice ×2 → 6 calls, 2 declines, 1 timeout
    expect(by.stripe).toMatchObject({ requests: 6, errorRate: 3 / 6, declineRate: 2 / 6, providerErrorRate: 1 / 6 });
    expect(by.stripe.errorClasses).toEqual({ decline: 2, fraud: 0, invalid_request: 0, provider_error: 0, timeout: 1, network: 0, unknown: 0 });
  });
});
