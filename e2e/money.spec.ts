import { expect, test } from '@playwright/test';
import { formatMoney } from '../lib/ui/format';
import { api, formatPct, kpi, rangeQuery, screenshot } from './helpers';

// By hand from e2e/fixture.ts (42.00 a payment; USD on card, CNY elsewhere at 0.138 → $5.80):
// failed c3 (card_declined, stripe), w1 (SYSTEM_ERROR, wechatpay), p2 (INSTRUMENT_DECLINED, paypal);
// stuck a3 (alipay, no callback); paid but not completed w2 and p1.

test('Overview: money at stake matches /api/impact and the hand-worked figures', async ({ page, request }) => {
  const q = rangeQuery();
  const impact = await api(request, `/api/impact?${q}`);
  expect([impact.failed.count, impact.stuck.count, impact.inconsistent.count, impact.doubleCharged.count]).toEqual([3, 1, 2, 0]);
  expect(impact.failed.amount).toBe(53.6);
  expect(impact.failed.byClass.decline).toEqual({ count: 2, amount: 47.8 });
  expect(impact.failed.byClass.provider_error).toEqual({ count: 1, amount: 5.8 });
  await page.goto(`/?${q}`);
  await expect(kpi(page, 'money-failed')).toHaveText(formatMoney(impact.failed.amount, impact.currency));
  await expect(kpi(page, 'money-stuck')).toHaveText(formatMoney(impact.stuck.amount, impact.currency));
  await expect(kpi(page, 'money-inconsistent')).toHaveText(formatMoney(impact.inconsistent.amount, impact.currency));
  await expect(kpi(page, 'money-double')).toHaveText(formatMoney(0, impact.currency));
  await expect(page.getByTestId('top-stake')).toHaveText('$42.00 failed on stripe');
  await expect(page.getByTestId('money-note')).toContainText(`at rates as of ${impact.ratesAsOf}`);
  await screenshot(page, 'overview-money');

  // The stuck figure opens the stuck payments.
  await kpi(page, 'money-stuck').getByRole('link').click();
  await expect(page).toHaveURL(/\/stuck\?/);
});

test('Gateways: provider errors, declines, classes and money per gateway match the API', async ({ page, request }) => {
  const q = rangeQuery();
  const [{ gateways }, impact] = await Promise.all([api(request, `/api/gateways?${q}`), api(request, `/api/impact?${q}`)]);
  await page.goto(`/gateways?${q}`);
  for (const g of gateways) {
    const row = page.locator(`tr[data-gateway="${g.gateway}"]`);
    await expect(row.locator('[data-col="provider-errors"]')).toHaveText(formatPct(g.providerErrorRate));
    await expect(row.locator('[data-col="declines"]')).toHaveText(formatPct(g.declineRate));
    const stake = impact.byGateway.find((s: { gateway: string }) => s.gateway === g.gateway);
    await expect(row.locator('[data-col="money"]')).toHaveText(
      `${formatMoney(stake?.failed.amount ?? 0, impact.currency)} · ${formatMoney(stake?.stuck.amount ?? 0, impact.currency)}`,
    );
  }
  // stripe's decline is the payer's: 25% declines, no provider errors; wechatpay's SYSTEM_ERROR and timeout are the provider's.
  const by = Object.fromEntries(gateways.map((g: { gateway: string }) => [g.gateway, g]));
  expect([by.stripe.declineRate, by.stripe.providerErrorRate]).toEqual([0.25, 0]);
  expect(by.stripe.errorClasses.decline).toBe(1);
  expect(by.wechatpay.errorClasses).toMatchObject({ provider_error: 1, timeout: 1 });
  await expect(page.locator('tr[data-gateway="stripe"] [data-col="classes"]')).toHaveText('decline 1');
  await expect(page.locator('tr[data-gateway="alipay"] [data-col="money"]')).toHaveText(`${formatMoney(0, 'USD')} · ${formatMoney(5.8, 'USD')}`);
  await expect(kpi(page, 'money-stuck')).toHaveText(formatMoney(impact.stuck.amount, impact.currency));
  await expect(page.getByTestId('top-stake')).toContainText('$42.00 failed on stripe');
  await screenshot(page, 'gateways-money');
});
