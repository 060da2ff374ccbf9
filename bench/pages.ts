/**
 * Page benchmark: seeds ~10 million spans (sim/seed) plus one 5,000-span trace into a temp embedded
 * store, starts payscope on it (the real `scripts/start.ts`, production build), and measures in
 * Chromium the time from navigation start to each page's first meaningful content (its key numbers
 * or its first rows: the selectors below), over several cold loads (a fresh browser context each).
 * The time is the first paint of that content (Element Timing API), not "load": pages stream, and
 * the numbers show before the charts' JavaScript has run. Also the 5,000-span trace view: time to
 * its first painted rows, frame times while scrolling it from top to bottom, and a click on a span to
 * its attributes shown. Prints nothing;
 * returns `{ summary, ... }` for bench/run.ts.
 *
 * Run alone: `node --import tsx bench/pages.ts [--payments 480000] [--days 7] [--loads 7] [--data-dir DIR] [--port 3291]`.
 * The store is seeded in a child process and served by another: chDB binds a data directory to one
 * process at a time, and this process never opens it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from '@playwright/test';
import { SCALES } from './scale';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const GOAL_MS = 1000;
const BIG_TRACE_SPANS = 5000;
const MARKER = 'bench-pages.json';

export interface BenchPagesOptions {
  /** Payments to seed (about 21 spans each). @default SCALES['10m'] (≈ 10 million spans) */
  payments?: number;
  /** Days of history, ending now. @default 7 */
  days?: number;
  /** Measured loads per page (after one warm-up load). @default 7 */
  loads?: number;
  /** Keep (or reuse, when it holds a previous run's data) the store in this directory. */
  dataDir?: string;
  /** Dashboard port of the payscope under test. @default 3291 */
  port?: number;
  /** Progress lines (the function itself prints nothing). */
  onProgress?: (line: string) => void;
}

export interface PageTiming {
  page: string;
  url: string;
  /** What "meaningful content" waited for. */
  waitedFor: string;
  loads: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  goalMs: number;
  meetsGoal: boolean;
}

export interface BenchPagesResult {
  summary: PageTiming[];
  bigTrace: {
    spans: number; renderP50Ms: number; renderP95Ms: number; scrollFrames: number; scrollFrameP50Ms: number; scrollFrameP95Ms: number; meetsGoal: boolean;
    /** A span clicked on the painted page → its attributes shown (the details are fetched on that first click). */
    detailsP50Ms: number; detailsP95Ms: number;
  };
  seed: Prepared & { reused: boolean };
  machine: { cpus: number; node: string };
}

