import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../clickhouse/migrate';
import { DEFAULT_CHECKOUT_FUNNEL } from '../analytics/funnel';
import type { Store } from '../store/store';
import { openTempStore } from '../../test/helpers/store';
import { getFunnel } from './funnel';
import { deleteFunnel, DEFAULT_FUNNEL_ID, FunnelNotEditableError, getSavedFunnel, listFunnels, saveFunnel } from './funnels';
import { getGatewayHealth } from './gateway-health';
import { getSlowestHops } from './hops';
import { getStageLatency } from './stage-latency';
import { listInconsistentPayments, listStuckPayments } from './stuck';
import { getPayment, getTrace, searchTraces } from './traces';
import { insertFixture, spanIdOf, traceIdOf } from '../../test/helpers/fixtures';
import { HAND_T0, HOPS_FIXTURE, HOPS_T0, PAYMENTS_FIXTURE } from '../../test/helpers/payments-fixture';

// Every expected number below was worked out by hand from test/helpers/payments-fixture.ts.

let store: Store;
let cleanup: () => Promise<void>;
const hour = { from: new Date(HAND_T0), to: new Date(HAND_T0 + 3_600_000) };
const T = (...names: string[]) => names.map(traceIdOf);

beforeAll(async () => {
  ({ store, cleanup } = await openTempStore());
  await migrate(store, { retentionDays: 0 });
  await insertFixture(store, PAYMENTS_FIXTURE, HAND_T0);
  await insertFixture(store, HOPS_FIXTURE, HOPS_T0);
});
afterAll(async () => cleanup?.());

describe('getFunnel', () => {
  it('counts flows across traces: the callback trace joins its payment by order id', async () => {
    const r = await getFunnel(store, { ...hour, funnel: DEFAULT_CHECKOUT_FUNNEL });
    expect(r.steps.map((s) => [s.name, s.reached, s.conversion, +s.dropOff.toFixed(6)])).toEqual([
      ['order.create', 5, 1, 0],
      ['payment.submit', 5, 1, 0],
      ['gateway.request', 5, 1, 0],
      ['gateway.callback', 3, 0.6, 0.4], // A, D, E (each in a trace of its own)
      ['order.confirm', 3, 0.6, 0],
    ]);
    // Time from the previous step: submit [80,90,90,110,140], request [20,40,50,50,70],
    // callback [1850,2800,9880], confirm [5,10,15].
    expect(r.steps.map((s) => [s.p50Ms, s.p95Ms, s.p99Ms])).toEqual([
      [null, null, null],
      [90, 140, 140],
      [50, 70, 70],
      [2800, 9880, 9880],
      [10, 15, 15],
    ]);
  });

  it('splits by channel and by gateway, and filters', async () => {
    const byChannel = await getFunnel(store, { ...hour, funnel: DEFAULT_CHECKOUT_FUNNEL, split: 'channel' });
    expect(byChannel.steps.map((s) => s.reached)).toEqual([5, 5, 5, 3, 3]);
    expect(byChannel.splits!.map((s) => [s.value, s.steps.map((x) => x.reached)])).toEqual([
      ['alipay', [1, 1, 1, 1, 1]],
      ['card', [2, 2, 2, 0, 0]],
      ['paypal', [1, 1, 1, 1, 1]],
      ['wechatpay', [1, 1, 1, 1, 1]],
    ]);
    const byGateway = await getFunnel(store, { ...hour, funnel: DEFAULT_CHECKOUT_FUNNEL, split: 'gateway' });
    expect(byGateway.splits!.map((s) => s.value)).toEqual(['alipay', 'paypal', 'stripe', 'wechatpay']);
    const card = await getFunnel(store, { ...hour, funnel: DEFAULT_CHECKOUT_FUNNEL, channel: 'card' });
    expect(card.steps.map((s) => s.reached)).toEqual([2, 2, 2, 0, 0]);
    const wechat = await getFunnel(store, { ...hour, funnel: DEFAULT_CHECKOUT_FUNNEL, gateway: 'wechatpay' });
    expect(wechat.steps.map((s) => s.reached)).toEqual([1, 1, 1, 1, 1]);
  });

  it('compares with an earlier period (empty here)', async () => {
    const r = await getFunnel(store, {
      ...hour, funnel: DEFAULT_CHECKOUT_FUNNEL, compare: { from: new Date(HAND_T0 - 3_600_000), to: new Date(HAND_T0) },
    });
    expect(r.compare!.steps.map((s) => s.reached)).toEqual([0, 0, 0, 0, 0]);
    expect(r.steps[0].reached).toBe(5);
  });

  it('matches untagged spans by service, span name and attributes, with any flow key', async () => {
    const funnel = {
      name: 'by span', flowKey: 'payment.order_id', windowSec: 3600,
      steps: [
        { name: 'order created', service: 'order', spanName: 'POST /orders' },
        { name: 'callback ok', service: 'payment', attributes: { 'payment.stage': 'gateway.callback', 'payment.outcome': 'succeeded' } },
      ],
    };
    const r = await getFunnel(store, { ...hour, funnel });
    expect(r.steps.map((s) => s.reached)).toEqual([5, 3]);
    // create → first callback: A 3000-20 = 2980, D 182000-180010 = 1990, E 250000-240010 = 9990
    expect([r.steps[1].p50Ms, r.steps[1].p95Ms]).toEqual([2980, 9990]);
    const byChannel = await getFunnel(store, { ...hour, funnel: { ...funnel, flowKey: 'payment.channel' } });
    // flows are now channels: card's two orders are one flow that never called back
    expect(byChannel.steps.map((s) => s.reached)).toEqual([4, 3]);
  });

  it('a window shorter than the callback delay stops the flow at the request', async () => {
    const r = await getFunnel(store, { ...hour, funnel: { ...DEFAULT_CHECKOUT_FUNNEL, windowSec: 2.5 } });
    // callbacks 2.98 s (A), 1.99 s (D) and 9.99 s (E) after order.create: only D's is inside 2.5 s
    expect(r.steps.map((s) => s.reached)).toEqual([5, 5, 5, 1, 1]);
  });
});

