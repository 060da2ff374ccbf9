import { expect, test, type Page } from '@playwright/test';
import { BIG_TRACE, BIG_TRACE_SPANS, HOSTILE_NOTE } from './fixture';
import { api, rangeQuery, screenshot } from './helpers';

interface ApiSpan { traceId: string; spanId: string; parentSpanId: string; service: string; name: string; durationMs: number; attributes: Record<string, string> }

/** The trace ids of one payment, checkout trace first. */
async function tracesOf(request: Parameters<typeof api>[0], order: string) {
  const p = await api<{ traceIds: string[]; spans: ApiSpan[] }>(request, `/api/payments/${order}`);
  const checkout = p.spans.find((s) => s.name === 'POST /api/checkout')!.traceId;
  return { checkout, callbacks: p.traceIds.filter((t) => t !== checkout) };
}

const rowLabels = (page: Page) => page.locator('[data-testid="waterfall"] [data-span-id]').evaluateAll((rows) =>
  rows.map((r) => `${r.getAttribute('data-depth')} ${r.querySelector('.svc')?.textContent} ${r.querySelector('.op')?.textContent}`));

test('Trace view: the span tree, the critical path, span details, search and collapse', async ({ page, request }) => {
  const { checkout } = await tracesOf(request, 'ord-e2e-c1');
  const trace = await api<{ spans: ApiSpan[]; criticalPath: string[] }>(request, `/api/traces/${checkout}`);
  await page.goto(`/traces/${checkout}?${rangeQuery()}`);

  // The tree, drawn by hand from e2e/fixture.ts (children by start time).
  await expect(page.locator('[data-testid="waterfall"] [data-span-id]')).toHaveCount(9);
  expect(await rowLabels(page)).toEqual([
    '0 checkout POST /api/checkout',
    '1 checkout POST',
    '2 order POST /orders',
    '1 checkout POST',
    '2 payment POST /payments',
    '3 payment POST',
    '4 adapter-card POST /pay',
    '5 adapter-card POST',
    '6 stripe POST /v1/pay',
  ]);
  // The critical path marked is the API's, and the gateway's own span is on it.
  const marked = await page.locator('[data-testid="waterfall"] [data-critical="true"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-span-id')).sort());
  expect(marked).toEqual([...trace.criticalPath].sort());
  const stripeSpan = trace.spans.find((s) => s.service === 'stripe')!;
  expect(marked).toContain(stripeSpan.spanId);
  await expect(page.locator(`[data-span-id="${stripeSpan.spanId}"] .wf-crit`).first()).toBeVisible();
  await expect(page.locator('[data-kpi="critical-path"] .value')).toHaveText(`${trace.criticalPath.length} spans`);

  // Details: attributes of the gateway request span.
  const request_ = trace.spans.find((s) => s.attributes['payment.stage'] === 'gateway.request')!;
  await page.locator(`[data-span-id="${request_.spanId}"]`).click();
  const details = page.getByTestId('span-details');
  await expect(details.getByRole('heading', { level: 2 })).toHaveText('adapter-card · POST');
  await expect(details.getByTestId('span-attributes')).toContainText('api.stripe.com');
  await expect(details.getByTestId('span-duration')).toHaveText('304 ms');
  await expect(page).toHaveURL(new RegExp(`span=${request_.spanId}`));
  await screenshot(page, 'trace-view');

  // A hostile attribute value is shown as text and never executed.
  const adapterServer = trace.spans.find((s) => s.service === 'adapter-card' && s.name === 'POST /pay')!;
  expect(adapterServer.attributes['customer.note']).toBe(HOSTILE_NOTE);
  await page.locator(`[data-span-id="${adapterServer.spanId}"]`).click();
  await expect(details.getByTestId('span-attributes')).toContainText(HOSTILE_NOTE);
  expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  await expect(details.locator('img, script')).toHaveCount(0);
  await page.locator(`[data-span-id="${request_.spanId}"]`).click();

  // Keyboard: ↓ moves the selection to the next span.
  await page.locator(`[data-span-id="${request_.spanId}"]`).focus();
  await page.keyboard.press('ArrowDown');
  await expect(page.locator(`[data-span-id="${stripeSpan.spanId}"]`)).toHaveAttribute('aria-selected', 'true');
  await expect(details.getByRole('heading', { level: 2 })).toHaveText('stripe · POST /v1/pay');

  // Search within the trace: names, services and attributes (payment's call has server.address=adapter-card).
  await page.getByLabel('Search spans').fill('adapter-card');
  await expect(page.getByTestId('match-count')).toHaveText('3 of 9 spans match');
  await expect(page.locator('[data-testid="waterfall"] .wf-row.match')).toHaveCount(3);
  // Every term must match: the adapter's server span (name) and its client span (url.full …/v1/pay).
  await page.getByLabel('Search spans').fill('adapter-card /pay');
  await expect(page.getByTestId('match-count')).toHaveText('2 of 9 spans match');

  // Collapse the root, expand again.
  await page.locator('[data-testid="waterfall"] [data-depth="0"] .wf-toggle').click();
  await expect(page.locator('[data-testid="waterfall"] [data-span-id]')).toHaveCount(1);
  await page.getByRole('button', { name: 'Expand all' }).click();
  await expect(page.locator('[data-testid="waterfall"] [data-span-id]')).toHaveCount(9);
});

