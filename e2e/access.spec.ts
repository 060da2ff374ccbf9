import { expect, test } from '@playwright/test';
import { E2E_API_TOKEN } from './playwright.config';

// Runs in the `ingest` project's slot (after `empty`): the server has PAYSCOPE_API_TOKEN set.
test('without the API token the dashboard and API answer 401; health stays open; Basic auth logs a browser in', async ({ playwright, baseURL }) => {
  const anonymous = await playwright.request.newContext({ baseURL, extraHTTPHeaders: {} });
  const api = await anonymous.get('/api/traces');
  expect(api.status()).toBe(401);
  expect((await api.json()).error).toMatch(/token/);
  const page = await anonymous.get('/');
  expect(page.status()).toBe(401);
  expect(page.headers()['www-authenticate']).toMatch(/^Basic/);
  expect((await anonymous.get('/api/health')).status()).toBe(200);
  const wrong = await anonymous.get('/api/traces', { headers: { authorization: 'Bearer nope' } });
  expect(wrong.status()).toBe(401);
  const basic = await anonymous.get('/api/traces', { headers: { authorization: `Basic ${Buffer.from(`anyone:${E2E_API_TOKEN}`).toString('base64')}` } });
  expect(basic.status()).toBe(200);
  await anonymous.dispose();
});

// The browser keeps Basic credentials for the site, so a form or text/plain POST from another site
// would carry them: writes must come as JSON from payscope's own pages (or a non-browser client).
test('cross-site writes are refused: a text/plain or form POST gets 415, a foreign Origin 403, nothing is saved', async ({ playwright, baseURL }) => {
  const auth = `Basic ${Buffer.from(`anyone:${E2E_API_TOKEN}`).toString('base64')}`;
  const ctx = await playwright.request.newContext({ baseURL, extraHTTPHeaders: { authorization: auth } });
  const name = `csrf-${Date.now()}`;
  const body = JSON.stringify({ name, steps: [{ stage: 'checkout' }, { stage: 'paid' }] });
  const plain = await ctx.post('/api/funnels', { headers: { 'content-type': 'text/plain' }, data: body });
  expect(plain.status()).toBe(415);
  const form = await ctx.post('/api/funnels', { form: { name } });
  expect(form.status()).toBe(415);
  const foreign = await ctx.post('/api/funnels', { headers: { 'content-type': 'application/json', origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' }, data: body });
  expect(foreign.status()).toBe(403);
  const listed = await (await ctx.get('/api/funnels')).json() as { funnels: { name: string }[] };
  expect(listed.funnels.map((f) => f.name)).not.toContain(name);
  await ctx.dispose();
});