describe('getStageLatency', () => {
  it('durations and waits per stage (worked by hand)', async () => {
    const { stages } = await getStageLatency(store, hour);
    const all = stages.filter((s) => s.channel === null);
    expect(all.map((s) => [s.stage, s.count, +s.errorRate.toFixed(4), s.p50Ms, s.p95Ms, s.waitP50Ms, s.waitP95Ms])).toEqual([
      ['order.create', 5, 0, 50, 80, null, null],
      ['payment.submit', 5, 0.4, 450, 5050, 50, 80],
      ['gateway.request', 5, 0.4, 300, 5000, 50, 70],
      ['gateway.callback', 4, 0, 40, 50, 2970, 4880],
      ['order.confirm', 3, 0.6667, 20, 20, 10, 15],
    ]);
    const card = stages.filter((s) => s.channel === 'card').map((s) => [s.stage, s.count]);
    expect(card).toEqual([['order.create', 2], ['payment.submit', 2], ['gateway.request', 2]]);
    const onlyPaypal = await getStageLatency(store, { ...hour, channel: 'paypal' });
    expect(onlyPaypal.stages.filter((s) => s.channel === null).map((s) => [s.stage, s.waitP50Ms])).toEqual([
      ['order.create', null], ['payment.submit', 60], ['gateway.request', 20], ['gateway.callback', 4880], ['order.confirm', 5],
    ]);
  });
});

