import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../../lib/store/sql';
import { startTestServer } from '../../test/helpers/server';
import { txAnomaliesOf } from '../../test/helpers/sim-tx-anomalies';
import { ERROR_CLASSES, GATEWAYS, SERVICES, STAGES } from '../model/catalog';
import type { OrderRecord, PeriodTruth, TruthRecord } from './ground-truth';
import { readGroundTruth } from './ground-truth';
import { ensureInstrumentationBuilt, startPlatform, type Platform } from './platform';

/**
 * The platform end to end against a real payscope ingest: 15 service processes traced by
 * @payscope/instrumentation export to an in-process payscope server, traffic runs through every
 * scenario in turn (switched on the HTTP control endpoint, with stronger-than-default faults so a
 * few seconds of traffic are enough), and the spans read back from the store are checked against
 * the ground truth the platform recorded.
 */

interface StoredSpan {
  TraceId: string;
  SpanId: string;
  ParentSpanId: string;
  SpanName: string;
  ServiceName: string;
  Kind: string;
  PaymentOrderId: string;
  PaymentStage: string;
  PaymentChannel: string;
  PaymentGateway: string;
  PaymentOutcome: string;
  PaymentErrorCode: string;
  PeerHost: string;
  IsError: number;
  ms: number;
  startMs: number;
  timeout: string;
  duplicate: string;
  attempt: string;
  providerRef: string;
  txId: string;
  txBranch: string;
  txPhase: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let server: Awaited<ReturnType<typeof startTestServer>>;
let platform: Platform;
let dataDir: string;
let spans: StoredSpan[];
let periods: PeriodTruth[];
let records: TruthRecord[];
let switchErrors: Array<{ status: number; body: unknown }>;

const byOrder = new Map<string, StoredSpan[]>();
const orderSpans = (orderId: string) => byOrder.get(orderId) ?? [];
const stageSpans = (orderId: string, stage: string) => orderSpans(orderId).filter((s) => s.PaymentStage === stage);
const period = (name: string) => {
  const p = periods.find((x) => x.scenario === name && x.period > 0);
  if (p === undefined) throw new Error(`no ${name} period`);
  return p;
};
const orderRecords = (effect: OrderRecord['effect']) => records.filter((r): r is OrderRecord => r.type === 'order' && r.effect === effect);

async function control(method: 'GET' | 'POST', route: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${platform.controlUrl}${route}`, { method, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

beforeAll(async () => {
  ensureInstrumentationBuilt();
  server = await startTestServer();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'payscope-sim-test-'));
  platform = await startPlatform({
    otlpEndpoint: `http://127.0.0.1:${server.ports.otlpHttp}`,
    dataDir,
    rate: 8,
    controlPort: 0,
    timeScale: 0.25,
    // Equal channel shares so every gateway sees traffic within seconds; more duplicates than a normal day.
    mix: { alipay: 1, wechatpay: 1, card: 1, paypal: 1 },
    baseline: { duplicateCallbackRate: 0.25 },
    log: () => {},
  });

  // Each period lasts its time and until it has seen enough payments (of the channel its fault
  // targets): on a busy machine the platform pays more slowly, and a period's checks need a sample.
  const enough = async (ms: number, channel: string | undefined, min: number) => {
    await sleep(ms);
    for (;;) {
      const current = ((await control('GET', '/ground-truth')).body.periods as PeriodTruth[]).at(-1)!;
      if ((channel ? current.paymentsByChannel[channel] ?? 0 : current.payments) >= min) return;
      await sleep(250);
    }
  };
  await enough(5000, undefined, 40);
  switchErrors = [
    await control('POST', '/scenario', { name: 'no-such-scenario' }),
    await control('POST', '/scenario', { name: 'slow-db', gateway: 'stripe' }),
  ];
  await control('POST', '/scenario', { name: 'gateway-degraded', gateway: 'wechatpay', extraErrorRate: 0.5, extraHangRate: 0.1 });
  await enough(5000, 'wechatpay', 12);
  await control('POST', '/scenario', { name: 'lost-callbacks', gateway: 'paypal', lostCallbackRate: 0.8 });
  await enough(5000, 'paypal', 12);
  await control('POST', '/scenario', { name: 'slow-db', service: 'inventory', dbExtraMedianMs: 200 });
  await enough(4000, undefined, 32);
  await control('POST', '/scenario', { name: 'timeout-misconfig', caller: 'adapter-card', callerTimeoutMs: 300 });
  await enough(5000, 'card', 12);
  await control('POST', '/scenario', { name: 'gateway-failover', gateway: 'stripe', outageRate: 0.6 });
  await enough(4000, 'card', 12);
  await control('POST', '/scenario', { name: 'double-charge', gateway: 'stripe', slowProcessedRate: 0.6 });
  await enough(4000, 'card', 12);
  await control('POST', '/scenario', { name: 'tx-anomalies', txAnomalyRate: 0.3 });
  // Until every anomaly kind that has a span to show it has happened (Saga payments are a few percent).
  for (;;) {
    const current = ((await control('GET', '/ground-truth')).body.periods as PeriodTruth[]).at(-1)!;
    const kinds = new Set(current.txAnomalies.map((a) => a.kind));
    if (['empty_rollback', 'hanging', 'mixed_outcome', 'failed_compensation'].every((k) => kinds.has(k))) break;
    await sleep(250);
  }
  await control('POST', '/scenario', { name: 'baseline' });
  await platform.traffic.stop();
  // Most callbacks (scaled: about a second) arrive; the rest are cancelled by the stop, and the
  // ground truth only lists callbacks that were actually sent.
  await sleep(4000);
  periods = (await control('GET', '/ground-truth')).body.periods;
  await platform.stop();
  records = readGroundTruth(platform.truthFile);

  // Ingest answers once spans are stored; wait until the count settles all the same.
  let last = -1;
  for (let i = 0; i < 20; i++) {
    const [{ n }] = await server.store.query<{ n: string }>(sql`SELECT count() AS n FROM otel_traces`);
    if (Number(n) === last) break;
    last = Number(n);
    await sleep(500);
  }
  spans = (
    await server.store.query<StoredSpan>(sql`
      SELECT TraceId, SpanId, ParentSpanId, SpanName, ServiceName, Kind, PaymentOrderId, PaymentStage, PaymentChannel,
             PaymentGateway, PaymentOutcome, PaymentErrorCode, PeerHost, IsError, toFloat64(Duration) / 1e6 AS ms, toFloat64(toUnixTimestamp64Micro(Timestamp)) / 1000 AS startMs,
             SpanAttributes['payment.timeout'] AS timeout, SpanAttributes['payment.callback.duplicate'] AS duplicate, SpanAttributes['payment.attempt'] AS attempt, SpanAttributes['payment.provider_ref'] AS providerRef,
             SpanAttributes['payment.tx.id'] AS txId, SpanAttributes['payment.tx.branch'] AS txBranch, SpanAttributes['payment.tx.phase'] AS txPhase
      FROM otel_traces`)
  ).map((s) => ({ ...s, IsError: Number(s.IsError), ms: Number(s.ms), startMs: Number(s.startMs) }));
  for (const span of spans) {
    if (span.PaymentOrderId === '') continue;
    let list = byOrder.get(span.PaymentOrderId);
    if (list === undefined) byOrder.set(span.PaymentOrderId, (list = []));
    list.push(span);
  }
}, 600_000);

