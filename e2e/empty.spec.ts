import { expect, test } from '@playwright/test';
import { screenshot } from './helpers';

// Runs first, on the fresh store: every page says what to do instead of showing empty tables.
test.describe('an empty store', () => {
  test('the Overview says how to send spans', async ({ page }) => {
    await page.goto('/');
    const empty = page.locator('[data-empty="no-spans"]');
    await expect(empty.getByRole('heading', { name: 'No spans yet — here is how to send some' })).toBeVisible();
    await expect(empty).toContainText('OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318');
    await screenshot(page, 'empty-overview');
  });

  test('the other pages too, and unknown ids are "not found", not errors', async ({ page }) => {
    for (const path of ['/funnel', '/hops', '/gateways', '/stuck', '/transactions', '/traces']) {
      await page.goto(path);
      await expect(page.locator('[data-empty="no-spans"]'), path).toBeVisible();
    }
    await page.goto('/traces/0123456789abcdef0123456789abcdef');
    await expect(page.getByRole('heading', { name: 'Trace not found' })).toBeVisible();
    await page.goto('/payments/ord-does-not-exist');
    await expect(page.getByRole('heading', { name: 'Payment not found' })).toBeVisible();
    await page.goto('/traces?traceId=not-hex');
    await expect(page.getByRole('alert').filter({ hasText: 'trace id' })).toContainText('16 to 64 hexadecimal characters');
  });
});