describe('getGatewayHealth', () => {
  const noClasses = { decline: 0, fraud: 0, invalid_request: 0, provider_error: 0, timeout: 0, network: 0, unknown: 0 };
  it('per gateway, the gateway of a call from payment.gateway or its host', async () => {
    const { gateways } = await getGatewayHealth(store, hour);
    const byName = Object.fromEntries(gateways.map((g) => [g.gateway, g]));
    expect(Object.keys(byName).sort()).toEqual(['alipay', 'paypal', 'stripe', 'wechatpay']);
    expect(byName.stripe).toMatchObject({ requests: 2, errorRate: 0.5, timeoutRate: 0, p50Ms: 400, p95Ms: 400, topErrors: [{ code: 'card_declined', count: 1 }], health: 'healthy' });
    expect(byName.paypal).toMatchObject({ requests: 1, errorRate: 1, timeoutRate: 1, p50Ms: 5000, topErrors: [{ code: 'timeout', count: 1 }] });
    expect(byName.alipay).toMatchObject({ requests: 1, errorRate: 0, p50Ms: 300, topErrors: [] });
    // The decline is the payer's: no provider-side failure for stripe; paypal's timeout is one.
    expect(byName.stripe).toMatchObject({ errorClasses: { ...noClasses, decline: 1 }, declineRate: 0.5, providerErrorRate: 0 });
    expect(byName.paypal).toMatchObject({ errorClasses: { ...noClasses, timeout: 1 }, declineRate: 0, providerErrorRate: 1 });
    expect(byName.stripe.healthReasons).toEqual([{ code: 'too_few_requests', requests: 2, providerErrors: 0 }]);
    const split = await getGatewayHealth(store, { ...hour, splitByChannel: true, channel: 'card' });
    expect(split.gateways.map((g) => [g.gateway, g.channel, g.requests])).toEqual([['stripe', 'card', 2]]);
  });

  it('a host added by configuration counts as that gateway, history included', async () => {
    const { GatewayHostTable, gatewayHostArrays } = await import('../analytics/gateways');
    const hosts = gatewayHostArrays(new GatewayHostTable({ 'openapi.alipay.com': 'alipay-cn' }));
    const { gateways } = await getGatewayHealth(store, { ...hour, hosts });
    expect(gateways.map((g) => g.gateway).sort()).toEqual(['alipay-cn', 'paypal', 'stripe', 'wechatpay']);
  });
});

describe('stuck and inconsistent payments', () => {
  it('B waits for its callback past the SLA; C failed outright; A, D, E got theirs', async () => {
    const r = await listStuckPayments(store, hour);
    expect(r.total).toBe(1);
    expect(r.payments).toEqual([{
      orderId: 'ord_B', channel: 'card', gateway: 'stripe', lastStage: 'gateway.request',
      waitingSec: (3_600_000 - 60_600) / 1000, slaSec: 300, timedOut: false, traceIds: T('B1'),
    }]);
    const lenient = await listStuckPayments(store, { ...hour, sla: { defaultSec: 300, byGateway: { stripe: 4000 } } });
    expect(lenient.payments).toEqual([]);
  });

  it('a timed-out request with no callback yet is stuck too, flagged as timed out', async () => {
    // As of 0.88 s after E's request ended (it timed out; the callback only comes at +250 s), SLA 0.5 s.
    const r = await listStuckPayments(store, { from: new Date(HAND_T0 + 240_000), to: new Date(HAND_T0 + 246_000), sla: { defaultSec: 0.5, byGateway: {} } });
    expect(r.payments.map((p) => [p.orderId, p.gateway, p.timedOut, p.waitingSec])).toEqual([['ord_E', 'paypal', true, 0.88]]);
  });

  it('D and E paid but their orders failed to confirm; D was called back twice', async () => {
    const r = await listInconsistentPayments(store, hour);
    expect(r.payments).toEqual([
      { orderId: 'ord_E', channel: 'paypal', gateway: 'paypal', succeededAt: '2025-03-01T10:04:10.000000000Z', failedStage: 'order.confirm', errorCode: 'ORDER_CANCELLED', traceIds: T('E1', 'E2').sort() },
      { orderId: 'ord_D', channel: 'wechatpay', gateway: 'wechatpay', succeededAt: '2025-03-01T10:03:02.000000000Z', failedStage: 'order.confirm', errorCode: 'ORDER_STATE_CONFLICT', traceIds: T('D1', 'D2', 'D3').sort() },
    ]);
    expect(r.duplicateCallbacks).toEqual([{ orderId: 'ord_D', channel: 'wechatpay', gateway: 'wechatpay', callbacks: 2, traceIds: T('D1', 'D2', 'D3').sort() }]);
  });
});

