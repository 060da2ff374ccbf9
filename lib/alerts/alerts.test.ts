import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../clickhouse/migrate';
import { insertFixture } from '../../test/helpers/fixtures';
import { openTempStore } from '../../test/helpers/store';
import type { AlertConfig } from '../config';
import type { Store } from '../store/store';
import { evaluateAlerts, type EvaluationResult } from './engine';
import type { WebhookMessage } from './notify';
import { listAlerts, outboxCounts } from './store';
import { baselineFault, gatewayTraffic, type Fault } from './testing/traffic';

/**
 * Alerting end to end on the real store: hand-written gateway traffic (lib/alerts/testing/
 * traffic.ts), the default rules evaluated every 15 s of logical time (each evaluation is given
 * its `now`, so nothing here depends on the machine's speed), notifications POSTed to a real HTTP
 * receiver this test starts.
 *
 *   T-3h ─── baseline ──── T ── stripe outage (60% provider errors) ── T+10m ── baseline ── T+20m
 *                              paypal decline wave (40% card_declined)
 *   evaluations: T-5m … T+20m, every 15 s (30 minutes of simulated baseline: scenario-baseline.test.ts)
 */

const INTERVAL = 15_000;
const MIN = 60_000;
// A minute boundary two hours back: inside retention, and clear of the present.
const T = Math.floor((Date.now() - 2 * 3_600_000) / MIN) * MIN;

const scenario: Fault = (gateway, t, i) => {
  if (t >= T && t < T + 10 * MIN) {
    if (gateway === 'stripe') return i % 5 < 3 ? 'provider_error' : 'ok';
    if (gateway === 'paypal') return i % 5 < 2 ? 'decline' : 'ok';
  }
  return baselineFault(gateway, t, i);
};

interface Received {
  at: number;
  body: WebhookMessage;
}

let store: Store;
let cleanup: () => Promise<void>;
let receiver: http.Server;
let receiverUrl: string;
const received: Received[] = [];
/** Answers 503 to this many POSTs before taking them. */
let refuseNext = 0;
let evaluationNow = 0;

function alertConfig(): AlertConfig {
  return {
    intervalSec: 15, webhookUrls: [receiverUrl], publicUrl: 'http://payscope.example:3000',
    gatewayWindowSec: 120, gatewayForSec: 150, windowSec: 900, forSec: 300,
  };
}

beforeAll(async () => {
  ({ store, cleanup } = await openTempStore());
  await migrate(store, { retentionDays: 30 });
  const spans = gatewayTraffic(T - 3 * 3_600_000, T + 20 * MIN, 1000, scenario);
  for (let i = 0; i < spans.length; i += 20_000) await insertFixture(store, spans.slice(i, i + 20_000), 0);
  receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (refuseNext > 0) {
        refuseNext--;
        res.writeHead(503).end();
        return;
      }
      received.push({ at: evaluationNow, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as WebhookMessage });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
}, 180_000);

afterAll(async () => {
  await new Promise<void>((r) => receiver?.close(() => r()));
  await cleanup?.();
});

