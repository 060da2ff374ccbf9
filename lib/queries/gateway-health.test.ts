import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../clickhouse/migrate';
import { ErrorCodeTable, parseErrorClasses } from '../analytics/error-taxonomy';
import type { Store } from '../store/store';
import { insertFixture, type FixtureSpan } from '../../test/helpers/fixtures';
import { openTempStore } from '../../test/helpers/store';
import { getGatewayHealth } from './gateway-health';

/**
 * Four gateways, 200 calls each in the baseline day (2 failed, like any day) and 100 in the hour
 * judged, 40 of which fail, each gateway in its own way:
 *
 *   stripe   40 × insufficient_funds (402)          a decline wave: the payers, not an outage
 *   adyen    40 × HTTP 503, no code                 the provider is down
 *   paypal   40 × http.status_code 500 (the older attribute name, as older SDKs write it)
 *   alipay   40 × ECONNREFUSED                      the network
 */
const T0 = Date.parse('2025-07-01T12:00:00Z');
const HOUR = { from: new Date(T0), to: new Date(T0 + 3_600_000) };

function calls(gateway: string, startMs: number, n: number, failed: number, failure: Record<string, string>): FixtureSpan[] {
  return Array.from({ length: n }, (_, i): FixtureSpan => ({
    trace: `${gateway}-${startMs}-${i}`, id: `${gateway}-${startMs}-${i}`, service: 'adapter', name: 'POST', kind: 'Client',
    start: startMs + i * 1000, dur: 200,
    attrs: { 'payment.gateway': gateway, ...(i < failed ? failure : { 'http.response.status_code': '200' }) },
    status: i < failed ? 'Error' : 'Unset',
  }));
}

const FAILURES: Record<string, Record<string, string>> = {
  stripe: { 'payment.error_code': 'insufficient_funds', 'http.response.status_code': '402' },
  adyen: { 'http.response.status_code': '503' },
  paypal: { 'http.status_code': '500' },
  alipay: { 'error.type': 'ECONNREFUSED' },
};

let store: Store;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ store, cleanup } = await openTempStore());
  await migrate(store, { retentionDays: 0 });
  const spans = Object.entries(FAILURES).flatMap(([g, f]) => [
    ...calls(g, -20 * 3_600_000, 200, 2, FAILURES.stripe),
    ...calls(g, 60_000, 100, 40, f),
  ]);
  await insertFixture(store, spans, T0);
});
afterAll(async () => cleanup?.());

describe('gateway health on the provider side', () => {
  const none = { decline: 0, fraud: 0, invalid_request: 0, provider_error: 0, timeout: 0, network: 0, unknown: 0 };

  it('a wave of insufficient-funds declines is not an outage; 5xx and refused connections are', async () => {
    const { gateways } = await getGatewayHealth(store, HOUR);
    const by = Object.fromEntries(gateways.map((g) => [g.gateway, g]));
    for (const g of Object.keys(FAILURES)) expect(by[g], g).toMatchObject({ requests: 100, errorRate: 0.4 });
    expect(by.stripe).toMatchObject({ health: 'healthy', errorClasses: { ...none, decline: 40 }, declineRate: 0.4, providerErrorRate: 0 });
    expect(by.adyen).toMatchObject({ health: 'failing', errorClasses: { ...none, provider_error: 40 }, declineRate: 0, providerErrorRate: 0.4 });
    expect(by.paypal).toMatchObject({ health: 'failing', errorClasses: { ...none, provider_error: 40 }, providerErrorRate: 0.4 });
    expect(by.alipay).toMatchObject({ health: 'failing', errorClasses: { ...none, network: 40 }, providerErrorRate: 0.4 });
    expect(by.adyen.healthReasons).toEqual([{ code: 'provider_error_rate', rate: 0.4, baseline: 0 }]);
    // The baseline's declines are no provider errors either.
    expect(by.stripe.baseline).toMatchObject({ requests: 200, errorRate: 0.01, providerErrorRate: 0 });
  });

  it('configured classes apply to calls stored before: call insufficient_funds a provider error and stripe fails', async () => {
    const errorCodes = new ErrorCodeTable(parseErrorClasses('{"stripe": {"insufficient_funds": "provider_error"}}'));
    const { gateways } = await getGatewayHealth(store, { ...HOUR, errorCodes });
    const stripe = gateways.find((g) => g.gateway === 'stripe')!;
    expect(stripe).toMatchObject({ health: 'failing', errorClasses: { ...none, provider_error: 40 }, providerErrorRate: 0.4 });
  });
});

/**
 * A p95 rise counts when enough calls are slower than the threshold (1.5 × the baseline p95 and
 * 100 ms above it: 200 ms here): stripe's 30 slow calls of 100 are far more than the 5 a p95 leaves
 * above it; adyen's 6 make its p95 as slow but come by chance at 5 % (P ≈ 0.38).
 */
describe('gateway latency judged on the calls slower than the threshold', () => {
  const T1 = T0 + 10 * 86_400_000;
  const range = { from: new Date(T1), to: new Date(T1 + 3_600_000) };
  const timed = (gateway: string, startMs: number, n: number, slow: number): FixtureSpan[] =>
    Array.from({ length: n }, (_, i): FixtureSpan => ({
      trace: `lat-${gateway}-${startMs}-${i}`, id: `lat-${gateway}-${startMs}-${i}`, service: 'adapter', name: 'POST', kind: 'Client',
      start: startMs + i * 1000, dur: n - i <= slow ? 2000 : 100,
      attrs: { 'payment.gateway': gateway, 'payment.channel': 'card', 'http.response.status_code': '200' },
    }));

  beforeAll(async () => {
    await insertFixture(store, [...timed('stripe', -20 * 3_600_000, 200, 0), ...timed('stripe', 60_000, 100, 30), ...timed('adyen', -20 * 3_600_000, 200, 0), ...timed('adyen', 60_000, 100, 6)], T1);
  });

  for (const splitByChannel of [false, true]) {
    it(`30 of 100 slow is a rise, 6 is chance${splitByChannel ? ' (by channel)' : ''}`, async () => {
      const { gateways } = await getGatewayHealth(store, { ...range, splitByChannel });
      const by = Object.fromEntries(gateways.map((g) => [g.gateway, g]));
      expect(by.stripe).toMatchObject({ requests: 100, p95Ms: 2000, health: 'degraded', healthReasons: [{ code: 'p95', ms: 2000, baselineMs: 100 }], ...(splitByChannel ? { channel: 'card' } : {}) });
      expect(by.adyen).toMatchObject({ requests: 100, p95Ms: 2000, health: 'healthy' });
    });
  }
});
