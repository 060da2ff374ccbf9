import { expect, test, type Page } from '@playwright/test';
import { PAYMENTS } from './fixture';
import { api, formatCount, formatMs, formatPct, kpi, rangeQuery, screenshot, urlParams } from './helpers';

interface Step { name: string; reached: number; conversion: number; dropOff: number; p50Ms: number | null; p95Ms: number | null; p99Ms: number | null }

async function expectStepsTable(page: Page, steps: Step[]) {
  const rows = page.locator('[data-testid="funnel-steps"] tbody tr');
  await expect(rows).toHaveCount(steps.length);
  for (const [i, s] of steps.entries()) {
    const cells = rows.nth(i).locator('td');
    await expect(cells.nth(0)).toHaveText(`${i + 1}. ${s.name}`);
    await expect(cells.nth(1)).toHaveText(formatCount(s.reached));
    await expect(cells.nth(2)).toHaveText(formatPct(s.conversion));
    await expect(cells.nth(3)).toHaveText(i === 0 ? '—' : formatPct(s.dropOff));
    await expect(cells.nth(4)).toHaveText(formatMs(s.p50Ms));
    await expect(cells.nth(5)).toHaveText(formatMs(s.p95Ms));
    await expect(cells.nth(6)).toHaveText(formatMs(s.p99Ms));
  }
}

test('Funnel: steps match the API; split, compare and drop-offs', async ({ page, request }) => {
  const q = rangeQuery();
  const data = await api(request, `/api/funnel?${q}`);
  await page.goto(`/funnel?${q}`);
  await expect(page.getByRole('heading', { name: 'Funnel: Checkout' })).toBeVisible();
  await expectStepsTable(page, data.steps);
  await expect(kpi(page, 'entered')).toHaveText(String(PAYMENTS.length));
  await expect(page.locator('[data-testid="stage-latency"] tbody tr').first()).toHaveAttribute('data-stage', 'order.create');
  await screenshot(page, 'funnel');

  // Split by channel: one row per channel, as the API splits.
  await page.getByRole('combobox', { name: 'Split by' }).selectOption('channel');
  await expect(page).toHaveURL(/split=channel/);
  const split = await api(request, `/api/funnel?${q}&split=channel`);
  const splitRows = page.locator('[data-testid="funnel-splits"] tbody tr');
  await expect(splitRows).toHaveCount(split.splits.length);
  for (const [i, sv] of split.splits.entries()) {
    await expect(splitRows.nth(i)).toHaveAttribute('data-split', sv.value);
    await expect(splitRows.nth(i).locator('td').nth(1)).toContainText(formatCount(sv.steps[0].reached));
  }

  // Compare with the previous period (empty there): the "before" column is the API's compare.
  await page.getByRole('combobox', { name: 'Compare with' }).selectOption('previous');
  await expect(page).toHaveURL(/compare=previous/);
  expect(urlParams(page).get('split')).toBe('channel');
  const compared = await api(request, `/api/funnel?${q}&compare=previous`);
  await expect(page.locator('[data-testid="funnel-steps"] tbody tr').first().locator('td').nth(7)).toHaveText(formatCount(compared.compare.steps[0].reached));

  // A drop-off opens the flows that left: reached the request, no callback.
  await page.goto(`/funnel?${q}`);
  await page.locator('[data-testid="funnel-steps"] tr[data-step="gateway.callback"] td').nth(3).getByRole('link').click();
  await expect(page).toHaveURL(/\/funnel\/drop-offs\?.*step=3/);
  const left = data.steps[2].reached - data.steps[3].reached;
  const flows = page.locator('[data-testid="drop-offs"] tbody tr');
  await expect(flows).toHaveCount(left);
  const ids = await flows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-flow')).sort());
  expect(ids).toEqual(['ord-e2e-a3', 'ord-e2e-c3', 'ord-e2e-w1']);
  await screenshot(page, 'funnel-drop-offs');
  await flows.filter({ hasText: 'ord-e2e-a3' }).getByRole('link', { name: 'ord-e2e-a3' }).click();
  await expect(page).toHaveURL(/\/payments\/ord-e2e-a3/);
});

test('Funnel editor: create, use, rename and delete a funnel', async ({ page, request }) => {
  const q = rangeQuery();
  await page.goto(`/funnel?${q}`);
  await page.getByRole('link', { name: 'New funnel' }).click();
  const editor = page.getByTestId('funnel-editor');
  await expect(editor).toBeVisible();
  await editor.getByLabel('Funnel name').fill('Callbacks e2e');
  const step = (n: number) => editor.getByRole('group', { name: `Step ${n}` });
  await step(1).getByLabel('Stage').fill('order.create');
  await step(2).getByLabel('Stage').fill('gateway.request');
  await editor.getByRole('button', { name: 'Add step' }).click();
  // A step matched by service and attributes, not by stage.
  await step(3).getByLabel('Step name').fill('callback ok');
  await step(3).getByLabel('Step 3 service').fill('payment');
  await step(3).getByLabel('Attributes').fill('payment.stage=gateway.callback, payment.outcome=succeeded');
  await screenshot(page, 'funnel-editor');
  await editor.getByRole('button', { name: 'Save funnel' }).click();

  await expect(page.getByRole('heading', { name: 'Funnel: Callbacks e2e' })).toBeVisible();
  const id = urlParams(page).get('funnel')!;
  expect(id).toMatch(/^f_/);
  expect(urlParams(page).get('from')).not.toBeNull();
  const data = await api(request, `/api/funnel?${q}&funnelId=${id}`);
  expect(data.steps.map((s: Step) => s.name)).toEqual(['order.create', 'gateway.request', 'callback ok']);
  await expectStepsTable(page, data.steps);
  // callbacks that reported success: c1 c2 c4 a1 a2 w2 w3 p1
  expect(data.steps[2].reached).toBe(8);

  await page.getByRole('link', { name: 'Edit' }).click();
  await page.getByTestId('funnel-editor').getByLabel('Funnel name').fill('Callbacks e2e (renamed)');
  await page.getByTestId('funnel-editor').getByRole('button', { name: 'Save funnel' }).click();
  await expect(page.getByRole('heading', { name: 'Funnel: Callbacks e2e (renamed)' })).toBeVisible();
  expect(urlParams(page).get('funnel')).toBe(id);

  // Invalid input is refused with the API's message, nothing saved.
  await page.getByRole('link', { name: 'New funnel' }).click();
  await page.getByTestId('funnel-editor').getByLabel('Funnel name').fill('no steps');
  await page.getByTestId('funnel-editor').getByRole('button', { name: 'Save funnel' }).click();
  await expect(page.getByTestId('funnel-editor').getByRole('alert')).toContainText('a step needs a stage');

  await page.goto(`/funnel?${q}&funnel=${id}`);
  await page.getByRole('button', { name: 'Delete funnel Callbacks e2e (renamed)' }).click();
  await expect(page.getByRole('heading', { name: 'Funnel: Checkout' })).toBeVisible();
  const funnels = await api(request, '/api/funnels');
  expect(funnels.funnels.map((f: { id: string }) => f.id)).toEqual(['checkout']);
});
