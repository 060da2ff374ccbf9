import fs from 'node:fs';
import path from 'node:path';
import { expect, type APIRequestContext, type Page } from '@playwright/test';
import { readFixture } from './fixture';

export { formatCount, formatMs, formatPct } from '../lib/ui/format';

/** The fixture's range as URL parameters: every page and API call of a test uses the same. */
export function rangeQuery(): string {
  const f = readFixture();
  return `from=${encodeURIComponent(f.from)}&to=${encodeURIComponent(f.to)}`;
}

export async function api<T = any>(request: APIRequestContext, pathAndQuery: string): Promise<T> {
  const res = await request.get(pathAndQuery);
  expect(res.status(), `${pathAndQuery}: ${await res.text()}`).toBe(200);
  return (await res.json()) as T;
}

/** Full-page screenshot into e2e/screenshots/ (git-ignored). */
export async function screenshot(page: Page, name: string): Promise<void> {
  const dir = path.join(import.meta.dirname, 'screenshots');
  fs.mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true });
}

/** The text of a KPI tile's value. */
export function kpi(page: Page, id: string) {
  return page.locator(`[data-kpi="${id}"] .value`);
}

/** The search parameters of the page's current URL. */
export function urlParams(page: Page): URLSearchParams {
  return new URL(page.url()).searchParams;
}
