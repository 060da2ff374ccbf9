import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTraceBackend, type StoredSpan, type TraceBackend } from './helpers/trace-backend.js';
import { startService, type ServiceProcess } from './helpers/service-process.js';

// Real programs started with `node --import @payscope/instrumentation/register`, exporting over
// OTLP/HTTP protobuf to a trace backend and read back from it (see startTraceBackend).
let backend: TraceBackend;
const running: ServiceProcess[] = [];

beforeAll(async () => {
  backend = await startTraceBackend();
});

afterEach(() => {
  for (const service of running.splice(0)) if (service.child.exitCode === null && service.child.signalCode === null) service.child.kill('SIGKILL');
});

afterAll(async () => {
  await backend.close();
});

async function start(file: string, env: Record<string, string>, preload?: string[]): Promise<ServiceProcess> {
  const service = await startService(file, { env: { OTEL_EXPORTER_OTLP_ENDPOINT: backend.endpoint, ...env }, preload });
  running.push(service);
  return service;
}

const of = (service: string, orderId: string) => (s: StoredSpan) => s.service === service && s.attributes['payment.order_id'] === orderId;

describe('zero-code start with --import', () => {
  it('traces an ESM app calling a CommonJS app, with HTTP spans and the payment context in both', async () => {
    const ledger = await start('ledger-app.cjs', { OTEL_SERVICE_NAME: 'ledger', OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=test,team=payments' });
    const checkout = await start('checkout-app.mjs', { OTEL_SERVICE_NAME: 'checkout', DOWNSTREAM_URL: ledger.url });

    const response = await fetch(`${checkout.url}/orders/ord-77/pay?channel=alipay`, { method: 'POST' });
    expect(await response.json()).toEqual({ orderId: 'ord-77', charged: true, seenByDownstream: 'ord-77' });

    const spans = await backend.waitForSpans((all) => {
      const ledgerSpans = all.filter(of('ledger', 'ord-77'));
      return all.some((s) => s.service === 'checkout' && s.kind === 'SERVER') && ledgerSpans.filter((s) => s.kind === 'SERVER').length >= 2;
    });

    // ESM app: express route (needs the loader hook), fetch client span, payment stage/outcome.
    const checkoutServer = spans.find((s) => s.service === 'checkout' && s.kind === 'SERVER');
    expect(checkoutServer).toMatchObject({
      name: 'POST /orders/:orderId/pay',
      attributes: {
        'http.request.method': 'POST',
        'http.route': '/orders/:orderId/pay',
        'http.response.status_code': '200',
        'url.path': '/orders/ord-77/pay',
        'payment.order_id': 'ord-77',
        'payment.channel': 'alipay',
      },
    });
    const checkoutClient = spans.find((s) => s.service === 'checkout' && s.kind === 'CLIENT');
    expect(checkoutClient?.attributes).toMatchObject({
      'url.full': `${ledger.url}/charge`,
      'http.response.status_code': '200',
      'server.address': '127.0.0.1',
      'payment.order_id': 'ord-77',
    });
    const handler = spans.find((s) => s.service === 'checkout' && s.attributes['payment.stage'] === 'payment.submit');
    expect(handler?.attributes).toMatchObject({ 'payment.outcome': 'succeeded', 'payment.amount': '12.50', 'payment.currency': 'CNY' });

    // CommonJS app with no payment code: every span carries the order id and channel from baggage.
    const ledgerSpans = spans.filter((s) => s.service === 'ledger');
    expect(ledgerSpans.length).toBeGreaterThanOrEqual(4); // 2 server, 1 client, express handlers
    for (const span of ledgerSpans) {
      expect(span.attributes['payment.order_id'], `${span.kind} ${span.name}`).toBe('ord-77');
      expect(span.attributes['payment.channel']).toBe('alipay');
    }
    expect(ledgerSpans.find((s) => s.kind === 'SERVER' && s.attributes['http.route'] === '/charge')).toBeDefined();
    expect(ledgerSpans.find((s) => s.kind === 'CLIENT')?.attributes['url.full']).toBe(`${ledger.url}/balance`);

    // One trace across both processes.
    expect(new Set([...ledgerSpans, checkoutServer!].map((s) => s.traceId)).size).toBe(1);

    // Resource: env attributes honored, process/host detectors on, no cloud detectors.
    const ledgerResource = ledgerSpans[0].resource;
    expect(ledgerResource).toMatchObject({ 'deployment.environment.name': 'test', team: 'payments' });
    expect(ledgerResource['process.pid']).toBe(String(ledger.child.pid));
    expect(ledgerResource['host.name']).toBeTypeOf('string');
    expect(Object.keys(ledgerResource).some((k) => k.startsWith('cloud.'))).toBe(false);

    // The ESM app stays quiet: no warnings on stderr.
    expect(checkout.stderr()).toBe('');
  });

  it('flushes on SIGTERM and then dies of the signal, as the uninstrumented app would', async () => {
    const ledger = await start('ledger-app.cjs', { OTEL_SERVICE_NAME: 'ledger-sigterm', OTEL_BSP_SCHEDULE_DELAY: '60000' });
    await fetch(`${ledger.url}/balance`);
    await new Promise((r) => setTimeout(r, 200));
    expect((await backend.spans()).some((s) => s.service === 'ledger-sigterm')).toBe(false); // still queued

    const sent = Date.now();
    ledger.child.kill('SIGTERM');
    const exit = await ledger.exited;
    expect(exit).toMatchObject({ code: null, signal: 'SIGTERM' });
    expect(exit.at - sent).toBeLessThan(3000);
    expect((await backend.spans()).some((s) => s.service === 'ledger-sigterm' && s.kind === 'SERVER')).toBe(true);
  });

  it('leaves the exit to an app that handles SIGTERM itself, and still flushes', async () => {
    const ledger = await start('ledger-app.cjs', { OTEL_SERVICE_NAME: 'ledger-own-handler', OTEL_BSP_SCHEDULE_DELAY: '60000', OWN_SIGTERM_HANDLER: '1' });
    await fetch(`${ledger.url}/balance`);
    ledger.child.kill('SIGTERM');
    expect(await ledger.exited).toMatchObject({ code: 7, signal: null });
    expect((await backend.spans()).some((s) => s.service === 'ledger-own-handler')).toBe(true);
  });

  it('flushes a script when its event loop runs dry and keeps its exit code', async () => {
    const script = await startService('one-shot.mjs', {
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: backend.endpoint, OTEL_SERVICE_NAME: 'one-shot', OTEL_BSP_SCHEDULE_DELAY: '60000' },
      waitForPort: false,
    });
    running.push(script);
    expect(await script.exited).toMatchObject({ code: 3, signal: null });
    expect(script.stdout()).toBe('pong\n');
    const spans = (await backend.spans()).filter((s) => s.service === 'one-shot');
    expect(spans.map((s) => s.kind).sort()).toEqual(['CLIENT', 'SERVER']);
  });

  it('also works preloaded with --require in a CommonJS app', async () => {
    const ledger = await start('ledger-app.cjs', { OTEL_SERVICE_NAME: 'ledger-require' }, ['--require', '@payscope/instrumentation/register']);
    await fetch(`${ledger.url}/balance`);
    const spans = await backend.waitForSpans((all) => all.some((s) => s.service === 'ledger-require' && s.kind === 'SERVER'));
    expect(spans.find((s) => s.service === 'ledger-require' && s.kind === 'SERVER')?.attributes['http.route']).toBe('/balance');
  });
});