describe('getSlowestHops', () => {
  const range = { from: new Date(HOPS_T0), to: new Date(HOPS_T0 + 60_000) };
  it('edges with calls, latency, error rate, self time and critical-path share (worked by hand)', async () => {
    const r = await getSlowestHops(store, range);
    expect(r.criticalPathTraces).toBe(1);
    expect(r.hops.map((h) => [h.from, h.to, h.toKind, h.calls, h.p95Ms, h.errorRate, h.selfMs, +h.criticalPathShare.toFixed(6)])).toEqual([
      ['checkout', 'payment', 'service', 1, 28, 0, 7, 0.4],
      ['payment', 'adapter-card', 'service', 1, 10, 0, 4, 0],
      ['payment', 'fx.internal', 'external', 1, 8, 1, 8, 0.2],
      ['adapter-card', 'stripe', 'gateway', 1, 6, 0, 6, 0],
      ['payment', 'postgres', 'external', 1, 4, 0, 4, 0.1],
    ]);
  });
  it('a host configured as a gateway turns an external hop into a gateway hop', async () => {
    const { GatewayHostTable } = await import('../analytics/gateways');
    const r = await getSlowestHops(store, { ...range, hostTable: new GatewayHostTable({ 'fx.internal': 'fxpay' }) });
    expect(r.hops.find((h) => h.to === 'fxpay')).toMatchObject({ from: 'payment', toKind: 'gateway', calls: 1, criticalPathShare: 0.2 });
  });
  it('filters by channel and gateway through the payment flows', async () => {
    const card = await getSlowestHops(store, { ...hour, channel: 'card' });
    // B and C: checkout → order (B), checkout → payment (B), and the stripe calls of B and C
    expect(card.hops.map((h) => `${h.from}→${h.to}:${h.calls}`).sort()).toEqual(['checkout→order:1', 'checkout→payment:1', 'payment→stripe:2']);
    const wechat = await getSlowestHops(store, { ...hour, gateway: 'wechatpay' });
    expect(wechat.hops.map((h) => `${h.from}→${h.to}:${h.calls}`)).toEqual(['payment→wechatpay:1']);
  });
});

