import { expect, test } from '@playwright/test';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { SpanKind } from '@opentelemetry/api';
import { E2E_PORT } from './playwright.config';

test('spans sent by the OpenTelemetry SDK to the dashboard port show up in the browser', async ({ page, request }) => {
  const health = await request.get('/api/health');
  expect(health.status()).toBe(200);
  expect(await health.json()).toEqual({ status: 'ok', store: 'embedded' });

  const service = `e2e-checkout-${Date.now()}`;
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    // OTLP/HTTP on the dashboard port, as design.md promises, not only on 4318.
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `http://127.0.0.1:${E2E_PORT}/v1/traces` }))],
  });
  const tracer = provider.getTracer('e2e');
  for (let i = 0; i < 7; i++) {
    const span = tracer.startSpan('POST /checkout', { kind: SpanKind.SERVER, attributes: { 'payment.order_id': `ord-${i}` } });
    if (i < 2) span.setStatus({ code: 2, message: 'declined' });
    span.end();
  }
  await provider.forceFlush();
  await provider.shutdown();
  // A 200 means stored or spooled: wait until the seven traces are queryable.
  await expect.poll(async () => (await (await request.get(`/api/traces?service=${service}`)).json()).traces.length).toBe(7);

  // No payment stages in these spans: the Overview says so, and lists the service that sent them.
  await page.goto('/');
  await expect(page.locator('[data-empty="range"]')).toContainText('none started a payment');
  const row = page.getByTestId('services').getByRole('row', { name: new RegExp(service) });
  await expect(row).toBeVisible();
  await expect(row.getByRole('cell').nth(1)).toHaveText('7');
  await expect(row.getByRole('cell').nth(2)).toHaveText('2');
  // Its errors link to the traces behind them.
  await row.getByRole('cell').nth(2).getByRole('link').click();
  await expect(page).toHaveURL(new RegExp(`/traces\\?.*service=${service}.*status=error`));
  await expect(page.getByTestId('traces').locator('tbody tr')).toHaveCount(2);
});
