import { expect, test } from '@playwright/test';
import { quantiles } from '../lib/analytics/percentiles';
import { expectedE2eMs, expectedOutcome, PAYMENTS } from './fixture';
import { api, formatCount, formatMs, formatPct, kpi, rangeQuery, screenshot, urlParams } from './helpers';

const succeeded = PAYMENTS.map(expectedE2eMs).filter((v): v is number => v !== null);
const count = (outcome: string, channel?: string) => PAYMENTS.filter((p) => expectedOutcome(p) === outcome && (!channel || p.channel === channel)).length;

test('Overview: payments, success rate and end-to-end latency of the data set, by channel', async ({ page, request }) => {
  const q = rangeQuery();
  await page.goto(`/?${q}`);
  await expect(kpi(page, 'payments')).toHaveText(formatCount(PAYMENTS.length));
  await expect(kpi(page, 'success-rate')).toHaveText(formatPct(count('succeeded') / PAYMENTS.length));
  await expect(kpi(page, 'failed')).toHaveText(String(count('failed')));
  await expect(kpi(page, 'pending')).toHaveText(String(count('pending')));
  const [p50, p95, p99] = quantiles(succeeded);
  await expect(kpi(page, 'p50')).toHaveText(formatMs(p50));
  await expect(kpi(page, 'p95')).toHaveText(formatMs(p95));
  await expect(kpi(page, 'p99')).toHaveText(formatMs(p99));

  // The same payments enter the checkout funnel of the JSON API.
  const funnel = await api(request, `/api/funnel?${q}`);
  expect(funnel.steps[0].reached).toBe(PAYMENTS.length);

  for (const channel of ['card', 'alipay', 'wechatpay', 'paypal'] as const) {
    const n = PAYMENTS.filter((p) => p.channel === channel).length;
    const cells = page.locator(`[data-testid="channels"] tr[data-channel="${channel}"] td`);
    await expect(cells.nth(1)).toHaveText(String(n));
    await expect(cells.nth(2)).toHaveText(formatPct(count('succeeded', channel) / n));
    await expect(cells.nth(3)).toHaveText(String(count('failed', channel)));
    await expect(cells.nth(4)).toHaveText(String(count('pending', channel)));
  }
  // Charts render (their numbers are in the tables above).
  await expect(page.getByRole('figure', { name: 'Payments started' }).locator('.recharts-line').first()).toBeVisible();
  await screenshot(page, 'overview');

  // A filter narrows every number, and keeps the range.
  await page.getByRole('combobox', { name: 'Channel' }).selectOption('card');
  await expect(page).toHaveURL(/channel=card/);
  expect(urlParams(page).get('from')).not.toBeNull();
  await expect(kpi(page, 'payments')).toHaveText('4');

  // Every number links to what is behind it: the failed card payment, then its traces.
  await kpi(page, 'failed').getByRole('link').click();
  await expect(page).toHaveURL(/\/payments\?.*outcome=failed/);
  expect(urlParams(page).get('channel')).toBe('card');
  expect(urlParams(page).get('from')).not.toBeNull();
  const rows = page.locator('[data-testid="payments"] tbody tr');
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toHaveAttribute('data-order', 'ord-e2e-c3');
  await expect(rows.first()).toContainText('card_declined');
  await screenshot(page, 'payments');
});

test('Overview: the slow tail behind a percentile', async ({ page }) => {
  const q = rangeQuery();
  await page.goto(`/?${q}`);
  await kpi(page, 'p95').getByRole('link').click();
  await expect(page).toHaveURL(/\/payments\?.*minE2eMs=.*sort=slowest/);
  const [, p95] = quantiles(succeeded);
  const slow = PAYMENTS.filter((p) => (expectedE2eMs(p) ?? -1) >= p95!).map((p) => p.order);
  await expect(page.locator('[data-testid="payments"] tbody tr')).toHaveCount(slow.length);
  await expect(page.locator('[data-testid="payments"] tbody tr').first()).toHaveAttribute('data-order', slow[0]);
});

test('the time range travels with navigation; presets replace it', async ({ page }) => {
  const q = rangeQuery();
  await page.goto(`/gateways?${q}&channel=card`);
  await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Traces' }).click();
  await expect(page).toHaveURL(/\/traces\?/);
  expect(urlParams(page).get('from')).toBe(new URLSearchParams(q).get('from'));
  expect(urlParams(page).get('channel')).toBe('card');
  await page.getByRole('combobox', { name: 'Time range' }).selectOption('6h');
  await expect(page).toHaveURL(/range=6h/);
  expect(urlParams(page).get('from')).toBeNull();
});

test('keyboard: the navigation and filters are reachable with Tab', async ({ page }) => {
  await page.goto(`/?${rangeQuery()}`, { waitUntil: 'networkidle' }); // hydrated
  const seen: string[] = [];
  for (let i = 0; i < 12; i++) {
    await page.keyboard.press('Tab');
    seen.push(await page.evaluate(() => (document.activeElement as HTMLElement | null)?.innerText?.trim() || document.activeElement?.getAttribute('aria-label') || document.activeElement?.tagName || ''));
  }
  expect(seen).toEqual(expect.arrayContaining(['Funnel', 'Hops', 'Gateways', 'Traces']));
});
