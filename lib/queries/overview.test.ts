import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../clickhouse/migrate';
import { DEFAULT_CHECKOUT_FUNNEL } from '../analytics/funnel';
import type { Store } from '../store/store';
import { openTempStore } from '../../test/helpers/store';
import { getFunnel } from './funnel';
import { chooseBucketMs, getOverview, hasAnySpans, listFilterValues, listPayments } from './overview';
import { insertFixture, traceIdOf, type FixtureSpan } from '../../test/helpers/fixtures';

/**
 * Payments drawn on one hour (minutes after T; every expected number below worked out by hand):
 *
 *   min  0    10   20   30   40   50   60 (to)        120
 *   P1-4 ●✓                                                 card: e2e 2, 4, 6, 8 s
 *   P5        ●✗ (declined)                                 card
 *   P6        ●✓                                            alipay: e2e 1.5 s
 *   P7             ●… (no callback)                         alipay: pending
 *   P8                  ●✗ (async decline, confirm cancelled) alipay
 *   P9                            ●✗ (confirm fails)          wechatpay
 *   P10                           ●··········✓ (confirm 5 min after `to`, inside the window) wechatpay: e2e 600.1 s
 *   P13                           ●········································✓ (61 min later: outside the window) pending
 *   P11 created 5 min before the range (confirm inside it): not a payment of this range
 *   P12 created after the range: not counted
 */
const T = Date.parse('2025-06-01T12:00:00Z');
const MIN = 60_000;
const range = { from: new Date(T), to: new Date(T + 60 * MIN) };

type Step = { stage: string; at: number; dur?: number; kind?: FixtureSpan['kind']; status?: 'Error'; attrs?: Record<string, string>; trace?: string };
function payment(order: string, channel: string, steps: Step[]): FixtureSpan[] {
  return steps.map((s, i) => ({
    trace: `${order}-${s.trace ?? 'checkout'}`,
    id: `${order}-${i}`,
    service: s.stage.startsWith('order') ? 'order' : 'payment',
    name: s.stage,
    kind: s.kind,
    start: s.at,
    dur: s.dur ?? 100,
    status: s.status,
    attrs: { 'payment.order_id': order, 'payment.channel': channel, 'payment.stage': s.stage, ...s.attrs },
  }));
}
const created = (at: number): Step => ({ stage: 'order.create', at });
const request = (at: number, gateway: string, more: Partial<Step> = {}): Step => ({
  stage: 'gateway.request', at, kind: 'Client', ...more, attrs: { 'payment.gateway': gateway, ...more.attrs },
});
const confirmed = (at: number, dur: number, more: Partial<Step> = {}): Step => ({ stage: 'order.confirm', at, dur, trace: 'cb', ...more });

const FIXTURE: FixtureSpan[] = [
  ...payment('P1', 'card', [created(1 * MIN), request(1 * MIN + 200, 'stripe'), confirmed(1 * MIN + 1000, 1000)]),
  ...payment('P2', 'card', [created(2 * MIN), request(2 * MIN + 200, 'stripe'), confirmed(2 * MIN + 3000, 1000)]),
  ...payment('P3', 'card', [created(3 * MIN), request(3 * MIN + 200, 'stripe'), confirmed(3 * MIN + 5000, 1000)]),
  ...payment('P4', 'card', [created(4 * MIN), request(4 * MIN + 200, 'stripe'), confirmed(4 * MIN + 7000, 1000)]),
  ...payment('P5', 'card', [created(15 * MIN), request(15 * MIN + 200, 'stripe', { status: 'Error', attrs: { 'payment.error_code': 'card_declined' } })]),
  ...payment('P6', 'alipay', [created(12 * MIN), request(12 * MIN + 200, 'alipay'), confirmed(12 * MIN + 1000, 500)]),
  ...payment('P7', 'alipay', [created(25 * MIN), request(25 * MIN + 200, 'alipay')]),
  ...payment('P8', 'alipay', [
    created(30 * MIN), request(30 * MIN + 200, 'alipay'),
    { stage: 'gateway.callback', at: 30 * MIN + 5000, trace: 'cb', attrs: { 'payment.outcome': 'failed' } },
    confirmed(30 * MIN + 5100, 50, { attrs: { 'payment.outcome': 'cancelled' } }),
  ]),
  ...payment('P9', 'wechatpay', [created(50 * MIN), request(50 * MIN + 200, 'wechatpay'), confirmed(50 * MIN + 3000, 20, { status: 'Error' })]),
  ...payment('P10', 'wechatpay', [created(55 * MIN), request(55 * MIN + 200, 'wechatpay'), confirmed(65 * MIN, 100, { attrs: { 'payment.outcome': 'succeeded' } })]),
  ...payment('P13', 'wechatpay', [created(58 * MIN), request(58 * MIN + 200, 'wechatpay'), confirmed(119 * MIN, 100)]),
  ...payment('P11', 'paypal', [created(-5 * MIN), confirmed(1 * MIN, 100)]),
  ...payment('P12', 'paypal', [created(61 * MIN), confirmed(61 * MIN + 1000, 100)]),
];

let store: Store;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ store, cleanup } = await openTempStore());
  await migrate(store, { retentionDays: 0 });
  expect(await hasAnySpans(store)).toBe(false);
  await insertFixture(store, FIXTURE, T);
});
afterAll(async () => cleanup?.());

