import { expect, test } from '@playwright/test';
import { api, formatPct, rangeQuery, screenshot } from './helpers';

interface Delta { key: string; value: string; cohortShare: number; baselineShare: number; cohortCount: number; score: number }

test("What's different: the cohort's attribute values as the API ranks them, each linking to those payments", async ({ page, request }) => {
  const q = rangeQuery();
  const body = await api<{ cohort: { count: number; sampled: number }; baseline: { count: number }; attributes: Delta[] }>(request, `/api/deltas?${q}&cohort=failed`);
  const payments = await api<{ steps: { reached: number }[] }>(request, `/api/funnel?${q}`);
  // Every payment of the range is on one side or the other.
  expect(body.cohort.count + body.baseline.count).toBe(payments.steps[0].reached);
  expect(body.cohort.count).toBeGreaterThan(0);
  expect(body.attributes.length).toBeGreaterThan(0);
  expect(body.attributes.some((a) => a.key === 'payment.order_id' || a.key === 'payment.outcome')).toBe(false);

  await page.goto(`/deltas?${q}`);
  await expect(page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: "What's different" })).toHaveAttribute('aria-current', 'page');
  const rows = page.locator('[data-testid="deltas"] tbody tr');
  expect(await rows.evaluateAll((trs) => trs.map((tr) => `${tr.getAttribute('data-key')}=${tr.getAttribute('data-value')}`)))
    .toEqual(body.attributes.map((a) => `${a.key}=${a.value}`));
  const first = rows.first();
  await expect(first.locator('[data-share="cohort"]')).toHaveText(formatPct(body.attributes[0].cohortShare));
  await expect(first.locator('[data-share="baseline"]')).toHaveText(formatPct(body.attributes[0].baselineShare));
  // Twelve payments are too few for any value to stand out beyond chance: the page says so.
  await expect(page.getByTestId('deltas-weak')).toHaveCount(body.attributes[0].score <= 0 ? 1 : 0);
  await screenshot(page, 'deltas');

  // A value opens the failed payments that carry it: as many as the cohort counted, each failed, each
  // with a span or resource carrying the value (read from the payment's own spans).
  // Values are span data, shown as text (the fixture's customer.note is markup): nothing of it runs.
  expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  expect(body.cohort.sampled).toBe(body.cohort.count);
  const i = body.attributes.findIndex((a) => a.key !== 'payment.amount_band');
  const linked = body.attributes[i];
  await rows.nth(i).getByRole('link').click();
  await expect(page).toHaveURL(/\/payments\?/);
  const url = new URL(page.url());
  expect([url.searchParams.getAll('attr'), url.searchParams.get('cohort')]).toEqual([[`${linked.key}:${linked.value}`], 'failed']);
  await expect(page.getByTestId('payments-filter').locator('[data-attr]')).toHaveAttribute('data-attr', `${linked.key}:${linked.value}`);
  const listed = page.locator('[data-testid="payments"] tbody tr');
  await expect(listed).toHaveCount(linked.cohortCount);
  const shown = await listed.evaluateAll((trs) => trs.map((tr) => ({ order: tr.getAttribute('data-order')!, outcome: tr.querySelector('.badge')?.textContent })));
  expect(shown.map((p) => p.outcome)).toEqual(shown.map(() => 'failed'));
  for (const { order } of shown) {
    const spans = (await api<{ spans: { attributes: Record<string, string>; resource: Record<string, string> }[] }>(request, `/api/payments/${encodeURIComponent(order)}`)).spans;
    expect(spans.some((sp) => sp.attributes[linked.key] === linked.value || sp.resource[linked.key] === linked.value), order).toBe(true);
  }
  // Clearing the value shows every failed payment of the range.
  await page.getByTestId('payments-filter').locator('[data-attr]').click();
  await expect(page.getByTestId('payments-filter').locator('[data-attr]')).toHaveCount(0);
  await expect(listed).toHaveCount(body.cohort.count);

  // The cohort switch: slow payments, compared with the faster ones.
  await page.goto(`/deltas?${q}`);
  await page.getByRole('form', { name: 'Filters' }).getByLabel('Compare').selectOption('slow');
  await expect(page).toHaveURL(/cohort=slow/);
  const slow = await api<{ cohort: { count: number } }>(request, `/api/deltas?${q}&cohort=slow`);
  await expect(page.locator('[data-kpi="cohort"] .value')).toHaveText(String(slow.cohort.count));
});

test("What's different is reachable from the funnel's drop-offs, the gateways page and trace search", async ({ page }) => {
  const q = rangeQuery();
  for (const [path, cohort] of [['/funnel/drop-offs?step=3', 'failed'], ['/gateways', 'failed'], ['/traces?status=error', 'failed'], ['/traces', 'slow']] as const) {
    await page.goto(`${path}${path.includes('?') ? '&' : '?'}${q}`);
    await page.getByTestId('deltas-link').click();
    await expect(page).toHaveURL(new RegExp(`/deltas\\?.*cohort=${cohort}`));
    await expect(page.locator('[data-kpi="cohort"]')).toBeVisible();
  }
});
