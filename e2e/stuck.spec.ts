import { expect, test } from '@playwright/test';
import { api, kpi, rangeQuery, screenshot } from './helpers';

const orders = (rows: { orderId: string }[]) => rows.map((r) => r.orderId).sort();

test('Stuck payments: stuck, inconsistent and duplicate callbacks, as the API lists them', async ({ page, request }) => {
  const q = rangeQuery();
  const stuck = await api(request, `/api/stuck?${q}`);
  const bad = await api(request, `/api/inconsistent?${q}`);
  // By hand: a3 lost its callback; w2 (timed out) and p1 were paid but not confirmed; a2 was called back twice.
  expect(orders(stuck.payments)).toEqual(['ord-e2e-a3']);
  expect(orders(bad.payments)).toEqual(['ord-e2e-p1', 'ord-e2e-w2']);
  expect(orders(bad.duplicateCallbacks)).toEqual(['ord-e2e-a2']);

  await page.goto(`/stuck?${q}`);
  await expect(kpi(page, 'stuck')).toHaveText(String(stuck.total));
  await expect(kpi(page, 'inconsistent')).toHaveText(String(bad.payments.length));
  await expect(kpi(page, 'duplicates')).toHaveText(String(bad.duplicateCallbacks.length));
  const attr = (t: string) => page.locator(`[data-testid="${t}"] tbody tr`).evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-order')).sort());
  expect(await attr('stuck')).toEqual(orders(stuck.payments));
  expect(await attr('inconsistent')).toEqual(orders(bad.payments));
  expect(await attr('duplicates')).toEqual(orders(bad.duplicateCallbacks));
  await expect(page.locator('[data-testid="inconsistent"] tr[data-order="ord-e2e-p1"]')).toContainText('ORDER_STATE_CONFLICT');
  await screenshot(page, 'stuck');

  // A longer SLA: a3 has waited less than an hour by the end of the range.
  const filters = page.getByRole('form', { name: 'Filters' });
  await filters.getByLabel('Callback SLA').fill('3600');
  await filters.getByRole('button', { name: 'Apply' }).click();
  await expect(page).toHaveURL(/slaSec=3600/);
  expect((await api(request, `/api/stuck?${q}&slaSec=3600`)).total).toBe(0);
  await expect(kpi(page, 'stuck')).toHaveText('0');

  // The duplicate's payment view shows every callback trace.
  await page.goto(`/stuck?${q}`);
  await page.locator('[data-testid="duplicates"] tr[data-order="ord-e2e-a2"]').getByRole('link', { name: 'ord-e2e-a2' }).click();
  await expect(page).toHaveURL(/\/payments\/ord-e2e-a2\?/);
  await expect(page.locator('[data-trace-group]')).toHaveCount(3);
});