describe('traces', () => {
  it('search by each filter; every filter must match some span of the trace', async () => {
    const ids = async (f: Partial<Parameters<typeof searchTraces>[1]>) => (await searchTraces(store, { ...hour, ...f })).traces.map((t) => t.traceId).sort();
    expect((await ids({})).length).toBe(9);
    expect(await ids({ service: 'order' })).toEqual(T('A1', 'A2', 'B1', 'C1', 'D1', 'D2', 'E1', 'E2').sort());
    expect(await ids({ stage: 'gateway.callback' })).toEqual(T('A2', 'D2', 'D3', 'E2').sort());
    expect(await ids({ channel: 'card' })).toEqual(T('B1', 'C1').sort());
    expect(await ids({ gateway: 'stripe' })).toEqual(T('B1', 'C1').sort());
    expect(await ids({ gateway: 'wechatpay' })).toEqual(T('D1'));
    expect(await ids({ status: 'error' })).toEqual(T('C1', 'D2', 'E1', 'E2').sort());
    expect((await ids({ status: 'ok' })).length).toBe(5);
    expect(await ids({ minDurationMs: 1000 })).toEqual(T('E1'));
    expect(await ids({ orderId: 'ord_D' })).toEqual(T('D1', 'D2', 'D3').sort());
    expect(await ids({ traceId: traceIdOf('A1') })).toEqual(T('A1'));
    expect(await ids({ service: 'payment', stage: 'order.create', channel: 'wechatpay' })).toEqual(T('D1'));
  });

  it('summaries: root, start, duration, span count, error; newest first or slowest first', async () => {
    const { traces } = await searchTraces(store, { ...hour, limit: 3 });
    expect(traces.map((t) => t.traceId)).toEqual(T('E2', 'E1', 'D3'));
    expect(traces[0]).toEqual({ traceId: traceIdOf('E2'), rootService: 'payment', rootName: 'POST /callbacks/:gateway', start: '2025-03-01T10:04:10.000000000Z', durationMs: 30, spanCount: 2, error: true });
    const slow = await searchTraces(store, { ...hour, sort: 'duration', limit: 2 });
    expect(slow.traces.map((t) => [t.traceId, t.durationMs])).toEqual([[traceIdOf('E1'), 5200], [traceIdOf('B1'), 700]]);
  });

  it('one trace with its spans and critical path', async () => {
    const t = await getTrace(store, traceIdOf('A1'));
    expect(t!.spans.map((s) => s.spanId)).toEqual(['a.root', 'a.c1', 'a.oc', 'a.c2', 'a.ps', 'a.gr'].map(spanIdOf));
    // root 0-10, c1 10-20, oc 20-100, c1 100-110, root 110-120, c2 120-130, ps 130-200, gr 200-500, ps 500-580, c2 580-590, root 590-600
    expect(t!.criticalPath).toEqual(['a.root', 'a.c1', 'a.oc', 'a.c2', 'a.ps', 'a.gr'].map(spanIdOf));
    expect(t!.criticalPathSegments.map((s) => [s.startMs - HAND_T0, s.endMs - HAND_T0])).toEqual([
      [0, 10], [10, 20], [20, 100], [100, 110], [110, 120], [120, 130], [130, 200], [200, 500], [500, 580], [580, 590], [590, 600],
    ]);
    const gr = t!.spans.find((s) => s.spanId === spanIdOf('a.gr'))!;
    expect(gr).toMatchObject({ service: 'payment', kind: 'client', durationMs: 300, status: 'unset', start: '2025-03-01T10:00:00.200000000Z', startMs: HAND_T0 + 200 });
    expect(gr.attributes['server.address']).toBe('openapi.alipay.com');
    const d2 = await getTrace(store, traceIdOf('D2'));
    const cf = d2!.spans.find((s) => s.spanId === spanIdOf('d.cf'))!;
    expect(cf.status).toBe('error');
    expect(cf.events).toEqual([{ time: '2025-03-01T10:03:02.025000000Z', name: 'exception', attributes: { 'exception.type': 'ConflictError', 'exception.message': 'order state conflict' } }]);
    expect(await getTrace(store, 'f'.repeat(32))).toBeNull();
  });

  it('one payment: every span of every trace with that order id, and its stages', async () => {
    const p = await getPayment(store, 'ord_D');
    expect(p!.traceIds).toEqual(T('D1', 'D2', 'D3'));
    expect(p!.spans.length).toBe(7);
    expect(p!.stages.map((s) => [s.stage, s.status, s.outcome, s.errorCode])).toEqual([
      ['order.create', 'unset', '', ''],
      ['payment.submit', 'unset', '', ''],
      ['gateway.request', 'unset', '', ''],
      ['gateway.callback', 'unset', 'succeeded', ''],
      ['order.confirm', 'error', 'failed', 'ORDER_STATE_CONFLICT'],
      ['gateway.callback', 'unset', 'succeeded', ''],
    ]);
    expect(Object.keys(p!.criticalPaths).sort()).toEqual(T('D1', 'D2', 'D3').sort());
    expect(await getPayment(store, 'ord_nope')).toBeNull();
  });
});

describe('funnel definitions', () => {
  it('create, list, read, replace, delete; the built-in funnel is read-only', async () => {
    expect((await listFunnels(store)).map((f) => f.id)).toEqual([DEFAULT_FUNNEL_ID]);
    const saved = await saveFunnel(store, { name: 'Card only', flowKey: 'payment.order_id', windowSec: 600, steps: [{ name: 'create', stage: 'order.create' }] });
    expect(saved.id).toMatch(/^f_[0-9a-f]{16}$/);
    expect(await getSavedFunnel(store, saved.id)).toMatchObject({ name: 'Card only', windowSec: 600, steps: [{ name: 'create', stage: 'order.create' }], builtIn: false });
    await saveFunnel(store, { ...saved, name: 'Card, renamed' });
    expect((await listFunnels(store)).map((f) => f.name)).toEqual(['Checkout', 'Card, renamed']);
    expect(await deleteFunnel(store, saved.id)).toBe(true);
    expect(await deleteFunnel(store, saved.id)).toBe(false);
    expect(await getSavedFunnel(store, saved.id)).toBeNull();
    expect((await listFunnels(store)).length).toBe(1);
    await expect(saveFunnel(store, { ...DEFAULT_CHECKOUT_FUNNEL, id: DEFAULT_FUNNEL_ID })).rejects.toThrow(FunnelNotEditableError);
    await expect(deleteFunnel(store, DEFAULT_FUNNEL_ID)).rejects.toThrow(FunnelNotEditableError);
  });
});
