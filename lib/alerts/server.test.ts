import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertFixture } from '../../test/helpers/fixtures';
import { startTestServer } from '../../test/helpers/server';
import { testConfig } from '../../test/helpers/store';
import { gatewayTraffic } from './testing/traffic';

/**
 * The alert evaluation as the payscope process runs it: a scheduled job of the server (every
 * PAYSCOPE_ALERT_INTERVAL_SEC, here 1 s), counted in /metrics, notifying a real receiver. Spans of a
 * gateway failing right now are in the store; a rule with `for` 0 fires at the first evaluation. The
 * test waits for counts (evaluations, messages), never for a time.
 */

let server: Awaited<ReturnType<typeof startTestServer>>;
let receiver: http.Server;
const messages: { status: string; commonLabels: Record<string, string> }[] = [];

beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      messages.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`;
  const base = testConfig('/nonexistent').alerts;
  server = await startTestServer({ alerts: { ...base, intervalSec: 1, webhookUrls: [url], gatewayForSec: 0 } });
  const now = Date.now();
  // stripe: every call of the last 3 minutes failed with a provider error; an hour of healthy calls before.
  await insertFixture(server.store, gatewayTraffic(now - 3_600_000, now, 1000, (g, t) => (g === 'stripe' && t >= now - 180_000 ? 'provider_error' : 'ok')), 0);
});
afterAll(async () => {
  await server?.stop();
  await new Promise<void>((r) => receiver?.close(() => r()));
});

const evaluations = async () => Number(/^payscope_alert_evaluations_total (\d+)/m.exec(await server.metrics.text())?.[1] ?? 0);

describe('alert evaluation in the payscope process', () => {
  it('runs as a job, fires the failing gateway to the webhook once, and counts itself in /metrics', async () => {
    // The notification goes out during the evaluation that fired it, which is counted when it
    // ends: wait for both.
    while (messages.length === 0 || (await evaluations()) === 0) await new Promise((r) => setTimeout(r, 50));
    const seen = await evaluations();
    // More evaluations of the same failing gateway notify nothing more.
    while ((await evaluations()) < seen + 2) await new Promise((r) => setTimeout(r, 50));
    expect(messages.map((m) => `${m.status} ${m.commonLabels.alertname} ${m.commonLabels.gateway} ${m.commonLabels.severity}`)).toEqual(['firing PaymentGatewayUnhealthy stripe critical']);
    const text = await server.metrics.text();
    expect(text).toMatch(/^payscope_alerts_firing\{severity="critical"\} 1$/m);
    expect(text).toMatch(/^payscope_alert_notifications_total\{receiver="webhook",outcome="delivered"\} 1$/m);
    expect(server.jobs.stats().find((s) => s.name === 'alert-evaluation')).toMatchObject({ failures: 0 });
  }, 120_000);
});
