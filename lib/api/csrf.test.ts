/**
 * Cross-site request forgery on the JSON API: requests with the headers a browser sends when another
 * site's page posts a form (text/plain or urlencoded body, foreign Origin, Sec-Fetch-Site) are
 * refused and change nothing; same-origin pages and API clients without those headers still work.
 * Through the route handlers Next.js calls, against a real embedded store.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as funnelByIdRoute from '../../app/api/funnels/[id]/route';
import * as funnelsRoute from '../../app/api/funnels/route';
import { migrate } from '../../clickhouse/migrate';
import { openTempStore } from '../../test/helpers/store';
import { setStore, type Store } from '../store/store';

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

const BODY = JSON.stringify({ name: 'Paid', steps: [{ stage: 'order.create' }, { stage: 'gateway.callback' }] });
const HOST = 'payscope.example:3000';

async function post(headers: Record<string, string>, body = BODY) {
  const res = await funnelsRoute.POST(new Request(`http://${HOST}/api/funnels`, { method: 'POST', body, headers: { host: HOST, ...headers } }));
  return { status: res.status, body: (await res.json()) as { error?: string; funnel?: { id: string } } };
}

async function savedFunnels(): Promise<string[]> {
  const res = await funnelsRoute.GET(new Request(`http://${HOST}/api/funnels`));
  return ((await res.json()) as { funnels: { id: string }[] }).funnels.map((f) => f.id).filter((id) => id !== 'checkout');
}

describe('POST /api/funnels from another site is refused', () => {
  it.each([
    ['a text/plain form body (no preflight needed)', { 'content-type': 'text/plain' }, 415],
    ['an urlencoded form body', { 'content-type': 'application/x-www-form-urlencoded' }, 415],
    ['no Content-Type', {}, 415],
    ['a foreign Origin', { 'content-type': 'application/json', origin: 'https://evil.example' }, 403],
    ['a foreign Origin with a text/plain body', { 'content-type': 'text/plain', origin: 'https://evil.example' }, 403],
    ['Origin: null (sandboxed frame)', { 'content-type': 'application/json', origin: 'null' }, 403],
    ['Sec-Fetch-Site: cross-site', { 'content-type': 'application/json', 'sec-fetch-site': 'cross-site' }, 403],
    ['Sec-Fetch-Site: same-site (a sibling subdomain)', { 'content-type': 'application/json', 'sec-fetch-site': 'same-site' }, 403],
    ['Sec-Fetch-Site: cross-site with a matching Origin', { 'content-type': 'application/json', 'sec-fetch-site': 'cross-site', origin: `http://${HOST}` }, 403],
    ['an Origin naming another port of the same host', { 'content-type': 'application/json', origin: 'http://payscope.example:8080' }, 403],
  ])('%s → %i, nothing saved', async (_, headers, status) => {
    const r = await post(headers as Record<string, string>);
    expect(r.status).toBe(status);
    expect(r.body.error).toMatch(status === 415 ? /Content-Type: application\/json/ : /cross-site POST refused/);
    expect(await savedFunnels()).toEqual([]);
  });
});

describe('same-origin pages and API clients still write', () => {
  it('a same-origin browser request → 201', async () => {
    const r = await post({ 'content-type': 'application/json; charset=utf-8', origin: `http://${HOST}`, 'sec-fetch-site': 'same-origin' });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
  });

  it('behind a proxy: the Origin matches X-Forwarded-Host, or the browser says same-origin → 201', async () => {
    const forwarded = await post({ 'content-type': 'application/json', origin: 'https://payscope.corp.example', 'x-forwarded-host': 'payscope.corp.example' });
    expect(forwarded.status, JSON.stringify(forwarded.body)).toBe(201);
    // A proxy that rewrites Host without X-Forwarded-Host: Sec-Fetch-Site, which pages cannot set, decides.
    const rewritten = await post({ 'content-type': 'application/json', origin: 'https://payscope.corp.example', 'sec-fetch-site': 'same-origin' });
    expect(rewritten.status, JSON.stringify(rewritten.body)).toBe(201);
  });

  it('an API client without Origin (curl) → 201; DELETE follows the same rules', async () => {
    const r = await post({ 'content-type': 'application/json' });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    const id = r.body.funnel!.id;
    const del = (headers: Record<string, string>) =>
      funnelByIdRoute.DELETE(new Request(`http://${HOST}/api/funnels/${id}`, { method: 'DELETE', headers: { host: HOST, ...headers } }), { params: Promise.resolve({ id }) });
    expect((await del({ origin: 'https://evil.example' })).status).toBe(403);
    expect((await del({ 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect(await savedFunnels()).toContain(id);
    expect((await del({ origin: `http://${HOST}`, 'sec-fetch-site': 'same-origin' })).status).toBe(200);
    expect(await savedFunnels()).not.toContain(id);
  });

  it('GET stays open to cross-site reads (the browser keeps the answer from the other site)', async () => {
    const res = await funnelsRoute.GET(new Request(`http://${HOST}/api/funnels`, { headers: { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' } }));
    expect(res.status).toBe(200);
  });
});
