import { expect, test, type Page } from '@playwright/test';
import { api, rangeQuery } from './helpers';

interface ApiSpan { traceId: string; spanId: string; name: string; attributes: Record<string, string> }

/** The waterfall's rows are hydrated: React has attached itself to them. */
async function hydrated(page: Page) {
  await page.waitForFunction(() => {
    const row = document.querySelector('[data-testid="waterfall"] [data-span-id]');
    return row !== null && Object.keys(row).some((k) => k.startsWith('__reactFiber$'));
  });
  await page.waitForLoadState('networkidle');
}

test('Trace view: span attributes are fetched when first wanted, not with every view', async ({ page, request }) => {
  const payment = await api<{ spans: ApiSpan[] }>(request, '/api/payments/ord-e2e-c1');
  const root = payment.spans.find((s) => s.name === 'POST /api/checkout')!;
  const [key, value] = Object.entries(root.attributes)[0];
  const detailRequests: string[] = [];
  page.on('request', (r) => {
    if (new URL(r.url()).pathname.startsWith('/api/traces/')) detailRequests.push(r.url());
  });

  // Viewing the tree asks for nothing more.
  await page.goto(`/traces/${root.traceId}?${rangeQuery()}`);
  await expect(page.locator('[data-testid="waterfall"] [data-span-id]')).toHaveCount(9);
  await hydrated(page);
  expect(detailRequests).toEqual([]);
  await expect(page.getByTestId('details-loading')).toHaveCount(0);

  // Selecting a span fetches the trace's details once.
  await page.locator(`[data-span-id="${root.spanId}"]`).click();
  await expect(page.getByTestId('span-details').getByTestId('span-attributes')).toContainText(key);
  await expect(page.getByTestId('span-details').getByTestId('span-attributes')).toContainText(value);
  expect(detailRequests).toHaveLength(1);

  // A link to a span: fetched at once. (The pointer leaves the spans first: over them it asks too.)
  await page.mouse.move(0, 0);
  detailRequests.length = 0;
  await page.goto(`/traces/${root.traceId}?${rangeQuery()}&span=${root.spanId}`);
  await expect(page.getByTestId('span-details').getByTestId('span-attributes')).toContainText(value);
  expect(detailRequests).toHaveLength(1);

  // So does the search box: attribute values match once they are in.
  await page.mouse.move(0, 0);
  detailRequests.length = 0;
  await page.goto(`/traces/${root.traceId}?${rangeQuery()}`);
  await hydrated(page);
  expect(detailRequests).toEqual([]);
  await page.getByLabel('Search spans').fill(`${key}=${value}`);
  await expect(page.getByTestId('match-count')).toHaveText(/^[1-9]\d* of 9 spans match/);
  expect(detailRequests).toHaveLength(1);
});