describe('getOverview', () => {
  it('counts payments that entered in the range, their outcome and end-to-end latency', async () => {
    const r = await getOverview(store, { ...range, bucketMs: 10 * MIN });
    expect(r.total).toEqual({
      payments: 11, succeeded: 6, failed: 3, pending: 2, successRate: 6 / 11,
      // succeeded e2e, sorted: 1500, 2000, 4000, 6000, 8000, 600100 → v[3], v[5], v[5]
      p50Ms: 6000, p95Ms: 600100, p99Ms: 600100,
    });
    expect(r.channels.map((c) => [c.channel, c.payments, c.succeeded, c.failed, c.pending, c.p50Ms, c.p95Ms, c.p99Ms])).toEqual([
      ['card', 5, 4, 1, 0, 6000, 8000, 8000],
      ['alipay', 3, 1, 1, 1, 1500, 1500, 1500],
      ['wechatpay', 3, 1, 1, 1, 600100, 600100, 600100],
    ]);
  });

  it('fills every bucket of the range, empty ones included', async () => {
    const r = await getOverview(store, { ...range, bucketMs: 10 * MIN });
    expect(r.series.map((p) => p.start)).toEqual(['12:00', '12:10', '12:20', '12:30', '12:40', '12:50'].map((t) => `2025-06-01T${t}:00.000Z`));
    expect(r.series.map((p) => [p.payments, p.succeeded])).toEqual([[4, 4], [2, 1], [1, 0], [1, 0], [0, 0], [3, 1]]);
    expect(r.series[4].p50Ms).toBeNull();
    expect(r.seriesByChannel.card.map((p) => p.payments)).toEqual([4, 1, 0, 0, 0, 0]);
    expect(r.seriesByChannel.card[0].p95Ms).toBe(8000);
    expect(Object.keys(r.seriesByChannel)).toEqual(['card', 'alipay', 'wechatpay']);
  });

  it('filters by channel', async () => {
    const r = await getOverview(store, { ...range, channel: 'alipay' });
    expect([r.total.payments, r.total.succeeded, r.total.failed]).toEqual([3, 1, 1]);
    expect(r.channels.map((c) => c.channel)).toEqual(['alipay']);
    const none = await getOverview(store, { ...range, channel: "x' OR 1=1 --" });
    expect(none.total.payments).toBe(0);
    expect(none.channels).toEqual([]);
  });

  it('a shorter window leaves the late confirm pending', async () => {
    const r = await getOverview(store, { ...range, windowSec: 300 });
    // P10's confirm comes 600 s after its order: outside a 300 s window
    expect([r.total.succeeded, r.total.pending]).toEqual([5, 3]);
  });

  it('counts the same payments as the checkout funnel enters', async () => {
    const [o, f] = await Promise.all([getOverview(store, range), getFunnel(store, { ...range, funnel: DEFAULT_CHECKOUT_FUNNEL })]);
    expect(f.steps[0].reached).toBe(o.total.payments);
  });
});

describe('listPayments', () => {
  const ids = (r: { payments: { orderId: string }[] }) => r.payments.map((x) => x.orderId);
  it('lists the payments behind each number, by outcome', async () => {
    expect(ids(await listPayments(store, { ...range, outcome: 'failed' }))).toEqual(['P9', 'P8', 'P5']);
    expect(ids(await listPayments(store, { ...range, outcome: 'pending' }))).toEqual(['P13', 'P7']);
    const ok = await listPayments(store, { ...range, outcome: 'succeeded', limit: 2 });
    expect([ids(ok), ok.total]).toEqual([['P10', 'P6'], 6]);
  });
  it('the slow tail: succeeded payments at least as slow as a percentile, slowest first', async () => {
    const r = await listPayments(store, { ...range, minE2eMs: 6000, sort: 'slowest' });
    expect(r.payments.map((x) => [x.orderId, x.e2eMs])).toEqual([['P10', 600100], ['P4', 8000], ['P3', 6000]]);
  });
  it('says where each payment ended, with its traces', async () => {
    const r = await listPayments(store, { ...range, channel: 'card', outcome: 'failed' });
    expect(r.payments).toEqual([{
      orderId: 'P5', channel: 'card', gateway: 'stripe', start: '2025-06-01T12:15:00.000000000Z', outcome: 'failed', e2eMs: null,
      lastStage: 'gateway.request', errorCode: 'card_declined', traceIds: [traceIdOf('P5-checkout')],
    }]);
    const p8 = await listPayments(store, { ...range, channel: 'alipay', outcome: 'failed' });
    expect(p8.payments[0].traceIds).toEqual([traceIdOf('P8-checkout'), traceIdOf('P8-cb')].sort());
  });
});

describe('listFilterValues', () => {
  it('lists what the range holds', async () => {
    expect(await listFilterValues(store, range)).toEqual({
      channels: ['alipay', 'card', 'paypal', 'wechatpay'],
      gateways: ['alipay', 'stripe', 'wechatpay'],
      services: ['order', 'payment'],
      stages: ['order.create', 'gateway.request', 'gateway.callback', 'order.confirm'],
    });
    expect(await hasAnySpans(store)).toBe(true);
  });
});

describe('chooseBucketMs', () => {
  it('picks round buckets, at most 30 per range', () => {
    expect([15 * MIN, 60 * MIN, 6 * 60 * MIN, 24 * 60 * MIN, 7 * 1440 * MIN, 30 * 1440 * MIN].map((r) => chooseBucketMs(r) / MIN)).toEqual([1, 5, 15, 60, 360, 1440]);
    expect(chooseBucketMs(90 * 1440 * MIN) / MIN).toBe(3 * 1440);
  });
});