afterAll(async () => {
  await platform?.stop();
  await server?.stop();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('the live platform, read back from payscope', () => {
  it('runs every service as its own process and leaves none behind', () => {
    expect(new Set(platform.services.map((s) => s.pid)).size).toBe(SERVICES.length);
    for (const s of platform.services) {
      expect(s.exited, s.service).toBe(true);
      expect(() => process.kill(s.pid, 0), s.service).toThrow();
    }
    expect(new Set(spans.map((s) => s.ServiceName))).toEqual(
      new Set(SERVICES),
    );
  });

  it('serves payments end to end through every stage, channel and gateway', () => {
    const payments = records.filter((r) => r.type === 'payment');
    expect(payments.length).toBeGreaterThan(80);
    for (const stage of Object.values(STAGES)) expect(spans.some((s) => s.PaymentStage === stage), stage).toBe(true);
    const requests = spans.filter((s) => s.PaymentStage === STAGES.gatewayRequest);
    expect(new Set(requests.map((s) => s.PaymentChannel))).toEqual(new Set(['alipay', 'wechatpay', 'card', 'paypal']));
    expect(new Set(requests.map((s) => s.PaymentGateway))).toEqual(new Set(['alipay', 'wechatpay', 'stripe', 'adyen', 'paypal']));
    // The gateway call is one client span to the mock provider's host, classified by the instrumentation.
    for (const s of requests) {
      expect(s.Kind).toBe('client');
      expect(s.PeerHost).toBe(`${s.PaymentGateway}.sim.localhost`);
    }
    // Every payment the traffic made is in the store, with its checkout trace.
    for (const p of payments) expect(stageSpans(p.orderId, STAGES.orderCreate), p.orderId).toHaveLength(1);
    const accepted = payments.filter((p) => p.status === 202);
    expect(accepted.length).toBeGreaterThan(40);
    for (const p of accepted) {
      // The channel's first gateway was called (card payments may then have failed over to adyen).
      expect(stageSpans(p.orderId, STAGES.gatewayRequest).map((r) => r.PaymentGateway), p.orderId).toContain(p.gateway);
      expect(stageSpans(p.orderId, STAGES.paymentSubmit)[0]?.PaymentOutcome).toBe('pending');
    }
  });

  it('delivers callbacks in new traces that join the payment by order id', () => {
    const sent = orderRecords('callback-sent').filter((r) => r.detail?.status === 200);
    expect(sent.length).toBeGreaterThan(30);
    for (const r of sent) {
      const callbacks = stageSpans(r.orderId, STAGES.gatewayCallback);
      expect(callbacks.length, r.orderId).toBeGreaterThanOrEqual(1);
      const [create] = stageSpans(r.orderId, STAGES.orderCreate);
      const senders = new Set(sent.filter((x) => x.orderId === r.orderId).map((x) => x.service));
      for (const cb of callbacks) {
        expect(cb.TraceId).not.toBe(create.TraceId);
        // The callback trace starts at the provider's webhook call (a root client span, no payment context).
        const root = spans.find((s) => s.TraceId === cb.TraceId && s.ParentSpanId === '');
        expect(senders.has(root!.ServiceName)).toBe(true);
        expect(root?.Kind).toBe('client');
        expect(cb.ParentSpanId).toBe(root?.SpanId);
      }
    }
  });

  it('lists the callbacks still due at the stop as pending, and they have no callback span', () => {
    // The list was fetched before the stop, so a callback can have been on its way then (its
    // delivery is recorded when the merchant answers): such an order has its callback span and
    // a first delivery recorded by the stop, which waits for deliveries under way.
    const sent = new Set(orderRecords('callback-sent').filter((r) => r.detail?.attempt === 1).map((r) => r.orderId));
    const pending = periods.flatMap((p) => p.pendingCallbackOrders);
    for (const orderId of pending) {
      if (!sent.has(orderId)) expect(stageSpans(orderId, STAGES.gatewayCallback), orderId).toHaveLength(0);
    }
    // Due and never delivered by the stop: no callback span at all.
    const pendingAtStop = [...new Set(orderRecords('callback-due').map((r) => r.orderId))].filter((o) => !sent.has(o));
    for (const orderId of pendingAtStop) expect(stageSpans(orderId, STAGES.gatewayCallback), orderId).toHaveLength(0);
    const lateOrPending = new Set([...pending, ...pendingAtStop, ...periods.flatMap((p) => p.lateCallbackOrders)]);
    // Every accepted payment either got its callback, or is lost, late or pending.
    const lost = new Set(periods.flatMap((p) => p.lostCallbackOrders));
    const accepted = records.filter((r) => r.type === 'payment' && r.status === 202).map((r) => (r as { orderId: string }).orderId);
    for (const orderId of accepted) {
      if (stageSpans(orderId, STAGES.gatewayCallback).length === 0) expect(lost.has(orderId) || lateOrPending.has(orderId), orderId).toBe(true);
    }
  });

  it('handles duplicate callbacks idempotently', () => {
    const twice = new Set(orderRecords('callback-sent').filter((r) => r.detail?.attempt === 2 && r.detail?.status === 200).map((r) => r.orderId));
    expect(twice.size).toBeGreaterThan(0);
    for (const orderId of twice) {
      const callbacks = stageSpans(orderId, STAGES.gatewayCallback);
      // Each repeated delivery confirms nothing (a retried order may have a second charge's callbacks too).
      const repeats = orderRecords('callback-sent').filter((r) => r.orderId === orderId && r.detail?.attempt === 2 && r.detail?.status === 200).length;
      expect(callbacks.filter((c) => c.duplicate === 'true'), orderId).toHaveLength(repeats);
      expect(stageSpans(orderId, STAGES.orderConfirm)).toHaveLength(callbacks.length - repeats);
    }
  });

  it('rejects unknown scenarios and parameters that do not fit on the control endpoint', () => {
    expect(switchErrors.map((e) => e.status)).toEqual([400, 400]);
    expect(JSON.stringify(switchErrors[0].body)).toContain('unknown scenario');
  });

  it('records every scenario period with its parameters', () => {
    expect(periods.map((p) => p.scenario)).toEqual(['baseline', 'gateway-degraded', 'lost-callbacks', 'slow-db', 'timeout-misconfig', 'gateway-failover', 'double-charge', 'tx-anomalies', 'baseline']);
    expect(period('gateway-degraded').target).toEqual({ gateway: 'wechatpay' });
    expect(period('gateway-degraded').parameters.extraErrorRate).toBe(0.5);
    expect(period('lost-callbacks').parameters.lostCallbackRate).toBe(0.8);
    // The last period began as the traffic stopped.
    for (const p of periods.slice(0, -1)) expect(p.payments, p.scenario).toBeGreaterThan(0);
  });

  it('gateway-degraded: the orders failed by the fault carry the provider error, and the gateway error rate rises', () => {
    const degraded = period('gateway-degraded');
    expect(degraded.failedOrders.length).toBeGreaterThan(0);
    const injected = orderRecords('failed-by-fault').filter((r) => r.period === degraded.period);
    for (const r of injected) {
      // The call the fault failed (a retried order has others).
      const requests = stageSpans(r.orderId, STAGES.gatewayRequest);
      for (const request of requests) expect(request.PaymentGateway, r.orderId).toBe('wechatpay');
      const failedByFault = (s: StoredSpan) =>
        s.IsError === 1 && (r.detail?.reason === 'provider-error' ? s.PaymentErrorCode === GATEWAYS.wechatpay.requestErrors.provider_error.codes[0].code : s.timeout === 'true');
      expect(requests.some(failedByFault), r.orderId).toBe(true);
    }
    const errorRate = (periodNumbers: number[]) => {
      const orders = records.filter((r) => r.type === 'payment' && r.gateway === 'wechatpay' && periodNumbers.includes(r.period)).map((r) => (r as { orderId: string }).orderId);
      const requests = orders.flatMap((o) => stageSpans(o, STAGES.gatewayRequest));
      return requests.filter((s) => s.IsError === 1).length / Math.max(1, requests.length);
    };
    const others = periods.filter((p) => p.scenario !== 'gateway-degraded').map((p) => p.period);
    expect(errorRate([degraded.period])).toBeGreaterThan(errorRate(others) + 0.2);
  });

  it('lost-callbacks: orders listed as lost have no callback span', () => {
    const lost = period('lost-callbacks').lostCallbackOrders;
    expect(lost.length).toBeGreaterThan(0);
    const all = periods.flatMap((p) => p.lostCallbackOrders);
    for (const orderId of all) {
      // Each lost callback is one gateway call without a callback (a retried order may have had another one called back).
      const nonDuplicate = stageSpans(orderId, STAGES.gatewayCallback).filter((s) => s.duplicate !== 'true');
      expect(nonDuplicate.length, orderId).toBeLessThan(stageSpans(orderId, STAGES.gatewayRequest).length);
    }
    // The scenario's losses are PayPal's; the baseline loses a few callbacks of any gateway (0.3%).
    const byScenario = orderRecords('lost-callback').filter((r) => r.period === period('lost-callbacks').period && r.cause === 'scenario');
    expect(byScenario.length).toBeGreaterThan(0);
    for (const r of byScenario) expect(stageSpans(r.orderId, STAGES.gatewayRequest)[0].PaymentGateway, r.orderId).toBe('paypal');
  });

  it('counts the failed gateway calls per gateway and class as stored', () => {
    const stored = new Map<string, number>();
    for (const s of spans) if (s.PaymentStage === STAGES.gatewayRequest && s.IsError === 1) stored.set(s.PaymentGateway, (stored.get(s.PaymentGateway) ?? 0) + 1);
    // From the final truth, written up to the stop (a call can still be failing when the per-period summary is fetched).
    const truth = new Map<string, number>();
    const byGatewayClass = new Map<string, number>();
    for (const r of orderRecords('call-failed')) {
      const gateway = String(r.detail?.gateway);
      truth.set(gateway, (truth.get(gateway) ?? 0) + 1);
      const key = `${gateway} ${String(r.detail?.errorClass)}`;
      byGatewayClass.set(key, (byGatewayClass.get(key) ?? 0) + 1);
    }
    expect(truth).toEqual(stored);
    for (const key of byGatewayClass.keys()) expect(ERROR_CLASSES).toContain(key.split(' ')[1]);
    // The summary served before the stop counts the same records, so far.
    for (const p of periods) {
      for (const [gateway, byClass] of Object.entries(p.gatewayErrors)) {
        for (const [cls, n] of Object.entries(byClass)) expect(n, `${gateway} ${cls}`).toBeLessThanOrEqual(byGatewayClass.get(`${gateway} ${cls}`) ?? 0);
      }
    }
    expect(periods.some((p) => Object.keys(p.gatewayErrors).length > 0)).toBe(true);
  });

  it('gateway-failover: timed-out stripe calls are retried on adyen as attempt 2, and the retries are in the truth', () => {
    const p = period('gateway-failover');
    const retried = new Set(p.retriedOrders);
    expect(retried.size).toBeGreaterThan(0);
    for (const orderId of retried) {
      const requests = stageSpans(orderId, STAGES.gatewayRequest).sort((a, b) => Number(a.attempt) - Number(b.attempt));
      expect(requests.map((r) => r.attempt), orderId).toEqual(requests.map((_, i) => String(i + 1)));
    }
    const failovers = [...retried].filter((o) => stageSpans(o, STAGES.gatewayRequest).some((r) => r.PaymentGateway === 'adyen'));
    expect(failovers.length).toBeGreaterThan(0);
    for (const orderId of failovers) {
      const [first] = stageSpans(orderId, STAGES.gatewayRequest).filter((r) => r.attempt === '1');
      expect(first.PaymentGateway).toBe('stripe');
      expect(first.timeout).toBe('true');
    }
  });

  it('double-charge: the orders charged twice have two fulfilled callbacks of different charges', () => {
    const doubled = period('double-charge').doubleChargedOrders;
    expect(doubled.length).toBeGreaterThan(0);
    for (const orderId of doubled) {
      const fulfilled = stageSpans(orderId, STAGES.gatewayCallback).filter((s) => s.duplicate !== 'true' && s.PaymentOutcome === 'succeeded');
      expect(new Set(fulfilled.map((s) => s.providerRef)).size, orderId).toBeGreaterThanOrEqual(2);
      // Both charges were passed on to order as successes; order may still fail one of them by its
      // own rare confirm failure (an inconsistent payment), so the confirm's outcome is not the point.
      expect(stageSpans(orderId, STAGES.orderConfirm).filter((s) => s.PaymentOutcome !== 'cancelled').length, orderId).toBeGreaterThanOrEqual(2);
    }
  });

  it('tx-anomalies: every anomaly in the truth shows in the account spans, of every kind', () => {
    const truth = period('tx-anomalies').txAnomalies.filter((a) => a.kind !== 'unfinished');
    const shown = new Set(
      txAnomaliesOf(
        spans.filter((s) => s.ServiceName === 'account' && s.Kind === 'server').map((s) => ({ txId: s.txId, branch: s.txBranch, phase: s.txPhase, startMs: s.startMs, error: s.IsError === 1 })),
      ),
    );
    for (const a of truth) expect(shown.has(`${a.txId} ${a.branch} ${a.kind}`), `${a.txId} ${a.branch} ${a.kind}`).toBe(true);
    expect(new Set(truth.map((a) => a.kind))).toEqual(new Set(['empty_rollback', 'hanging', 'mixed_outcome', 'failed_compensation']));
  });

  it('slow-db: the affected orders have slow inventory database calls, the others do not', () => {
    const slow = orderRecords('affected').filter((r) => r.service === 'inventory');
    expect(slow.length).toBeGreaterThan(5);
    const dbSpan = (orderId: string) => orderSpans(orderId).find((s) => s.ServiceName === 'inventory' && s.SpanName === 'UPDATE stock');
    for (const r of slow) expect(dbSpan(r.orderId)?.ms, r.orderId).toBeGreaterThanOrEqual(Number(r.detail?.extraMs) - 1);
    const affected = new Set(slow.map((r) => r.orderId));
    const others = records.filter((r) => r.type === 'payment' && !affected.has(r.orderId)).map((r) => dbSpan((r as { orderId: string }).orderId)?.ms ?? 0);
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    expect(median(slow.map((r) => dbSpan(r.orderId)?.ms ?? 0))).toBeGreaterThan(100);
    expect(median(others)).toBeLessThan(30);
  });

  it('timeout-misconfig: the timed-out orders have timeout-marked client spans, and only they', () => {
    const misconfig = period('timeout-misconfig');
    expect(misconfig.timeoutOrders.length).toBeGreaterThan(0);
    const timedOut = new Set(periods.flatMap((p) => p.timeoutOrders));
    // The scenario's timeouts are adapter-card's; a baseline hang can time out any adapter.
    const byScenario = orderRecords('timeout').filter((r) => r.period === misconfig.period && r.cause === 'scenario').map((r) => r.orderId);
    expect(byScenario.length).toBeGreaterThan(0);
    for (const orderId of byScenario) {
      const requests = stageSpans(orderId, STAGES.gatewayRequest);
      const request = requests.find((s) => s.attempt === '1')!;
      expect(request.ServiceName, orderId).toBe('adapter-card');
      expect(request.timeout).toBe('true');
      expect(request.IsError).toBe(1);
      // Not failed over to adyen: the payment failed on the timeout.
      const [submit] = stageSpans(orderId, STAGES.paymentSubmit);
      if (requests.length === 1) expect([submit.PaymentOutcome, submit.PaymentErrorCode]).toEqual(['failed', 'GATEWAY_TIMEOUT']);
    }
    const marked = spans.filter((s) => s.timeout === 'true');
    for (const s of marked) expect(timedOut.has(s.PaymentOrderId), s.PaymentOrderId).toBe(true);
  });

  it('writes the ground truth as JSON lines, the same as the control endpoint serves', () => {
    const lines = fs.readFileSync(platform.truthFile, 'utf8').trim().split('\n');
    expect(lines.length).toBe(records.length);
    expect(records[0].type).toBe('run');
    const degraded = period('gateway-degraded');
    const fromFile = new Set(orderRecords('failed-by-fault').filter((r) => r.period === degraded.period).map((r) => r.orderId));
    expect(new Set(degraded.failedOrders)).toEqual(fromFile);
  });
});
