import { expect, test } from '@playwright/test';
import { readFixture, TRANSACTIONS_AT } from './fixture';
import { api, kpi, rangeQuery, screenshot } from './helpers';

/** The window of the fixture's transactions (e2e/fixture.ts, TRANSACTION_PHASES). */
function txRange(): string {
  const from = readFixture().t0 + TRANSACTIONS_AT * 1000;
  return `from=${encodeURIComponent(new Date(from).toISOString())}&to=${encodeURIComponent(new Date(from + 60_000).toISOString())}`;
}

interface Anomaly { txId: string; branch: string; kind: string; orderId: string; traceIds: string[] }
const rowsOf = (anomalies: Anomaly[]) => anomalies.map((a) => `${a.txId}/${a.branch} ${a.kind}`);

test('Transactions: TCC and Saga anomalies across traces, as the API lists them', async ({ page, request }) => {
  const q = txRange();
  // The seed step waits for the payments only: these spans may still be on their way.
  await expect.poll(async () => (await api(request, `/api/transactions?${q}`)).transactions, { timeout: 30_000 }).toBe(7);
  const body = await api<{ transactions: number; counts: Record<string, number>; anomalies: Anomaly[]; slaSec: number }>(request, `/api/transactions?${q}`);
  // By hand (e2e/fixture.ts): the commit and the clean rollback are no anomaly; with the default
  // SLA (the callback SLA, 300 s) the open try has not waited long enough by the window's end.
  expect(body.counts).toEqual({ empty_rollback: 1, hanging: 1, unfinished: 0, mixed_outcome: 1, failed_compensation: 1 });
  expect(rowsOf(body.anomalies)).toEqual([
    'tx-e2e-empty/points empty_rollback', 'saga-e2e-comp/points failed_compensation', 'tx-e2e-hang/points hanging', 'tx-e2e-mixed/points mixed_outcome',
  ]);
  const mixed = body.anomalies.find((a) => a.kind === 'mixed_outcome')!;
  expect(mixed.orderId).toBe('ord-e2e-c4');
  expect(mixed.traceIds).toHaveLength(3);

  await page.goto(`/transactions?${q}`);
  await expect(page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Transactions' })).toHaveAttribute('aria-current', 'page');
  await expect(kpi(page, 'transactions')).toHaveText('7');
  for (const [kind, n] of Object.entries(body.counts)) await expect(kpi(page, kind)).toHaveText(String(n));
  const rows = page.locator('[data-testid="anomalies"] tbody tr');
  expect(await rows.evaluateAll((trs) => trs.map((tr) => `${tr.getAttribute('data-tx')} ${tr.getAttribute('data-kind')}`)))
    .toEqual(body.anomalies.map((a) => `${a.txId} ${a.kind}`));
  const mixedRow = page.locator('[data-testid="anomalies"] tr[data-tx="tx-e2e-mixed"][data-kind="mixed_outcome"]');
  await expect(mixedRow).toContainText('Mixed outcome');
  await expect(mixedRow.locator('td').nth(4).getByRole('link')).toHaveCount(3);
  await screenshot(page, 'transactions');

  // A shorter SLA: the wallet try left open 40 s before the window's end becomes unfinished.
  const filters = page.getByRole('form', { name: 'Filters' });
  await filters.getByLabel('Branch SLA').fill('30');
  await filters.getByRole('button', { name: 'Apply' }).click();
  await expect(page).toHaveURL(/slaSec=30/);
  expect((await api(request, `/api/transactions?${q}&slaSec=30`)).counts.unfinished).toBe(1);
  await expect(kpi(page, 'unfinished')).toHaveText('1');
  await expect(page.locator('[data-testid="anomalies"] tr[data-tx="tx-e2e-open"][data-kind="unfinished"]')).toContainText('wallet');

  // Each trace link opens the trace; the order link opens the payment.
  await page.goto(`/transactions?${q}`);
  await mixedRow.locator('td').nth(4).getByRole('link').first().click();
  await expect(page).toHaveURL(new RegExp(`/traces/${mixed.traceIds[0]}`));
  await expect(page.getByText('POST /tcc/', { exact: false }).first()).toBeVisible();
  await page.goto(`/transactions?${q}`);
  await mixedRow.getByRole('link', { name: 'ord-e2e-c4' }).click();
  await expect(page).toHaveURL(/\/payments\/ord-e2e-c4\?/);
});

test('Transactions: a range without transaction phases says how to mark them', async ({ page, request }) => {
  const q = rangeQuery();
  expect((await api(request, `/api/transactions?${q}`)).transactions).toBe(0);
  await page.goto(`/transactions?${q}`);
  await expect(kpi(page, 'transactions')).toHaveText('0');
  await expect(page.getByText('No transaction phases in this range')).toBeVisible();
  await expect(page.getByText('markTransactionPhase')).toBeVisible();
});
