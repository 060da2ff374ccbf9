import { expect, test } from '@playwright/test';
import { readFixture, RETRIES_AT } from './fixture';
import { api, kpi, screenshot } from './helpers';

/** The window of the fixture's retried orders (e2e/fixture.ts, RETRY_ORDERS). */
function retriesRange(): string {
  const from = readFixture().t0 + RETRIES_AT * 1000;
  return `from=${encodeURIComponent(new Date(from).toISOString())}&to=${encodeURIComponent(new Date(from + 60_000).toISOString())}`;
}

test('Retries: failover matrix, chains and a double charge, as the API lists them', async ({ page, request }) => {
  const q = retriesRange();
  // The seed step waits for the payments only: these spans may still be on their way.
  await expect.poll(async () => (await api(request, `/api/double-charges?${q}`)).payments.length, { timeout: 30_000 }).toBe(1);
  await expect.poll(async () => (await api(request, `/api/retries?${q}`)).orders, { timeout: 30_000 }).toBe(3);
  const r = await api(request, `/api/retries?${q}`);
  // By hand (e2e/fixture.ts): r1 and r2 retried, r1 recovered on adyen (80 USD); r3 one attempt.
  expect([r.orders, r.retried, r.recovered, r.currency]).toEqual([3, 2, { count: 1, amount: 80 }, 'USD']);
  expect(r.matrix).toEqual([
    { fromGateway: 'stripe', errorClass: 'timeout', toGateway: 'adyen', attempts: 1, recovered: 1 },
    { fromGateway: 'wechatpay', errorClass: 'provider_error', toGateway: 'alipay', attempts: 1, recovered: 0 },
  ]);
  const dc = await api(request, `/api/double-charges?${q}`);
  expect(dc.payments.map((p: { orderId: string; gateways: string[]; charges: number; amount: string }) => [p.orderId, p.gateways, p.charges, p.amount]))
    .toEqual([['ord-e2e-r1', ['stripe', 'adyen'], 2, '80.00']]);

  await page.goto(`/retries?${q}`);
  await expect(page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Retries' })).toHaveAttribute('aria-current', 'page');
  await expect(kpi(page, 'orders')).toHaveText('3');
  await expect(kpi(page, 'retried')).toHaveText('2');
  await expect(kpi(page, 'recovered')).toHaveText('1');
  await expect(page.locator('[data-kpi="recovered"] .hint')).toContainText('$80.00');
  await expect(kpi(page, 'double-charges')).toHaveText('1');
  const matrix = page.locator('[data-testid="failover-matrix"] tbody tr');
  expect(await matrix.evaluateAll((trs) => trs.map((tr) => `${tr.getAttribute('data-from')} ${tr.getAttribute('data-class')} ${tr.getAttribute('data-to')}`)))
    .toEqual(r.matrix.map((m: { fromGateway: string; errorClass: string; toGateway: string }) => `${m.fromGateway} ${m.errorClass} ${m.toGateway}`));
  const chain = page.locator('[data-testid="chains"] tr[data-order="ord-e2e-r1"]');
  await expect(chain).toContainText('stripe');
  await expect(chain).toContainText('after timeout');
  await expect(chain).toContainText('adyen');
  await expect(page.locator('[data-testid="chains"] tbody tr')).toHaveCount(2);
  await expect(page.locator('[data-testid="double-charges"] tbody tr')).toHaveCount(1);
  await screenshot(page, 'retries');

  // An attempt opens its trace.
  await chain.getByRole('link', { name: 'adyen' }).click();
  await expect(page).toHaveURL(/\/traces\/[0-9a-f]{32}/);

  // The stuck-payments page lists the double charge too.
  await page.goto(`/stuck?${q}`);
  await expect(kpi(page, 'double-charges')).toHaveText('1');
  await expect(page.locator('[data-testid="double-charges"] tr[data-order="ord-e2e-r1"]')).toContainText('80.00 USD');
});
