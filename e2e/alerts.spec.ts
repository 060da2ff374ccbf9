import { expect, test } from '@playwright/test';
import { api, rangeQuery, screenshot } from './helpers';

/**
 * The Alerts page against the seeded data set, with evaluation every 2 s (playwright.config.ts):
 * a rule added in the page fires on the data set's lost callback (the stuck-payments kind with a
 * zero threshold), shows as firing on the page, in the page header and above the overview charts,
 * can be silenced, and resolves once the rule is disabled; the rule is then changed and deleted.
 */

test('Alerts: add a rule in the page, see it fire (page, header, overview), silence it, disable, change and delete it', async ({ page, request }) => {
  await page.goto('/alerts');
  await expect(page.getByRole('heading', { name: 'Alerts', level: 1 })).toBeVisible();
  // The default rules are there from the first start.
  const rules = await api(request, '/api/alert-rules');
  const ruleRows = page.locator('[data-testid="alert-rules"] tbody tr');
  await expect(ruleRows).toHaveCount(rules.rules.length);
  await expect(page.locator('[data-testid="alert-rules"] tr[data-rule="gateway-health"]')).toContainText('PaymentGatewayUnhealthy');
  await expect(page.locator('[data-testid="alert-rules"] tr[data-rule="acceptance-rate-drop"]')).toContainText('disabled');

  // A bad rule is refused, saying why.
  const add = page.getByTestId('rule-add');
  await add.getByLabel('Name (alertname)').fill('has space');
  await add.getByLabel('Fire at ≥').fill('1');
  await add.getByRole('button', { name: 'Add rule' }).click();
  await expect(page.locator('p.error')).toContainText('name:');

  // The lost callback of the data set (ord-e2e-a3) is stuck past its SLA: a zero-threshold rule fires on it.
  const form = page.getByTestId('rule-add');
  await form.getByLabel('Name (alertname)').fill('E2eAnyStuckPayment');
  await form.getByLabel('Measures').selectOption('stuck_payments');
  await form.getByLabel('Severity').selectOption('critical');
  await form.getByLabel('Fire at ≥').fill('0.001');
  await form.getByLabel('Resolve below').fill('0.001');
  await form.getByLabel('Window (s)').fill('86400');
  await form.getByLabel('For (s)').fill('0');
  await form.getByLabel('Min. events').fill('1');
  await form.getByRole('button', { name: 'Add rule' }).click();
  const row = page.locator('[data-testid="alert-rules"] tr', { hasText: 'E2eAnyStuckPayment' });
  await expect(row).toContainText('enabled');
  const ruleId = (await api(request, '/api/alert-rules')).rules.find((r: { name: string }) => r.name === 'E2eAnyStuckPayment').id as string;

  // Evaluated within a few intervals: firing now, as the API says.
  await expect.poll(async () => (await api(request, '/api/alerts?state=firing&range=1h')).alerts.filter((a: { rule: string }) => a.rule === ruleId).length, { timeout: 30_000 }).toBeGreaterThan(0);
  const firing = (await api(request, '/api/alerts?state=firing&range=1h')).alerts.filter((a: { rule: string }) => a.rule === ruleId);
  const stuck = await api(request, '/api/stuck?range=24h&limit=1000');
  const stuckGateways = [...new Set((stuck.payments as { gateway: string }[]).map((p) => p.gateway))].sort();
  expect(firing.map((a: { labels: { gateway: string } }) => a.labels.gateway).sort()).toEqual(stuckGateways);
  expect(firing[0]).toMatchObject({ severity: 'critical', state: 'firing', endsAt: null });
  expect(firing[0].annotations.amount_at_stake).toMatch(/\d/);

  await page.reload();
  const firingTable = page.getByTestId('alerts-firing');
  await expect(firingTable.locator(`tr[data-rule="${ruleId}"]`)).toHaveCount(firing.length);
  for (const g of stuckGateways) await expect(firingTable.locator(`tr[data-rule="${ruleId}"]`, { hasText: `gateway=${g}` })).toHaveCount(1);
  await expect(page.getByTestId('firing-alerts')).toContainText('firing');
  await screenshot(page, 'alerts');

  // The header marker is on every page; the overview names the alert above its charts.
  await page.goto(`/?${rangeQuery()}`);
  await expect(page.getByTestId('firing-alerts')).toBeVisible();
  await page.goto('/?range=1h');
  await expect(page.getByTestId('alert-strip')).toContainText('E2eAnyStuckPayment');
  await page.getByTestId('firing-alerts').click();
  await expect(page).toHaveURL(/\/alerts#firing/);

  // A silence by label, then ended.
  const silence = page.getByTestId('silence-add');
  await silence.getByLabel('Matchers').fill('alertname=E2eAnyStuckPayment');
  await silence.getByLabel('For (hours)').fill('1');
  await silence.getByRole('button', { name: 'Silence' }).click();
  await expect(page.getByTestId('silences')).toContainText('alertname=E2eAnyStuckPayment');
  expect((await api(request, '/api/silences')).silences).toHaveLength(1);
  await page.getByTestId('silences').getByRole('button', { name: 'End now' }).click();
  await expect(page.getByText('No active silence.')).toBeVisible();

  // Disabled: its alerts resolve at the next evaluation.
  await page.locator('[data-testid="alert-rules"] tr', { hasText: 'E2eAnyStuckPayment' }).getByRole('button', { name: 'Disable' }).click();
  await expect(page.locator('[data-testid="alert-rules"] tr', { hasText: 'E2eAnyStuckPayment' })).toContainText('disabled');
  await expect.poll(async () => (await api(request, '/api/alerts?state=firing&range=1h')).alerts.filter((a: { rule: string }) => a.rule === ruleId).length, { timeout: 30_000 }).toBe(0);
  await page.reload();
  await expect(page.getByTestId('alerts-history').locator(`tr[data-rule="${ruleId}"]`)).toHaveCount(firing.length);

  // Changed, then deleted.
  await page.locator('[data-testid="alert-rules"] tr', { hasText: 'E2eAnyStuckPayment' }).getByRole('link', { name: 'Change' }).click();
  const edit = page.getByTestId('rule-edit');
  await expect(edit.getByLabel('Name (alertname)')).toHaveValue('E2eAnyStuckPayment');
  await edit.getByLabel('Fire at ≥').fill('25');
  await edit.getByRole('button', { name: 'Save rule' }).click();
  await expect(page.getByTestId('rule-add')).toBeVisible();
  expect((await api(request, `/api/alert-rules/${ruleId}`)).rule).toMatchObject({ threshold: 25, enabled: false });
  await page.locator('[data-testid="alert-rules"] tr', { hasText: 'E2eAnyStuckPayment' }).getByRole('button', { name: 'Delete' }).click();
  await expect(page.locator('[data-testid="alert-rules"] tr', { hasText: 'E2eAnyStuckPayment' })).toHaveCount(0);
  expect((await request.get(`/api/alert-rules/${ruleId}`)).status()).toBe(404);
});
