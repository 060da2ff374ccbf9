import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../clickhouse/migrate';
import { insertFixture } from '../../test/helpers/fixtures';
import { tempDataDir, testConfig } from '../../test/helpers/store';
import type { AlertConfig, PayscopeConfig } from '../config';
import { openStore, type Store } from '../store/store';
import { deliverDue, evaluateAlerts } from './engine';
import { receivers } from './notify';
import { saveSilence } from './store';
import { gatewayTraffic } from './testing/traffic';

/**
 * The notification outbox across a restart, and silences: a notification whose receiver is down
 * stays in the store, survives closing and reopening it, and is delivered once the receiver is
 * back; a silenced alert is evaluated and stored but not notified.
 */

const MIN = 60_000;
const T = Math.floor((Date.now() - 3_600_000) / MIN) * MIN;
let tmp: { dir: string; cleanup(): void };
let config: PayscopeConfig;
let store: Store;
let receiver: http.Server;
let url: string;
const bodies: unknown[] = [];

function alertConfig(): AlertConfig {
  return { intervalSec: 15, webhookUrls: [url], publicUrl: 'http://payscope.example', gatewayWindowSec: 120, gatewayForSec: 0, windowSec: 900, forSec: 300 };
}

async function listen(port = 0): Promise<number> {
  receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(port, '127.0.0.1', r));
  return (receiver.address() as AddressInfo).port;
}

beforeAll(async () => {
  tmp = tempDataDir();
  config = testConfig(tmp.dir);
  store = await openStore(config);
  await migrate(store, { retentionDays: 30 });
  // stripe: every request fails from T on; paypal and alipay fine. 40 min of history before.
  await insertFixture(store, gatewayTraffic(T - 40 * MIN, T + 5 * MIN, 2000, (g, t, i) => (g === 'stripe' && t >= T ? 'provider_error' : i % 100 === 1 ? 'provider_error' : 'ok')), 0);
  url = `http://127.0.0.1:${await listen()}/hook`;
});

afterAll(async () => {
  await new Promise<void>((r) => receiver?.close(() => r()));
  await store?.close();
  tmp?.cleanup();
});

describe('notification outbox', () => {
  it('a notification the receiver could not take survives a restart and is delivered when it is back', async () => {
    const port = Number(new URL(url).port);
    await new Promise<void>((r) => receiver.close(() => r()));
    const first = await evaluateAlerts(store, { config: alertConfig(), now: T + 3 * MIN });
    expect(first.transitions.map((t) => `${t.kind} ${t.alert.labels.gateway}`)).toEqual(['firing stripe']);
    expect(first.queued).toBe(1);
    expect(first.delivery).toMatchObject({ delivered: 0, retrying: 1 });

    await store.close();
    store = await openStore(config);
    await listen(port);
    // Before its backoff has passed, nothing is tried; after it, the notification is delivered, once.
    expect((await deliverDue(store, receivers(alertConfig()), T + 3 * MIN + 1000)).delivered).toBe(0);
    expect((await deliverDue(store, receivers(alertConfig()), T + 3 * MIN + 5000)).delivered).toBe(1);
    expect((await deliverDue(store, receivers(alertConfig()), T + 4 * MIN)).delivered).toBe(0);
    expect(bodies).toHaveLength(1);
    expect(bodies[0]).toMatchObject({ version: '4', status: 'firing', commonLabels: { gateway: 'stripe', alertname: 'PaymentGatewayUnhealthy', severity: 'critical' } });
  });

  it('a silenced alert is stored but not notified; evaluating it again notifies nothing more', async () => {
    await saveSilence(store, { matchers: [{ label: 'gateway', op: '=', value: 'stripe' }], startsAt: new Date(T), endsAt: new Date(T + 60 * MIN), comment: 'maintenance' });
    // The traffic ends at T+5m: at T+10m nothing is left to judge stripe on, so its alert resolves, silenced.
    const r = await evaluateAlerts(store, { config: alertConfig(), now: T + 10 * MIN });
    expect(r.transitions.map((t) => `${t.kind} ${t.alert.labels.gateway}`)).toEqual(['resolved stripe']);
    expect(r).toMatchObject({ silenced: 1, queued: 0 });
    expect((await evaluateAlerts(store, { config: alertConfig(), now: T + 11 * MIN })).transitions).toEqual([]);
    expect(bodies).toHaveLength(1);
  });
});
