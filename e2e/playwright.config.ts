import os from 'node:os';
import path from 'node:path';
import { defineConfig } from '@playwright/test';

/**
 * End-to-end: a real payscope (production build, embedded store in a fresh temp directory, ports
 * apart from a developer's running instance) driven in Debian's Chromium.
 *
 * Projects run in order: `empty` (the empty store's states) → `seed` (sends e2e/fixture.ts through
 * the OpenTelemetry SDK) → `dashboard` (every page against that data set and the JSON API); `ingest`
 * (spans sent to the dashboard port) runs after `empty` too.
 */
export const E2E_PORT = Number(process.env.E2E_PORT ?? 3107);
export const E2E_OTLP_PORT = Number(process.env.E2E_OTLP_PORT ?? 14318);
export const E2E_GRPC_PORT = Number(process.env.E2E_GRPC_PORT ?? 14317);
// One id per run, inherited by the workers (the config is evaluated again in each of them).
process.env.PAYSCOPE_E2E_RUN ??= String(process.pid);
const dataDir = path.join(os.tmpdir(), `payscope-e2e-${process.env.PAYSCOPE_E2E_RUN}`);
/** The dashboard and API run behind a token, as a deployment would; every test presents it. */
export const E2E_API_TOKEN = 'e2e-api-token';

export default defineConfig({
  testDir: '.',
  projects: [
    { name: 'empty', testMatch: /empty\.spec\.ts/ },
    { name: 'ingest', testMatch: /(ingest|access)\.spec\.ts/, dependencies: ['empty'] },
    { name: 'seed', testMatch: /seed\.setup\.ts/, dependencies: ['empty'] },
    { name: 'dashboard', testMatch: /.*\.spec\.ts/, testIgnore: /(empty|ingest|access)\.spec\.ts/, dependencies: ['seed'] },
  ],
  outputDir: '../test-results',
  timeout: 60_000,
  retries: 0,
  workers: 1,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${E2E_PORT}`,
    viewport: { width: 1366, height: 860 },
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    },
    screenshot: 'only-on-failure',
    extraHTTPHeaders: { authorization: `Bearer ${E2E_API_TOKEN}` },
  },
  webServer: {
    command: `rm -rf ${dataDir} && node --import tsx scripts/start.ts`,
    cwd: '..',
    url: `http://127.0.0.1:${E2E_PORT}/api/health`,
    timeout: 240_000,
    reuseExistingServer: false,
    stdout: 'pipe',
    env: {
      PORT: String(E2E_PORT),
      HOST: '127.0.0.1',
      PAYSCOPE_OTLP_HTTP_PORT: String(E2E_OTLP_PORT),
      PAYSCOPE_OTLP_GRPC_PORT: String(E2E_GRPC_PORT),
      PAYSCOPE_DATA_DIR: dataDir,
      PAYSCOPE_API_TOKEN: E2E_API_TOKEN,
      // Alert evaluation every 2 s, so e2e/alerts.spec.ts sees a rule it adds fire and resolve.
      PAYSCOPE_ALERT_INTERVAL_SEC: '2',
    },
  },
});
