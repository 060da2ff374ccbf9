import { expect, test } from '@playwright/test';
import { api, formatCount, formatMs, formatPct, rangeQuery, screenshot, urlParams } from './helpers';

test('Gateways: every row matches the API; a failing number opens its traces', async ({ page, request }) => {
  const q = rangeQuery();
  const { gateways } = await api(request, `/api/gateways?${q}`);
  await page.goto(`/gateways?${q}`);
  const rows = page.locator('[data-testid="gateways"] tbody tr');
  await expect(rows).toHaveCount(gateways.length);
  expect(gateways.map((g: { gateway: string }) => g.gateway).sort()).toEqual(['alipay', 'paypal', 'stripe', 'wechatpay']);
  for (const [i, g] of gateways.entries()) {
    const cells = rows.nth(i).locator('td');
    await expect(rows.nth(i)).toHaveAttribute('data-gateway', g.gateway);
    await expect(cells.nth(1)).toContainText(g.health);
    await expect(cells.nth(2)).toHaveText(formatCount(g.requests));
    await expect(cells.nth(3)).toHaveText(formatPct(g.errorRate));
    await expect(cells.nth(4)).toHaveText(formatPct(g.providerErrorRate));
    await expect(cells.nth(5)).toHaveText(formatPct(g.declineRate));
    await expect(cells.nth(6)).toHaveText(formatPct(g.timeoutRate));
    await expect(cells.nth(8)).toHaveText(formatMs(g.p95Ms));
  }
  // By hand: stripe declined one of its four requests; wechatpay one error and one timeout of three.
  const stripe = page.locator('tr[data-gateway="stripe"]');
  await expect(stripe.locator('td').nth(2)).toHaveText('4');
  await expect(stripe.locator('td').nth(3)).toHaveText('25.0%');
  await expect(page.locator('tr[data-gateway="wechatpay"] td').nth(6)).toHaveText(formatPct(1 / 3));
  await expect(page.locator('tr[data-gateway="wechatpay"] td').nth(11)).toContainText('SYSTEM_ERROR');
  await screenshot(page, 'gateways');

  // Split per channel adds the channel column.
  await page.getByRole('combobox', { name: 'Rows' }).selectOption('channel');
  await expect(page).toHaveURL(/split=channel/);
  await expect(page.locator('[data-testid="gateways"] thead')).toContainText('channel');

  // The error rate links to the failing traces, in the same range.
  await page.goto(`/gateways?${q}`);
  await page.locator('tr[data-gateway="stripe"] td').nth(3).getByRole('link').click();
  await expect(page).toHaveURL(/\/traces\?/);
  expect(urlParams(page).get('gateway')).toBe('stripe');
  expect(urlParams(page).get('status')).toBe('error');
  expect(urlParams(page).get('from')).toBe(new URLSearchParams(q).get('from'));
  const { traces } = await api(request, `/api/traces?${q}&gateway=stripe&status=error`);
  await expect(page.locator('[data-testid="traces"] tbody tr')).toHaveCount(traces.length);
  await expect(page.locator('[data-testid="traces"] tbody tr').first()).toHaveAttribute('data-trace-id', traces[0].traceId);
});

test('Hops: ranked table and service map match the API; filters narrow them', async ({ page, request }) => {
  const q = rangeQuery();
  const { hops } = await api(request, `/api/hops?${q}`);
  await page.goto(`/hops?${q}`);
  const rows = page.locator('[data-testid="hops"] tbody tr');
  await expect(rows).toHaveCount(hops.length);
  for (const [i, h] of hops.entries()) {
    await expect(rows.nth(i)).toHaveAttribute('data-hop', `${h.from}>${h.to}`);
    const cells = rows.nth(i).locator('td');
    await expect(cells.nth(2)).toHaveText(formatCount(h.calls));
    await expect(cells.nth(4)).toHaveText(formatMs(h.p95Ms));
    await expect(cells.nth(6)).toHaveText(formatPct(h.errorRate));
    await expect(cells.nth(8)).toHaveText(formatPct(h.criticalPathShare));
  }
  // The adapters' calls to their gateways are hops of kind gateway.
  expect(hops.filter((h: { toKind: string }) => h.toKind === 'gateway').map((h: { from: string; to: string }) => `${h.from}>${h.to}`).sort())
    .toEqual(['adapter-alipay>alipay', 'adapter-card>stripe', 'adapter-paypal>paypal', 'adapter-wechatpay>wechatpay']);
  // Every service and gateway is a node of the map, every hop an edge.
  const map = page.getByTestId('service-map');
  const nodes = new Set(hops.flatMap((h: { from: string; to: string }) => [h.from, h.to]));
  await expect(map.locator('a:has(rect)')).toHaveCount(nodes.size);
  await expect(map.locator('a path')).toHaveCount(hops.filter((h: { from: string; to: string }) => h.from !== h.to).length);
  await screenshot(page, 'hops');

  await page.getByRole('combobox', { name: 'Gateway' }).selectOption('stripe');
  await expect(page).toHaveURL(/gateway=stripe/);
  const only = await api(request, `/api/hops?${q}&gateway=stripe`);
  await expect(rows).toHaveCount(only.hops.length);
  expect(only.hops.length).toBeLessThan(hops.length);
});