describe('alert evaluation on gateway traffic', () => {
  const results: { now: number; r: EvaluationResult }[] = [];

  it('the baseline before the outage, evaluated every 15 s, fires nothing', async () => {
    for (let now = T - 5 * MIN; now <= T; now += INTERVAL) {
      evaluationNow = now;
      const r = await evaluateAlerts(store, { config: alertConfig(), now });
      expect(r.failed).toEqual([]);
      results.push({ now, r });
    }
    expect(results).toHaveLength(21);
    expect(results.flatMap((x) => x.r.transitions)).toEqual([]);
    expect(await listAlerts(store, { from: new Date(T - 5 * MIN), to: new Date(T) })).toEqual([]);
    expect(received).toEqual([]);
  }, 900_000);

  it('a gateway outage fires one critical alert naming the gateway within 4 minutes, notified once; a decline wave fires no provider alert', async () => {
    refuseNext = 2;
    for (let now = T + INTERVAL; now <= T + 20 * MIN; now += INTERVAL) {
      evaluationNow = now;
      const r = await evaluateAlerts(store, { config: alertConfig(), now });
      expect(r.failed).toEqual([]);
      results.push({ now, r });
    }
    const transitions = results.flatMap((x) => x.r.transitions.map((t) => ({ now: x.now, kind: t.kind, rule: t.alert.rule, labels: t.alert.labels, severity: t.alert.severity })));
    // Only stripe's gateway-health alert: nothing for paypal's declines, nothing from the other rules.
    expect(transitions.map((t) => `${t.rule} ${t.labels.gateway}`)).toEqual(transitions.map(() => 'gateway-health stripe'));
    const fired = transitions.find((t) => t.kind === 'firing')!;
    expect(fired.now - T).toBeLessThanOrEqual(4 * MIN);
    const resolved = transitions.find((t) => t.kind === 'resolved')!;
    expect(resolved.now - (T + 10 * MIN)).toBeGreaterThan(0);
    expect(resolved.now - (T + 10 * MIN)).toBeLessThanOrEqual(5 * MIN);
    expect(transitions.filter((t) => t.kind === 'firing')).toHaveLength(1);
    expect(transitions.filter((t) => t.kind === 'resolved')).toHaveLength(1);

    // The receiver refused the first two POSTs: the notification was retried at the next evaluations
    // (5 s, then 10 s backoff) and arrived; one firing and one resolved message in all.
    expect(received.map((m) => `${m.body.status} ${m.body.commonLabels.gateway} ${m.body.commonLabels.severity}`)).toEqual(['firing stripe critical', 'resolved stripe critical']);
    expect(received[0].at - fired.now).toBe(2 * INTERVAL);
    expect(received[1].at).toBe(resolved.now);
    expect(await outboxCounts(store)).toEqual({ delivered: 2 });

    // Prometheus Alertmanager webhook payload, version 4.
    const [firing, done] = received.map((m) => m.body);
    expect(Object.keys(firing).sort()).toEqual(['alerts', 'commonAnnotations', 'commonLabels', 'externalURL', 'groupKey', 'groupLabels', 'receiver', 'status', 'truncatedAlerts', 'version']);
    expect(firing.version).toBe('4');
    expect(firing.externalURL).toBe('http://payscope.example:3000');
    expect(firing.groupLabels).toEqual({ alertname: 'PaymentGatewayUnhealthy', gateway: 'stripe' });
    expect(firing.alerts).toHaveLength(1);
    const a = firing.alerts[0];
    expect(Object.keys(a).sort()).toEqual(['annotations', 'endsAt', 'fingerprint', 'generatorURL', 'labels', 'startsAt', 'status']);
    expect(a.labels).toEqual({ alertname: 'PaymentGatewayUnhealthy', severity: 'critical', gateway: 'stripe' });
    expect(a.annotations.summary).toBe('Gateway stripe is failing');
    expect(a.annotations.description).toMatch(/^stripe: provider error rate 60\.0% vs 1\.\d+% baseline/);
    expect(a.startsAt).toBe(new Date(fired.now).toISOString());
    expect(a.endsAt).toBe('0001-01-01T00:00:00Z');
    expect(a.generatorURL).toMatch(/^http:\/\/payscope\.example:3000\/alerts\?alert=/);
    expect(a.annotations.traces_url).toContain('/traces?');
    expect(new URL(a.annotations.traces_url).searchParams.get('gateway')).toBe('stripe');
    expect(done.alerts[0].fingerprint).toBe(a.fingerprint);
    expect(done.alerts[0].startsAt).toBe(a.startsAt);
    expect(done.alerts[0].endsAt).toBe(new Date(resolved.now).toISOString());

    // The history the API reads.
    const history = await listAlerts(store, { from: new Date(T), to: new Date(T + 20 * MIN) });
    expect(history.map((h) => [h.rule, h.labels.gateway, h.state, h.startsAt, h.endsAt])).toEqual([
      ['gateway-health', 'stripe', 'resolved', fired.now, resolved.now],
    ]);
  }, 900_000);
});
