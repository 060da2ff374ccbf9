/**
 * The from/to hint of a lookup by id (Jaeger's and Tempo's start/end): only spans that start in the
 * window, read without the trace-id lookup table; through the query functions and the API routes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as paymentRoute from '../../app/api/payments/[orderId]/route';
import * as traceRoute from '../../app/api/traces/[traceId]/route';
import { migrate } from '../../clickhouse/migrate';
import { insertFixture, traceIdOf, type FixtureSpan } from '../../test/helpers/fixtures';
import { openTempStore } from '../../test/helpers/store';
import { sql } from '../store/sql';
import { setStore, type Store } from '../store/store';
import { getPayment, getTrace } from './traces';

const T0 = Date.parse('2025-06-01T08:00:00Z');
const H = 3_600_000;
const pay = { 'payment.order_id': 'ord_H' };
// One payment: its checkout trace (with a span two hours after the others) and its callback trace.
const SPANS: FixtureSpan[] = [
  { trace: 'H1', id: 'h.root', service: 'checkout', name: 'POST /api/checkout', start: 0, dur: 500, attrs: pay },
  { trace: 'H1', id: 'h.child', parent: 'h.root', service: 'order', name: 'POST /orders', start: 100, dur: 200, attrs: { ...pay, 'payment.stage': 'order.create' } },
  { trace: 'H1', id: 'h.late', parent: 'h.root', service: 'audit', name: 'audit', start: 2 * H, dur: 10 },
  { trace: 'H2', id: 'h.cb', service: 'payment', name: 'POST /callbacks/:gateway', start: 30 * 60_000, dur: 50, attrs: { ...pay, 'payment.stage': 'gateway.callback' } },
];
const at = (ms: number) => new Date(T0 + ms);

let store: Store;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ store, cleanup } = await openTempStore());
  await migrate(store, { retentionDays: 0 });
  await insertFixture(store, SPANS, T0);
  setStore(store);
});
afterAll(async () => {
  setStore(undefined);
  await cleanup?.();
});

async function call(handler: typeof traceRoute.GET, path: string, params: Record<string, string>) {
  const res = await handler(new Request(`http://payscope.test${path}`), { params: Promise.resolve(params) });
  return { status: res.status, body: (await res.json()) as { spans?: { name: string }[]; traceIds?: string[]; error?: string } };
}

describe('getTrace / getPayment with a from/to hint', () => {
  it('returns the spans that start in the window, whole trace without the hint', async () => {
    const id = traceIdOf('H1');
    expect((await getTrace(store, id))?.spans.map((s) => s.name)).toEqual(['POST /api/checkout', 'POST /orders', 'audit']);
    expect((await getTrace(store, id, { from: at(0), to: at(H) }))?.spans.map((s) => s.name)).toEqual(['POST /api/checkout', 'POST /orders']);
    // Half-open: a span starting exactly at `to` is outside, one at `from` inside.
    expect((await getTrace(store, id, { from: at(100), to: at(2 * H) }))?.spans.map((s) => s.name)).toEqual(['POST /orders']);
    expect(await getTrace(store, id, { from: at(3 * H), to: at(4 * H) })).toBeNull();
  });

  it('payment: its traces with spans in the window, and only those spans', async () => {
    const all = await getPayment(store, 'ord_H');
    expect(all?.traceIds).toEqual([traceIdOf('H1'), traceIdOf('H2')]);
    const early = await getPayment(store, 'ord_H', { from: at(-60_000), to: at(10 * 60_000) });
    expect(early?.traceIds).toEqual([traceIdOf('H1')]);
    expect(early?.spans.map((s) => s.name)).toEqual(['POST /api/checkout', 'POST /orders']);
    expect(early?.stages.map((s) => s.stage)).toEqual(['order.create']);
    const hour = await getPayment(store, 'ord_H', { from: at(0), to: at(H) });
    expect(hour?.traceIds).toEqual([traceIdOf('H1'), traceIdOf('H2')]);
    expect(hour?.spans.map((s) => s.name)).toEqual(['POST /api/checkout', 'POST /orders', 'POST /callbacks/:gateway']);
    expect(await getPayment(store, 'ord_H', { from: at(5 * H), to: at(6 * H) })).toBeNull();
  });

  it('the routes pass from/to as the hint and refuse a bad one', async () => {
    const id = traceIdOf('H1');
    const hinted = await call(traceRoute.GET, `/x?from=${T0}&to=${new Date(T0 + H).toISOString()}`, { traceId: id });
    expect(hinted.status).toBe(200);
    expect(hinted.body.spans?.map((s) => s.name)).toEqual(['POST /api/checkout', 'POST /orders']);
    // One side given: the other is open.
    expect((await call(traceRoute.GET, `/x?from=${T0 + H}`, { traceId: id })).body.spans?.map((s) => s.name)).toEqual(['audit']);
    expect((await call(traceRoute.GET, `/x?to=${T0 + 1}`, { traceId: id })).body.spans?.map((s) => s.name)).toEqual(['POST /api/checkout']);
    expect((await call(traceRoute.GET, `/x?from=${T0 + H}&to=${T0}`, { traceId: id })).status).toBe(400);
    expect((await call(traceRoute.GET, `/x?from=yesterday`, { traceId: id })).status).toBe(400);
    expect((await call(traceRoute.GET, `/x?start=${T0}`, { traceId: id })).status).toBe(400);
    const payment = await call(paymentRoute.GET, `/x?from=${T0 - 60_000}&to=${T0 + 600_000}`, { orderId: 'ord_H' });
    expect(payment.status).toBe(200);
    expect(payment.body.traceIds).toEqual([traceIdOf('H1')]);
    expect((await call(paymentRoute.GET, `/x?from=${T0 + 5 * H}&to=${T0 + 6 * H}`, { orderId: 'ord_H' })).status).toBe(404);
  });

  // Last: it empties the lookup table. The hinted read must not need it (that is what keeps its cost
  // independent of the history outside the window); the unhinted one does.
  it('the hinted read does not ask the trace-id lookup table', async () => {
    await store.command(sql`TRUNCATE TABLE otel_traces_trace_id_ts`);
    expect(await getTrace(store, traceIdOf('H1'))).toBeNull();
    expect((await getTrace(store, traceIdOf('H1'), { from: at(0), to: at(H) }))?.spans.length).toBe(2);
    expect((await getPayment(store, 'ord_H', { from: at(0), to: at(H) }))?.spans.length).toBe(3);
  });
});
