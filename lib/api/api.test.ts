/**
 * The JSON API v1 through its route handlers (the same functions Next.js calls), against a real
 * embedded store holding the hand-made payments of test/helpers/payments-fixture.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import * as funnelRoute from '../../app/api/funnel/route';
import * as funnelByIdRoute from '../../app/api/funnels/[id]/route';
import * as funnelsRoute from '../../app/api/funnels/route';
import * as gatewaysRoute from '../../app/api/gateways/route';
import * as hopsRoute from '../../app/api/hops/route';
import * as inconsistentRoute from '../../app/api/inconsistent/route';
import * as paymentRoute from '../../app/api/payments/[orderId]/route';
import * as stagesRoute from '../../app/api/stages/route';
import * as stuckRoute from '../../app/api/stuck/route';
import * as traceRoute from '../../app/api/traces/[traceId]/route';
import * as tracesRoute from '../../app/api/traces/route';
import { migrate } from '../../clickhouse/migrate';
import { openTempStore } from '../../test/helpers/store';
import { insertFixture, traceIdOf } from '../../test/helpers/fixtures';
import { HAND_T0, PAYMENTS_FIXTURE } from '../../test/helpers/payments-fixture';
import { sql } from '../store/sql';
import { setStore, StoreUnavailableError, type Store } from '../store/store';
import {
  ErrorResponse, FunnelResponse, FunnelsResponse, GatewaysResponse, HopsResponse, InconsistentResponse, PaymentResponse,
  SavedFunnelResponse, StagesResponse, StuckResponse, TraceResponse, TracesResponse,
} from './schemas';

type Handler = (req: Request, ctx?: { params?: Promise<Record<string, string>> }) => Promise<Response>;

let store: Store;
let cleanup: () => Promise<void>;
const RANGE = `from=${HAND_T0}&to=${HAND_T0 + 3_600_000}`;

beforeAll(async () => {
  ({ store, cleanup } = await openTempStore());
  await migrate(store, { retentionDays: 0 });
  await insertFixture(store, PAYMENTS_FIXTURE, HAND_T0);
  setStore(store);
});
afterAll(async () => {
  setStore(undefined);
  await cleanup?.();
});

async function call(handler: Handler, path: string, opts: { params?: Record<string, string>; method?: string; body?: unknown } = {}) {
  const req = new Request(`http://payscope.test${path}`, {
    method: opts.method ?? 'GET',
    ...(opts.body !== undefined ? { body: typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body), headers: { 'content-type': 'application/json' } } : {}),
  });
  const res = await handler(req, { params: Promise.resolve(opts.params ?? {}) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
}

function ok<S extends z.ZodType>(schema: S, r: { status: number; body: unknown }): z.output<S> {
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return schema.parse(r.body);
}

describe('every endpoint answers in its documented shape', () => {
  it('GET /api/traces', async () => {
    const b = ok(TracesResponse, await call(tracesRoute.GET, `/api/traces?${RANGE}&service=order&stage=gateway.callback`));
    expect(b.traces.map((t) => t.traceId).sort()).toEqual([traceIdOf('A2'), traceIdOf('D2'), traceIdOf('E2')].sort());
    expect(b.traces.every((t) => typeof t.durationMs === 'number')).toBe(true);
  });

  it('GET /api/traces/{traceId} (404 when unknown)', async () => {
    const b = ok(TraceResponse, await call(traceRoute.GET, '/x', { params: { traceId: traceIdOf('A1').toUpperCase() } }));
    expect(b.spans.length).toBe(6);
    expect(b.criticalPath.length).toBe(6);
    const missing = await call(traceRoute.GET, '/x', { params: { traceId: 'ab'.repeat(16) } });
    expect(missing.status).toBe(404);
    ErrorResponse.parse(missing.body);
  });

  it('GET /api/payments/{orderId}: every trace of the payment, with its stages', async () => {
    const b = ok(PaymentResponse, await call(paymentRoute.GET, '/x', { params: { orderId: 'ord_E' } }));
    expect(b.traceIds).toEqual([traceIdOf('E1'), traceIdOf('E2')]);
    expect(b.stages.map((s) => s.stage)).toEqual(['order.create', 'payment.submit', 'gateway.request', 'gateway.callback', 'order.confirm']);
    expect((await call(paymentRoute.GET, '/x', { params: { orderId: 'ord_missing' } })).status).toBe(404);
  });

  it('GET /api/funnel: the default checkout funnel, inline steps, split and compare', async () => {
    const d = ok(FunnelResponse, await call(funnelRoute.GET, `/api/funnel?${RANGE}`));
    expect(d.funnel.id).toBe('checkout');
    expect(d.steps.map((s) => s.reached)).toEqual([5, 5, 5, 3, 3]);
    expect(d.steps[3]).toEqual({ name: 'gateway.callback', reached: 3, conversion: 0.6, dropOff: expect.closeTo(0.4, 9), p50Ms: 2800, p95Ms: 9880, p99Ms: 9880 });
    const inline = ok(FunnelResponse, await call(funnelRoute.GET, `/api/funnel?${RANGE}&steps=order.create,gateway.callback&split=channel&compare=previous`));
    expect(inline.steps.map((s) => s.reached)).toEqual([5, 3]);
    expect(inline.splits!.map((s) => s.value)).toEqual(['alipay', 'card', 'paypal', 'wechatpay']);
    expect(inline.compare!.steps.map((s) => s.reached)).toEqual([0, 0]);
    const bySpan = encodeURIComponent(JSON.stringify([{ service: 'order', spanName: 'POST /orders' }, { stage: 'order.confirm', attributes: { 'payment.outcome': 'succeeded' } }]));
    expect(ok(FunnelResponse, await call(funnelRoute.GET, `/api/funnel?${RANGE}&steps=${bySpan}`)).steps.map((s) => s.reached)).toEqual([5, 1]);
  });

  it('GET /api/gateways, /api/hops, /api/stuck, /api/inconsistent, /api/stages', async () => {
    const g = ok(GatewaysResponse, await call(gatewaysRoute.GET, `/api/gateways?${RANGE}&split=channel`));
    expect(g.gateways.map((x) => `${x.gateway}/${x.channel}`).sort()).toEqual(['alipay/alipay', 'paypal/paypal', 'stripe/card', 'wechatpay/wechatpay']);
    const h = ok(HopsResponse, await call(hopsRoute.GET, `/api/hops?${RANGE}&channel=alipay`));
    expect(h.hops.map((x) => `${x.from}→${x.to}`)).toEqual(['checkout→payment', 'payment→alipay', 'checkout→order', 'payment→order']);
    const s = ok(StuckResponse, await call(stuckRoute.GET, `/api/stuck?${RANGE}`));
    expect(s.payments.map((p) => p.orderId)).toEqual(['ord_B']);
    expect(ok(StuckResponse, await call(stuckRoute.GET, `/api/stuck?${RANGE}&slaSec=4000`)).payments).toEqual([]);
    expect(ok(StuckResponse, await call(stuckRoute.GET, `/api/stuck?${RANGE}&sla=stripe%3D4000`)).payments).toEqual([]);
    const i = ok(InconsistentResponse, await call(inconsistentRoute.GET, `/api/inconsistent?${RANGE}`));
    expect(i.payments.map((p) => p.orderId)).toEqual(['ord_E', 'ord_D']);
    const st = ok(StagesResponse, await call(stagesRoute.GET, `/api/stages?${RANGE}&channel=card`));
    expect(st.stages.filter((x) => x.channel === null).map((x) => x.stage)).toEqual(['order.create', 'payment.submit', 'gateway.request']);
  });

  it('funnel definitions: create, list, read, replace, delete; built-in is read-only', async () => {
    const created = await call(funnelsRoute.POST, '/api/funnels', { method: 'POST', body: { name: 'Paid', steps: [{ stage: 'order.create' }, { stage: 'gateway.callback' }] } });
    expect(created.status).toBe(201);
    const f = SavedFunnelResponse.parse(created.body).funnel;
    expect(f).toMatchObject({ name: 'Paid', flowKey: 'payment.order_id', windowSec: 3600, builtIn: false });
    expect(ok(FunnelsResponse, await call(funnelsRoute.GET, '/api/funnels')).funnels.map((x) => x.id)).toEqual(['checkout', f.id]);
    const used = ok(FunnelResponse, await call(funnelRoute.GET, `/api/funnel?${RANGE}&funnelId=${f.id}`));
    expect(used.steps.map((s) => s.reached)).toEqual([5, 3]);
    const put = await call(funnelByIdRoute.PUT, '/x', { method: 'PUT', params: { id: f.id }, body: { name: 'Paid (renamed)', steps: [{ stage: 'order.create' }] } });
    expect(SavedFunnelResponse.parse(put.body).funnel.name).toBe('Paid (renamed)');
    expect(ok(SavedFunnelResponse, await call(funnelByIdRoute.GET, '/x', { params: { id: f.id } })).funnel.steps.length).toBe(1);
    expect((await call(funnelByIdRoute.DELETE, '/x', { method: 'DELETE', params: { id: f.id } })).body).toEqual({ deleted: f.id });
    expect((await call(funnelByIdRoute.GET, '/x', { params: { id: f.id } })).status).toBe(404);
    expect((await call(funnelByIdRoute.PUT, '/x', { method: 'PUT', params: { id: f.id }, body: { name: 'x', steps: [{ stage: 'a' }] } })).status).toBe(404);
    expect((await call(funnelByIdRoute.DELETE, '/x', { method: 'DELETE', params: { id: 'checkout' } })).status).toBe(403);
    expect((await call(funnelByIdRoute.PUT, '/x', { method: 'PUT', params: { id: 'checkout' }, body: { name: 'x', steps: [{ stage: 'a' }] } })).status).toBe(403);
    expect((await call(funnelRoute.GET, `/api/funnel?funnelId=nope`)).status).toBe(404);
  });
});

describe('bad parameters get 400 and a message saying what is wrong', () => {
  it.each([
    [tracesRoute.GET, '/api/traces?from=yesterday', /from: not a time/],
    [tracesRoute.GET, '/api/traces?from=2025-02-30T00:00:00Z', /from: not a time/],
    [tracesRoute.GET, `/api/traces?from=${HAND_T0}&to=${HAND_T0 - 1}`, /`from` must be before `to`/],
    [tracesRoute.GET, '/api/traces?serviec=order', /unknown parameter "serviec"/],
    [tracesRoute.GET, '/api/traces?constructor=x', /unknown parameter "constructor"/],
    [tracesRoute.GET, '/api/traces?from=0&to=3600000', /from: time out of range/],
    [gatewaysRoute.GET, '/api/gateways?from=2262-01-01T00:00:00Z', /from: time out of range/],
    [tracesRoute.GET, '/api/traces?service=a&service=b', /parameter "service" given more than once/],
    [tracesRoute.GET, '/api/traces?limit=100000', /limit:/],
    [tracesRoute.GET, '/api/traces?minDurationMs=fast', /minDurationMs:/],
    [tracesRoute.GET, '/api/traces?status=maybe', /status:/],
    [funnelRoute.GET, '/api/funnel?steps=%5B%7B', /steps: not valid JSON/],
    [funnelRoute.GET, '/api/funnel?split=planet', /split:/],
    [funnelRoute.GET, '/api/funnel?compare=yesterday', /compare:/],
    [gatewaysRoute.GET, '/api/gateways?to=soon', /to: not a time/],
    [gatewaysRoute.GET, '/api/gateways?split=gateway', /split:/],
    [hopsRoute.GET, '/api/hops?limit=-3', /limit:/],
    [stuckRoute.GET, '/api/stuck?slaSec=never', /slaSec:/],
    [stuckRoute.GET, '/api/stuck?sla=paypal', /expected gateway=seconds/],
    [inconsistentRoute.GET, '/api/inconsistent?verbose=1', /unknown parameter "verbose"/],
    [stagesRoute.GET, '/api/stages?channel=', /channel: must not be empty/],
    [funnelsRoute.GET, '/api/funnels?all=1', /unknown parameter "all"/],
  ].map(([handler, path, message]) => ({ handler, path, message })) as { handler: Handler; path: string; message: RegExp }[])('$path', async ({ handler, path, message }) => {
    const r = await call(handler, path);
    expect(r.status).toBe(400);
    expect(ErrorResponse.parse(r.body).error).toMatch(message);
  });

  it('path parameters and bodies are validated too', async () => {
    const bad = await call(traceRoute.GET, '/x', { params: { traceId: "' OR 1=1 --" } });
    expect([bad.status, bad.body.error]).toEqual([400, 'traceId: traceId must be 16 to 64 hex digits']);
    expect((await call(funnelByIdRoute.GET, '/x', { params: { id: '../etc' } })).status).toBe(400);
    for (const body of ['not json', { name: 'x' }, { name: 'x', steps: [] }, { name: 'x', steps: [{ stage: 'a' }], extra: 1 }, { name: 'x', steps: [{ nothing: 'x' }] }]) {
      const r = await call(funnelsRoute.POST, '/api/funnels', { method: 'POST', body });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(ErrorResponse.parse(r.body).error.length).toBeGreaterThan(5);
    }
  });

  it('a store that is down answers 503 with Retry-After', async () => {
    const down = { ...store, query: async () => { throw new StoreUnavailableError('connection refused'); } } as Store;
    setStore(down);
    try {
      const r = await call(gatewaysRoute.GET, '/api/gateways');
      expect([r.status, r.headers.get('retry-after')]).toEqual([503, '5']);
      ErrorResponse.parse(r.body);
    } finally {
      setStore(store);
    }
  });
});

describe('hostile filter values change nothing but the filter', () => {
  const HOSTILE = [
    "' OR '1'='1",
    "'; DROP TABLE otel_traces; --",
    "card' --",
    '\\',
    "\\' OR 1=1 --",
    '{p0:String}',
    '") OR ("a"="a',
    "ord_A' UNION ALL SELECT name FROM system.tables --",
    'card\u0000',
    '支付宝',
    '💳 card',
    '\u202Ecard',
    '%',
    '_',
    '*',
    'x'.repeat(512),
  ];
  // [handler, path with FILTER where the value goes, a value that matches something]
  const FILTERS: [string, Handler, string, string][] = [
    ['traces service', tracesRoute.GET, `/api/traces?${RANGE}&service=FILTER`, 'order'],
    ['traces stage', tracesRoute.GET, `/api/traces?${RANGE}&stage=FILTER`, 'order.create'],
    ['traces channel', tracesRoute.GET, `/api/traces?${RANGE}&channel=FILTER`, 'card'],
    ['traces gateway', tracesRoute.GET, `/api/traces?${RANGE}&gateway=FILTER`, 'stripe'],
    ['traces orderId', tracesRoute.GET, `/api/traces?${RANGE}&orderId=FILTER`, 'ord_A'],
    ['funnel steps', funnelRoute.GET, `/api/funnel?${RANGE}&steps=FILTER`, 'order.create'],
    ['funnel channel', funnelRoute.GET, `/api/funnel?${RANGE}&channel=FILTER`, 'card'],
    ['funnel gateway', funnelRoute.GET, `/api/funnel?${RANGE}&gateway=FILTER`, 'stripe'],
    ['funnel flowKey', funnelRoute.GET, `/api/funnel?${RANGE}&steps=order.create&flowKey=FILTER`, 'payment.channel'],
    ['gateways channel', gatewaysRoute.GET, `/api/gateways?${RANGE}&channel=FILTER`, 'card'],
    ['hops channel', hopsRoute.GET, `/api/hops?${RANGE}&channel=FILTER`, 'card'],
    ['hops gateway', hopsRoute.GET, `/api/hops?${RANGE}&gateway=FILTER`, 'stripe'],
    ['stages channel', stagesRoute.GET, `/api/stages?${RANGE}&channel=FILTER`, 'card'],
    ['stuck sla gateway', stuckRoute.GET, `/api/stuck?${RANGE}&sla=FILTER%3D999999`, 'stripe'],
  ];
  // Parts of a response that echo the request rather than answer it.
  const answer = (body: Record<string, unknown>) => {
    const { funnel: _echo, ...rest } = body;
    return JSON.parse(JSON.stringify(rest), (k, v) => (k === 'name' ? '?' : v));
  };
  // The funnel "steps" filter: a comma would split the value into two steps; send it as JSON.
  const encode = (label: string, v: string) => encodeURIComponent(label === 'funnel steps' ? JSON.stringify([{ stage: v }]) : v);

  it.each(FILTERS)('%s', async (label, handler, path, matching) => {
    const run = async (v: string) => {
      const r = await call(handler, path.replace('FILTER', encode(label, v)));
      expect(r.status, `${label}=${JSON.stringify(v)}: ${JSON.stringify(r.body)}`).toBe(200);
      return answer(r.body);
    };
    const none = await run('no-such-value');
    expect(await run(matching), `${label}: the matching value must find something`).not.toEqual(none);
    for (const v of HOSTILE) expect(await run(v), `${label}=${JSON.stringify(v)}`).toEqual(none);
  });

  it('payments by order id: hostile ids are simply not found', async () => {
    for (const v of HOSTILE) expect((await call(paymentRoute.GET, '/x', { params: { orderId: v } })).status, v).toBe(404);
  });

  it('the data is all still there', async () => {
    const [r] = await store.query<{ n: string }>(sql`SELECT count() AS n FROM otel_traces`);
    expect(Number(r.n)).toBe(PAYMENTS_FIXTURE.length);
  });
});