/** What the prepare step leaves in the data directory. */
interface Prepared {
  spans: number;
  payments: number;
  seedSeconds: number;
  optimizeSeconds: number;
  /** End of the seeded history (epoch ms): pages are measured on the hour (and day) before it. */
  endMs: number;
  bigTraceId: string;
  traceId: string;
  orderId: string;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, log: (l: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d) => String(d).split('\n').filter(Boolean).forEach((l) => log(l)));
    child.stderr.on('data', (d) => String(d).split(/[\r\n]/).filter((l) => l.trim()).slice(-1).forEach((l) => log(l)));
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}`))));
  });
}

async function waitForHealth(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`payscope exited with ${child.exitCode}`);
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`payscope did not answer ${url} within ${timeoutMs / 1000} s`);
}

export async function benchPages(opts: BenchPagesOptions = {}): Promise<BenchPagesResult> {
  const log = opts.onProgress ?? (() => {});
  const payments = opts.payments ?? SCALES['10m'].payments;
  const days = opts.days ?? 7;
  const loads = opts.loads ?? 7;
  const port = opts.port ?? 3291;
  const ownDir = opts.dataDir === undefined;
  const dir = opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'payscope-bench-pages-'));
  fs.mkdirSync(dir, { recursive: true });
  const env = { ...process.env, PAYSCOPE_DATA_DIR: dir, CLICKHOUSE_URL: '', PAYSCOPE_RETENTION_DAYS: '0' };
  const marker = path.join(dir, MARKER);
  let server: ChildProcess | undefined;
  let browser: Browser | undefined;
  try {
    const reused = fs.existsSync(marker);
    if (!reused) {
      log(`pages: seeding ${payments.toLocaleString('en')} payments over ${days} days into ${dir} ...`);
      await run(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--prepare', dir, '--payments', String(payments), '--days', String(days)], env, (l) => log(`pages: ${l}`));
    } else log(`pages: reusing the store in ${dir}`);
    const prep = JSON.parse(fs.readFileSync(marker, 'utf8')) as Prepared;

    log('pages: starting payscope (builds the dashboard when sources changed) ...');
    server = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
      cwd: ROOT,
      env: { ...env, PORT: String(port), HOST: '127.0.0.1', PAYSCOPE_OTLP_HTTP_PORT: '0', PAYSCOPE_OTLP_GRPC_PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server.stdout!.on('data', () => {});
    server.stderr!.on('data', (d) => log(`pages: server: ${String(d).trim().slice(0, 200)}`));
    const base = `http://127.0.0.1:${port}`;
    await waitForHealth(`${base}/api/health`, server, 600_000);

    const to = new Date(prep.endMs);
    const hour = `from=${new Date(prep.endMs - 3_600_000).toISOString()}&to=${to.toISOString()}`;
    const day = `from=${new Date(prep.endMs - 86_400_000).toISOString()}&to=${to.toISOString()}`;
    const pages: { page: string; url: string; selector: string }[] = [
      { page: 'Overview (1 h)', url: `/?${hour}`, selector: '[data-kpi="payments"]' },
      { page: 'Overview (24 h)', url: `/?${day}`, selector: '[data-kpi="payments"]' },
      { page: 'Funnel (1 h)', url: `/funnel?${hour}`, selector: '[data-testid="funnel-steps"] tbody tr' },
      { page: 'Funnel (24 h, by channel)', url: `/funnel?${day}&split=channel`, selector: '[data-testid="funnel-splits"] tbody tr' },
      { page: 'Hops (1 h)', url: `/hops?${hour}`, selector: '[data-testid="hops"] tbody tr' },
      { page: 'Gateways (1 h)', url: `/gateways?${hour}`, selector: '[data-testid="gateways"] tbody tr' },
      { page: 'Gateways (24 h)', url: `/gateways?${day}`, selector: '[data-testid="gateways"] tbody tr' },
      { page: 'Stuck payments (1 h)', url: `/stuck?${hour}`, selector: '[data-kpi="stuck"]' },
      { page: 'Payments (1 h)', url: `/payments?${hour}`, selector: '[data-testid="payments"] tbody tr' },
      { page: 'Traces (1 h)', url: `/traces?${hour}`, selector: '[data-testid="traces"] tbody tr' },
      { page: 'Traces (1 h, card, slowest)', url: `/traces?${hour}&channel=card&sort=duration`, selector: '[data-testid="traces"] tbody tr' },
      { page: 'Trace view (checkout trace)', url: `/traces/${prep.traceId}?${hour}`, selector: '[data-testid="waterfall"] [data-span-id]' },
      { page: 'Payment view', url: `/payments/${prep.orderId}?${hour}`, selector: '[data-testid="waterfall"] [data-span-id]' },
    ];

    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    /**
     * Navigation start → the first paint of the page's meaningful content, in a fresh context (cold
     * browser cache), ms. The content is the first element matching the selector; its paint time
     * comes from the Element Timing API (the element is tagged the moment it enters the DOM).
     */
    const load = async (url: string, selector: string): Promise<number> => {
      const ctx = await browser!.newContext({ viewport: { width: 1366, height: 860 } });
      const page = await ctx.newPage();
      try {
        await page.addInitScript((sel: string) => {
          const w = window as unknown as { __paint?: number; __inDom?: number };
          new PerformanceObserver((list) => {
            for (const e of list.getEntries() as (PerformanceEntry & { renderTime: number; identifier: string })[]) {
              if (e.identifier === 'bench' && w.__paint === undefined) w.__paint = e.renderTime || e.startTime;
            }
          }).observe({ type: 'element', buffered: true });
          new MutationObserver((_, mo) => {
            const el = document.querySelector(sel);
            if (!el) return;
            w.__inDom = performance.now();
            for (const x of [el, ...el.querySelectorAll('*')]) x.setAttribute('elementtiming', 'bench');
            mo.disconnect();
          }).observe(document, { childList: true, subtree: true });
        }, selector);
        await page.goto(base + url, { waitUntil: 'commit', timeout: 60_000 });
        await page.locator(selector).first().waitFor({ state: 'visible', timeout: 60_000 });
        const handle = await page.waitForFunction(() => (window as unknown as { __paint?: number }).__paint, null, { timeout: 10_000 });
        return Number(await handle.jsonValue());
      } finally {
        await ctx.close();
      }
    };

    const summary: PageTiming[] = [];
    for (const p of pages) {
      await load(p.url, p.selector); // warm-up: server-side module loading, first query compilation
      const times: number[] = [];
      for (let i = 0; i < loads; i++) times.push(await load(p.url, p.selector));
      times.sort((a, b) => a - b);
      const t: PageTiming = {
        page: p.page, url: p.url, waitedFor: p.selector, loads,
        p50Ms: quantile(times, 0.5), p95Ms: quantile(times, 0.95), maxMs: times[times.length - 1], goalMs: GOAL_MS, meetsGoal: quantile(times, 0.95) <= GOAL_MS,
      };
      summary.push(t);
      log(`pages: ${p.page}: p50 ${t.p50Ms.toFixed(0)} ms, p95 ${t.p95Ms.toFixed(0)} ms`);
    }

    // The 5,000-span trace: render time, then frame times while scrolling through all of it.
    const bigUrl = `/traces/${prep.bigTraceId}?${hour}`;
    const bigSel = '[data-testid="waterfall"] [data-span-id]';
    await load(bigUrl, bigSel);
    const renders: number[] = [];
    for (let i = 0; i < loads; i++) renders.push(await load(bigUrl, bigSel));
    renders.sort((a, b) => a - b);
    const ctx = await browser.newContext({ viewport: { width: 1366, height: 860 } });
    const page = await ctx.newPage();
    await page.goto(base + bigUrl);
    await page.locator(bigSel).first().waitFor();
    const rows = Number(await page.getByTestId('waterfall').getAttribute('data-rows'));
    if (rows !== BIG_TRACE_SPANS) throw new Error(`the big trace shows ${rows} rows, expected ${BIG_TRACE_SPANS}`);
    const frames: number[] = await page.getByTestId('waterfall').evaluate(async (el) => {
      const out: number[] = [];
      let last = performance.now();
      const step = el.clientHeight / 2;
      while (el.scrollTop + el.clientHeight < el.scrollHeight - 1) {
        el.scrollTop += step;
        await new Promise((r) => requestAnimationFrame(() => r(null)));
        const now = performance.now();
        out.push(now - last);
        last = now;
      }
      return out;
    });
    await ctx.close();
    frames.sort((a, b) => a - b);
    // The span details: fetched when first wanted, so the first click waits for all of them.
    const details: number[] = [];
    for (let i = 0; i < loads; i++) {
      const c = await browser.newContext({ viewport: { width: 1366, height: 860 } });
      const p = await c.newPage();
      try {
        await p.goto(base + bigUrl);
        const row = p.locator(bigSel).first();
        await row.waitFor();
        // Hydrated: the click has a handler.
        await p.waitForFunction((sel) => Object.keys(document.querySelector(sel) ?? {}).some((k) => k.startsWith('__reactFiber$')), bigSel);
        const t = Date.now();
        await row.click();
        await p.getByTestId('span-attributes').waitFor({ timeout: 60_000 });
        details.push(Date.now() - t);
      } finally {
        await c.close();
      }
    }
    details.sort((a, b) => a - b);
    const bigTrace = {
      spans: BIG_TRACE_SPANS,
      renderP50Ms: quantile(renders, 0.5), renderP95Ms: quantile(renders, 0.95),
      scrollFrames: frames.length, scrollFrameP50Ms: quantile(frames, 0.5), scrollFrameP95Ms: quantile(frames, 0.95),
      meetsGoal: quantile(renders, 0.95) <= GOAL_MS,
      detailsP50Ms: quantile(details, 0.5), detailsP95Ms: quantile(details, 0.95),
    };
    log(`pages: ${BIG_TRACE_SPANS}-span trace: render p50 ${bigTrace.renderP50Ms.toFixed(0)} ms, p95 ${bigTrace.renderP95Ms.toFixed(0)} ms; scroll frames p95 ${bigTrace.scrollFrameP95Ms.toFixed(1)} ms; click to details p50 ${bigTrace.detailsP50Ms.toFixed(0)} ms`);
    return { summary, bigTrace, seed: { ...prep, reused }, machine: { cpus: os.cpus().length, node: process.version } };
  } finally {
    await browser?.close();
    if (server && server.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise((r) => server!.once('exit', r));
    }
    if (ownDir) fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ── the prepare step (child process): seed, merge, add the 5,000-span trace ───────────────────

const SPAN_TABLES = ['otel_traces', 'otel_traces_trace_id_ts', 'payment_stage_events', 'payment_order_traces', 'gateway_calls', 'hop_spans'];

async function prepare(dir: string, payments: number, days: number): Promise<void> {
  const { migrate } = await import('../clickhouse/migrate');
  const { loadConfig } = await import('../lib/config');
  const { openStore } = await import('../lib/store/store');
  const { ident, sql } = await import('../lib/store/sql');
  const { seedStore } = await import('../sim/seed/seed');
  const { insertFixture, traceIdOf } = await import('../test/helpers/fixtures');
  const store = await openStore({ ...loadConfig({ ...process.env, PAYSCOPE_DATA_DIR: dir, CLICKHOUSE_URL: '' }), host: '127.0.0.1' });
  try {
    await migrate(store, { retentionDays: 0 });
    const endMs = Date.now();
    const r = await seedStore(store, {
      payments, days, endMs, seed: 'bench-pages', scenario: 'gateway-degraded',
      onProgress: (p) => process.stdout.write(`seeded ${p.storedSpans.toLocaleString('en')} spans\n`),
    });

    // 5,000 spans in one trace, ten minutes before the end: 100 chunks of one span and 49 calls each.
    const t0 = endMs - 10 * 60_000;
    const services = ['settlement', 'ledger', 'fx', 'notifier'];
    const big: Parameters<typeof insertFixture>[1][number][] = [{ trace: 'bench-big', id: 'root', service: 'settlement', name: 'POST /batch/settle', start: 0, dur: 5200, attrs: { 'batch.size': '4900' } }];
    for (let i = 1, chunk = ''; big.length < BIG_TRACE_SPANS; i++) {
      if (i % 50 === 1) {
        chunk = `chunk-${i}`;
        big.push({ trace: 'bench-big', id: chunk, parent: 'root', service: 'settlement', name: `settle chunk ${(i - 1) / 50}`, kind: 'Internal', start: 2 + ((i - 1) / 50) * 52, dur: 50 });
      } else {
        const c = Math.floor((i - 1) / 50);
        big.push({
          trace: 'bench-big', id: `s-${i}`, parent: chunk, service: services[1 + (i % 3)], name: `write ledger ${c}.${i % 50}`, kind: 'Client',
          start: 3 + c * 52 + (i % 50), dur: 0.9, status: i % 997 === 0 ? 'Error' : undefined,
          attrs: { 'db.system.name': 'postgresql', 'server.address': 'ledger-db', 'ledger.entry': `${c}.${i % 50}`, 'ledger.amount': String(i * 7) },
        });
      }
    }
    await insertFixture(store, big, t0);

    const t = performance.now();
    for (const table of SPAN_TABLES) await store.command(sql`OPTIMIZE TABLE ${ident(table, SPAN_TABLES)} FINAL`);
    const optimizeSeconds = (performance.now() - t) / 1000;

    const hourAgo = new Date(endMs - 3_600_000);
    const [pick] = await store.query<{ orderId: string; traceId: string }>(sql`
      SELECT PaymentOrderId AS orderId, anyIf(TraceId, PaymentStage = 'order.create') AS traceId FROM payment_stage_events
      WHERE Timestamp >= ${hourAgo} GROUP BY PaymentOrderId
      HAVING countIf(PaymentStage = 'gateway.callback') > 0 AND traceId != '' ORDER BY PaymentOrderId LIMIT 1`);
    const prepared: Prepared = {
      spans: r.spans + BIG_TRACE_SPANS, payments: r.payments, seedSeconds: r.seconds, optimizeSeconds, endMs,
      bigTraceId: traceIdOf('bench-big'), traceId: pick.traceId, orderId: pick.orderId,
    };
    fs.writeFileSync(path.join(dir, MARKER), JSON.stringify(prepared, null, 2));
    process.stdout.write(`seeded ${prepared.spans.toLocaleString('en')} spans in ${r.seconds.toFixed(1)} s, merged in ${optimizeSeconds.toFixed(1)} s\n`);
  } finally {
    await store.close();
  }
}

const argv = process.argv.slice(2);
const arg = (name: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (arg('--prepare')) {
    await prepare(arg('--prepare')!, Number(arg('--payments') ?? SCALES['10m'].payments), Number(arg('--days') ?? 7));
  } else {
    const r = await benchPages({
      payments: arg('--payments') ? Number(arg('--payments')) : undefined,
      days: arg('--days') ? Number(arg('--days')) : undefined,
      loads: arg('--loads') ? Number(arg('--loads')) : undefined,
      dataDir: arg('--data-dir'),
      port: arg('--port') ? Number(arg('--port')) : undefined,
      onProgress: (l) => console.error(l),
    });
    console.table(r.summary.map((s) => ({ page: s.page, 'p50 ms': Math.round(s.p50Ms), 'p95 ms': Math.round(s.p95Ms), 'max ms': Math.round(s.maxMs), '≤ 1 s': s.meetsGoal })));
    console.log(JSON.stringify(r, null, 2));
  }
}
