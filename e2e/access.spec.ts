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
