/**
 * The alerting API through its route handlers (the functions Next.js calls), against a real
 * embedded store: rules (defaults listed from the first start, users' added, changed, disabled,
 * deleted; bad bodies refused with a clear 400), silences, and /api/alerts over stored alerts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as ruleByIdRoute from '../../app/api/alert-rules/[id]/route';
import * as rulesRoute from '../../app/api/alert-rules/route';
import * as alertsRoute from '../../app/api/alerts/route';
import * as silenceByIdRoute from '../../app/api/silences/[id]/route';
import * as silencesRoute from '../../app/api/silences/route';
import { migrate } from '../../clickhouse/migrate';
import { openTempStore } from '../../test/helpers/store';
import { setStore, type Store } from '../store/store';
import { evaluateRule } from './evaluate';
import { saveAlerts } from './store';

type Handler = (req: Request, ctx?: { params?: Promise<Record<string, string>> }) => Promise<Response>;

let store: Store;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ store, cleanup } = await openTempStore());
  await migrate(store, { retentionDays: 0 });
  setStore(store);
});
afterAll(async () => {
  setStore(undefined);
  await cleanup?.();
});

async function call(handler: Handler, path: string, init: { method?: string; body?: unknown; params?: Record<string, string> } = {}) {
  const req = new Request(`http://localhost${path}`, {
    method: init.method ?? 'GET',
    ...(init.body !== undefined ? { body: JSON.stringify(init.body), headers: { 'content-type': 'application/json' } } : {}),
  });
  const res = await handler(req, init.params ? { params: Promise.resolve(init.params) } : undefined);
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

const rule = { name: 'StripeStuck', kind: 'stuck_payments', severity: 'critical', windowSec: 3600, forSec: 120, threshold: 10, resolveThreshold: 5, minCount: 3, gateway: 'stripe' };

describe('/api/alert-rules', () => {
  it('lists the default rules from the first start, each with a severity; the acceptance-rate rule is off, info, and says so', async () => {
    const { status, body } = await call(rulesRoute.GET, '/api/alert-rules');
    expect(status).toBe(200);
    const ids = body.rules.map((r: { id: string }) => r.id);
    expect(ids).toEqual([
      'gateway-health', 'stuck-payments', 'inconsistent-payments', 'double-charges', 'transaction-anomalies', 'funnel-conversion-drop', 'stage-wait-p95', 'acceptance-rate-drop',
    ]);
    for (const r of body.rules) expect(['info', 'warning', 'critical']).toContain(r.severity);
    const acceptance = body.rules.find((r: { id: string }) => r.id === 'acceptance-rate-drop');
    expect(acceptance).toMatchObject({ enabled: false, severity: 'info', builtIn: true });
    expect(acceptance.name).toMatch(/PayerDeclinesNotProviderFault/);
    expect(body.rules.filter((r: { enabled: boolean }) => r.enabled)).toHaveLength(7);
  });

  it('adds, changes, disables and deletes a rule', async () => {
    const created = await call(rulesRoute.POST, '/api/alert-rules', { method: 'POST', body: rule });
    expect(created.status).toBe(201);
    const id = created.body.rule.id as string;
    expect(created.body.rule).toMatchObject({ ...rule, enabled: true, builtIn: false });

    const changed = await call(ruleByIdRoute.PUT, `/api/alert-rules/${id}`, { method: 'PUT', params: { id }, body: { ...rule, threshold: 20, enabled: false } });
    expect(changed.status).toBe(200);
    expect((await call(ruleByIdRoute.GET, `/api/alert-rules/${id}`, { params: { id } })).body.rule).toMatchObject({ threshold: 20, enabled: false });

    expect((await call(ruleByIdRoute.DELETE, `/api/alert-rules/${id}`, { method: 'DELETE', params: { id } })).body).toEqual({ deleted: id });
    expect((await call(ruleByIdRoute.GET, `/api/alert-rules/${id}`, { params: { id } })).status).toBe(404);
    expect((await call(ruleByIdRoute.PUT, `/api/alert-rules/${id}`, { method: 'PUT', params: { id }, body: rule })).status).toBe(404);
  });

  it('a default rule can be disabled, and deleting it restores the default', async () => {
    const list = (await call(rulesRoute.GET, '/api/alert-rules')).body.rules;
    const def = list.find((r: { id: string }) => r.id === 'gateway-health');
    const { id: _id, builtIn: _b, updatedAt: _u, ...definition } = def;
    const off = await call(ruleByIdRoute.PUT, '/api/alert-rules/gateway-health', { method: 'PUT', params: { id: 'gateway-health' }, body: { ...definition, enabled: false } });
    expect(off.body.rule).toMatchObject({ id: 'gateway-health', enabled: false, builtIn: true });
    expect((await call(ruleByIdRoute.DELETE, '/api/alert-rules/gateway-health', { method: 'DELETE', params: { id: 'gateway-health' } })).status).toBe(200);
    expect((await call(ruleByIdRoute.GET, '/api/alert-rules/gateway-health', { params: { id: 'gateway-health' } })).body.rule).toEqual(def);
  });

  it('refuses bad rules with a 400 that names the field', async () => {
    const bad = async (body: unknown) => {
      const r = await call(rulesRoute.POST, '/api/alert-rules', { method: 'POST', body });
      expect(r.status).toBe(400);
      return r.body.error as string;
    };
    expect(await bad({ ...rule, kind: 'cpu' })).toMatch(/^kind: /);
    expect(await bad({ ...rule, resolveThreshold: 50 })).toMatch(/^resolveThreshold: must not be above threshold/);
    expect(await bad({ ...rule, name: 'has space' })).toMatch(/^name: /);
    expect(await bad({ ...rule, windowSec: 1 })).toMatch(/^windowSec: /);
    expect(await bad({ ...rule, severity: 'page' })).toMatch(/^severity: /);
    expect(await bad({ ...rule, extra: 1 })).toMatch(/extra/);
    expect(await bad({ ...rule, threshold: 'NaN' })).toMatch(/^threshold: /);
    const notJson = await rulesRoute.POST(new Request('http://localhost/api/alert-rules', { method: 'POST', body: '{', headers: { 'content-type': 'application/json' } }));
    expect(notJson.status).toBe(400);
  });
});

describe('/api/silences', () => {
  it('creates a silence by label matchers until a time, lists it, ends it', async () => {
    const endsAt = new Date(Date.now() + 3_600_000).toISOString();
    const created = await call(silencesRoute.POST, '/api/silences', { method: 'POST', body: { matchers: [{ label: 'gateway', value: 'stripe' }], endsAt, comment: 'maintenance' } });
    expect(created.status).toBe(201);
    expect(created.body.silence).toMatchObject({ matchers: [{ label: 'gateway', op: '=', value: 'stripe' }], endsAt, comment: 'maintenance' });
    const id = created.body.silence.id as string;
    expect((await call(silencesRoute.GET, '/api/silences')).body.silences.map((s: { id: string }) => s.id)).toEqual([id]);
    expect((await call(silenceByIdRoute.DELETE, `/api/silences/${id}`, { method: 'DELETE', params: { id } })).body).toEqual({ deleted: id });
    expect((await call(silencesRoute.GET, '/api/silences')).body.silences).toEqual([]);
    expect((await call(silenceByIdRoute.DELETE, '/api/silences/s_none', { method: 'DELETE', params: { id: 's_none' } })).status).toBe(404);
  });

  it('refuses a silence that ends before it starts, or has no matcher', async () => {
    const past = await call(silencesRoute.POST, '/api/silences', { method: 'POST', body: { matchers: [{ label: 'gateway', value: 'x' }], endsAt: '2020-01-01T00:00:00Z' } });
    expect(past.status).toBe(400);
    expect(past.body.error).toMatch(/^endsAt: must be after/);
    const none = await call(silencesRoute.POST, '/api/silences', { method: 'POST', body: { matchers: [], endsAt: new Date(Date.now() + 60_000).toISOString() } });
    expect(none.body.error).toMatch(/^matchers: at least one/);
  });
});

describe('/api/alerts', () => {
  it('answers the alerts active in the range, filtered by state, with times as ISO 8601', async () => {
    const T = Date.parse('2026-11-01T10:00:00Z');
    const cond = { id: 'gateway-health', name: 'PaymentGatewayUnhealthy', severity: 'warning' as const, threshold: 1, resolveThreshold: 1, criticalThreshold: 2, forSec: 0 };
    const s = (gateway: string, value: number) => ({ labels: { gateway }, value, summary: `Gateway ${gateway}`, description: 'd' });
    // stripe fires at T and resolves at T+10m; paypal fires at T+5m and is still firing.
    const e1 = evaluateRule(cond, [], [s('stripe', 2)], T);
    const e2 = evaluateRule(cond, e1.open, [s('stripe', 2), s('paypal', 1)], T + 5 * 60_000);
    const e3 = evaluateRule(cond, e2.open, [s('stripe', 0), s('paypal', 1)], T + 10 * 60_000);
    for (const [e, at] of [[e1, T], [e2, T + 5 * 60_000], [e3, T + 10 * 60_000]] as const) await saveAlerts(store, e.changed, at);

    const all = await call(alertsRoute.GET, `/api/alerts?from=2026-11-01T09:00:00Z&to=2026-11-01T11:00:00Z`);
    expect(all.status).toBe(200);
    expect(all.body.alerts.map((a: any) => [a.labels.gateway, a.state, a.severity, a.startsAt, a.endsAt, a.value, a.threshold, a.summary])).toEqual([
      ['paypal', 'firing', 'warning', '2026-11-01T10:05:00.000Z', null, 1, 1, 'Gateway paypal'],
      ['stripe', 'resolved', 'critical', '2026-11-01T10:00:00.000Z', '2026-11-01T10:10:00.000Z', 0, 1, 'Gateway stripe'],
    ]);
    expect(all.body.alerts[0]).toMatchObject({ rule: 'gateway-health', id: expect.any(String) });
    const firing = await call(alertsRoute.GET, `/api/alerts?from=2026-11-01T09:00:00Z&to=2026-11-01T11:00:00Z&state=firing`);
    expect(firing.body.alerts.map((a: any) => a.labels.gateway)).toEqual(['paypal']);
    // Before stripe fired: nothing; after it resolved: only paypal.
    expect((await call(alertsRoute.GET, `/api/alerts?from=2026-11-01T08:00:00Z&to=2026-11-01T09:59:00Z`)).body.alerts).toEqual([]);
    expect((await call(alertsRoute.GET, `/api/alerts?from=2026-11-01T10:11:00Z&to=2026-11-01T11:00:00Z`)).body.alerts.map((a: any) => a.labels.gateway)).toEqual(['paypal']);
    const bad = await call(alertsRoute.GET, '/api/alerts?state=burning');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/^state: /);
  });
});