test('Trace view: exceptions of a failing confirm, and the way to its payment', async ({ page, request }) => {
  const { callbacks } = await tracesOf(request, 'ord-e2e-p1');
  const trace = await api<{ spans: ApiSpan[] }>(request, `/api/traces/${callbacks[0]}`);
  const confirm = trace.spans.find((s) => s.attributes['payment.stage'] === 'order.confirm')!;
  await page.goto(`/traces/${callbacks[0]}?${rangeQuery()}&span=${confirm.spanId}`);
  const details = page.getByTestId('span-details');
  await expect(details.getByTestId('exception')).toContainText('OrderStateError');
  await expect(details.getByTestId('exception')).toContainText('at confirm (order/confirm.ts:42:11)');
  await expect(page.locator(`[data-span-id="${confirm.spanId}"]`)).toHaveAttribute('data-error', 'true');
  await page.getByTestId('payment-link').first().click();
  await expect(page).toHaveURL(/\/payments\/ord-e2e-p1\?/);
});

test(`Trace view: a ${BIG_TRACE_SPANS}-span trace renders only the rows in view and scrolls`, async ({ page, request }) => {
  const { traces } = await api<{ traces: { traceId: string }[] }>(request, `/api/traces?${rangeQuery()}&service=settlement`);
  const started = Date.now();
  await page.goto(`/traces/${traces[0].traceId}?${rangeQuery()}`);
  const wf = page.getByTestId('waterfall');
  await expect(wf).toHaveAttribute('data-rows', String(BIG_TRACE_SPANS));
  const renderMs = Date.now() - started;
  const rendered = await wf.locator('[data-span-id]').count();
  expect(rendered).toBeGreaterThan(10);
  expect(rendered).toBeLessThan(100);
  await screenshot(page, 'trace-view-big');

  // Scroll to the end: the last span is there, still only a window of rows in the DOM.
  await wf.evaluate((el) => { el.scrollTop = el.scrollHeight; });
  const last = `write ledger ${BIG_TRACE.chunks - 1}.${BIG_TRACE.perChunk - 1}`;
  await expect(wf.locator('.op', { hasText: last })).toBeVisible();
  expect(await wf.locator('[data-span-id]').count()).toBeLessThan(100);

  // Search jumps to a deep, failing span.
  const { chunk, step } = BIG_TRACE.failing;
  await page.getByLabel('Search spans').fill(`ledger ${chunk}.${step}`);
  await page.getByLabel('Search spans').press('Enter');
  const hit = wf.locator('[aria-selected="true"]');
  await expect(hit.locator('.op')).toHaveText(`write ledger ${chunk}.${step}`);
  await expect(hit).toHaveAttribute('data-error', 'true');
  await expect(hit).toBeInViewport();
  console.log(`${BIG_TRACE_SPANS}-span trace: navigation to rendered waterfall ${renderMs} ms`);
});

test('Payment view: every trace of a payment, callbacks included, on one timeline', async ({ page, request }) => {
  const payment = await api<{ traceIds: string[]; stages: { stage: string }[] }>(request, '/api/payments/ord-e2e-a2');
  await page.goto(`/payments/ord-e2e-a2?${rangeQuery()}`);
  await expect(page.locator('[data-trace-group]')).toHaveCount(payment.traceIds.length);
  expect(payment.traceIds).toHaveLength(3); // checkout, callback, duplicate callback
  const stages = await page.locator('[data-testid="stages"] tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-stage')));
  expect(stages).toEqual(payment.stages.map((s) => s.stage));
  expect(stages.filter((s) => s === 'gateway.callback')).toHaveLength(2);
  await expect(page.locator('[data-trace-group]').nth(1)).toContainText('(callback)');
  await screenshot(page, 'payment');
  await page.locator('[data-trace-group]').nth(1).getByRole('link').click();
  await expect(page).toHaveURL(new RegExp(`/traces/${payment.traceIds[1]}`));
});
