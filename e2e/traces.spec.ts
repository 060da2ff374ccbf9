import { expect, test } from '@playwright/test';
import { PAYMENTS } from './fixture';
import { api, rangeQuery, screenshot, urlParams } from './helpers';

const ids = (traces: { traceId: string }[]) => traces.map((t) => t.traceId);

test('Traces: results and scatter match the API; filters change them', async ({ page, request }) => {
  const q = rangeQuery();
  const all = await api(request, `/api/traces?${q}&limit=100`);
  await page.goto(`/traces?${q}`);
  const rows = page.locator('[data-testid="traces"] tbody tr');
  expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-trace-id')))).toEqual(ids(all.traces));
  // one point per trace in the duration scatter
  await expect(page.locator('.recharts-scatter-symbol')).toHaveCount(all.traces.length);
  await screenshot(page, 'traces');

  await page.getByRole('combobox', { name: 'Channel' }).selectOption('card');
  await expect(page).toHaveURL(/channel=card/);
  const card = await api(request, `/api/traces?${q}&channel=card&limit=100`);
  await expect(rows).toHaveCount(card.traces.length);
  expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-trace-id')))).toEqual(ids(card.traces));

  await page.getByLabel('Duration ≥ (ms)').fill('800');
  await page.getByRole('combobox', { name: 'Order', exact: true }).selectOption('duration');
  await expect(page).toHaveURL(/sort=duration/);
  expect(urlParams(page).get('minDurationMs')).toBe('800');
  const slow = await api(request, `/api/traces?${q}&channel=card&minDurationMs=800&sort=duration&limit=100`);
  await expect(rows).toHaveCount(slow.traces.length);
  expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-trace-id')))).toEqual(ids(slow.traces));

  // By order id: the checkout trace and the callback trace of one payment.
  await page.goto(`/traces?${q}&orderId=ord-e2e-c1`);
  await expect(rows).toHaveCount(2);
  await expect(page.getByRole('link', { name: 'payment ord-e2e-c1' })).toBeVisible();

  // A result opens its trace, keeping the range for the way back.
  await rows.first().getByRole('link').click();
  await expect(page).toHaveURL(/\/traces\/[0-9a-f]{32}\?/);
  expect(urlParams(page).get('from')).toBe(new URLSearchParams(q).get('from'));
});

test('Traces: a point of the scatter opens its trace', async ({ page }) => {
  await page.goto(`/traces?${rangeQuery()}&service=settlement`);
  await page.locator('.recharts-scatter-symbol').first().click();
  await expect(page).toHaveURL(/\/traces\/[0-9a-f]{32}/);
  expect(PAYMENTS.length).toBeGreaterThan(0);
});
