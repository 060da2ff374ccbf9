import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Span, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';

/**
 * The e2e data set: twelve hand-drawn payments (and one 1,500-span batch trace) sent through the
 * real OpenTelemetry SDK, shaped like the simulated platform (sim/README.md). Every outcome below is
 * known, so the tests can predict the dashboard's numbers; the rest they compare with the JSON API.
 * Three more payments, after that range, carry hostile names (HOSTILE_PAYMENTS, e2e/hostile.spec.ts).
 *
 *   trace 1  checkout SERVER POST /api/checkout
 *              checkout CLIENT → order SERVER POST /orders            order.create
 *              checkout CLIENT → payment SERVER POST /payments       payment.submit
 *                payment CLIENT → adapter-<ch> SERVER POST /pay
 *                  adapter-<ch> CLIENT POST https://<gateway host>    gateway.request
 *                    <gateway> SERVER POST /v1/pay                    (the provider's own span)
 *   trace 2  <gateway> CLIENT → payment SERVER POST /callbacks/:gateway   gateway.callback
 *              payment CLIENT → order SERVER POST /orders/:id/confirm     order.confirm
 */

export const HOSTILE_NOTE = `<img src=x onerror="window.__pwned=1"><script>window.__pwned=1</script>' OR 1=1 --`;

/**
 * Every name a shopper, merchant or provider controls and a page shows, made hostile (markup, SQL,
 * quotes, URL syntax). The three payments carrying them start after the fixture's range (see
 * HOSTILE_AT), so the numbers the other specs predict from PAYMENTS stay as they are.
 */
export const HOSTILE = {
  /** Ids with `/`, `?`, `#`, `..`, `%`: a link must still open the right payment. */
  orders: [
    `ord-e2e-h1/../../api/health?x=1#<img src=x onerror="window.__pwned=1">`,
    `ord-e2e-h2"; DROP TABLE otel_traces; --`,
    `ord-e2e-h3 ' OR '1'='1 %2F%00 ü🙂 <script>window.__pwned=1</script>`,
  ],
  channel: `<img src=x onerror="window.__pwned=1">`,
  gateway: `<script>window.__pwned=1</script>`,
  /** server.address of the gateway request (also in url.full and a timeout's exception message). */
  host: `pay.example"><svg onload=alert(1)>`,
  adapter: `adapter-'); DROP TABLE otel_traces; --`,
  rootName: `POST /api/checkout?q=<img src=x onerror="window.__pwned=1">`,
  payName: `POST /pay/"><script>window.__pwned=1</script>`,
  /** payment.stage of one extra span per payment (not a funnel step). */
  stage: `fraud.check<svg onload=alert(1)>`,
  declineCode: `' OR 1=1 --<img src=x onerror="window.__pwned=1">`,
  confirmError: `"; DROP TABLE otel_traces; --<b>bold</b>`,
} as const;

/** Where the hostile payments start, seconds after T0: past the fixture's 30-minute range. */
export const HOSTILE_AT = 32 * 60;

export type Channel = 'card' | 'alipay' | 'wechatpay' | 'paypal';
const GATEWAY: Record<Channel, { gateway: string; host: string }> = {
  card: { gateway: 'stripe', host: 'api.stripe.com' },
  alipay: { gateway: 'alipay', host: 'openapi.alipay.com' },
  wechatpay: { gateway: 'wechatpay', host: 'api.mch.weixin.qq.com' },
  paypal: { gateway: 'paypal', host: 'api-m.paypal.com' },
};

export interface PaymentSpec {
  order: string;
  channel: Channel | (string & {});
  /** Seconds after T0 the checkout request starts. */
  at: number;
  /** How long the gateway takes to answer the request, ms. */
  gatewayMs: number;
  /** The provider rejects the request with this code (no callback). */
  declined?: string;
  /** The adapter gives up after 5 s (the provider still works on it). */
  timeout?: boolean;
  /** The callback, `delayMs` after the request ended; none: lost. */
  callback?: { delayMs: number; outcome: 'succeeded' | 'failed'; declineCode?: string; confirmError?: string; duplicateAfterMs?: number };
  /** Names other than the channel's own (the hostile payments); `stage`: one more span with it. */
  names?: { gateway: string; host: string; adapter: string; rootName: string; payName: string; stage: string };
}

export const PAYMENTS: PaymentSpec[] = [
  { order: 'ord-e2e-c1', channel: 'card', at: 60, gatewayMs: 300, callback: { delayMs: 2000, outcome: 'succeeded' } },
  { order: 'ord-e2e-c2', channel: 'card', at: 120, gatewayMs: 500, callback: { delayMs: 3000, outcome: 'succeeded' } },
  { order: 'ord-e2e-c3', channel: 'card', at: 180, gatewayMs: 150, declined: 'card_declined' },
  { order: 'ord-e2e-c4', channel: 'card', at: 240, gatewayMs: 800, callback: { delayMs: 4000, outcome: 'succeeded' } },
  { order: 'ord-e2e-a1', channel: 'alipay', at: 300, gatewayMs: 200, callback: { delayMs: 1500, outcome: 'succeeded' } },
  { order: 'ord-e2e-a2', channel: 'alipay', at: 360, gatewayMs: 250, callback: { delayMs: 2500, outcome: 'succeeded', duplicateAfterMs: 10_000 } },
  { order: 'ord-e2e-a3', channel: 'alipay', at: 420, gatewayMs: 220 },
  { order: 'ord-e2e-w1', channel: 'wechatpay', at: 480, gatewayMs: 400, declined: 'SYSTEM_ERROR' },
  { order: 'ord-e2e-w2', channel: 'wechatpay', at: 540, gatewayMs: 9000, timeout: true, callback: { delayMs: 20_000, outcome: 'succeeded', confirmError: 'ORDER_CANCELLED' } },
  { order: 'ord-e2e-w3', channel: 'wechatpay', at: 600, gatewayMs: 1200, callback: { delayMs: 5000, outcome: 'succeeded' } },
  { order: 'ord-e2e-p1', channel: 'paypal', at: 660, gatewayMs: 700, callback: { delayMs: 6000, outcome: 'succeeded', confirmError: 'ORDER_STATE_CONFLICT' } },
  { order: 'ord-e2e-p2', channel: 'paypal', at: 720, gatewayMs: 600, callback: { delayMs: 3000, outcome: 'failed', declineCode: 'INSTRUMENT_DECLINED' } },
];

const hostileNames = { gateway: HOSTILE.gateway, host: HOSTILE.host, adapter: HOSTILE.adapter, rootName: HOSTILE.rootName, payName: HOSTILE.payName, stage: HOSTILE.stage };

/**
 * After the range: h1 times out and is never called back (stuck), h2 is declined with a hostile code,
 * h3 is paid, called back twice and fails to confirm with a hostile error (inconsistent, duplicate).
 */
export const HOSTILE_PAYMENTS: PaymentSpec[] = [
  { order: HOSTILE.orders[0], channel: HOSTILE.channel, at: HOSTILE_AT, gatewayMs: 6000, timeout: true, names: hostileNames },
  { order: HOSTILE.orders[1], channel: HOSTILE.channel, at: HOSTILE_AT + 30, gatewayMs: 300, declined: HOSTILE.declineCode, names: hostileNames },
  {
    order: HOSTILE.orders[2], channel: HOSTILE.channel, at: HOSTILE_AT + 60, gatewayMs: 400, names: hostileNames,
    callback: { delayMs: 2000, outcome: 'succeeded', confirmError: HOSTILE.confirmError, duplicateAfterMs: 10_000 },
  },
];

/** Spans of a payment (as sendPayment sends them). */
export function spanCount(p: PaymentSpec): number {
  const cb = p.callback ? 4 + (p.callback.duplicateAfterMs ? 2 : 0) : 0;
  return 9 + (p.names ? 1 : 0) + cb;
}

/** The batch trace: one root, 50 chunks of 29 ledger writes each, one of them failing. */
export const BIG_TRACE = { at: 900, chunks: 50, perChunk: 29, failing: { chunk: 42, step: 17 } };
export const BIG_TRACE_SPANS = 1 + BIG_TRACE.chunks * (1 + BIG_TRACE.perChunk);

// Offsets inside trace 1, ms from the checkout start (each payment the same shape).
const T1 = { createAt: 6, createMs: 20, submitAt: 40, adapterCallAt: 45, requestAt: 50 };
const TIMEOUT_MS = 5000;
const requestMs = (p: PaymentSpec) => (p.timeout ? TIMEOUT_MS : p.gatewayMs + 4);
const CALLBACK = { serverAt: 2, serverMs: 40, confirmAt: 10, confirmMs: 15 };

/** End to end (order.create start → successful confirm end), for payments that succeed; else null. */
export function expectedE2eMs(p: PaymentSpec): number | null {
  const cb = p.callback;
  if (!cb || cb.outcome !== 'succeeded' || cb.confirmError || p.declined) return null;
  const requestEnd = T1.requestAt + requestMs(p);
  return requestEnd + cb.delayMs + CALLBACK.serverAt + CALLBACK.confirmAt + CALLBACK.confirmMs - T1.createAt;
}

export function expectedOutcome(p: PaymentSpec): 'succeeded' | 'failed' | 'pending' {
  if (expectedE2eMs(p) !== null) return 'succeeded';
  if (p.declined || p.timeout || p.callback) return 'failed';
  return 'pending';
}

export interface FixtureInfo {
  t0: number;
  /** A range holding every payment and every callback. */
  from: string;
  to: string;
  /** A range holding the hostile payments (and nothing else). */
  hostileFrom: string;
  hostileTo: string;
}

/** Where the seed step leaves T0 for the tests (one file per playwright run). */
export function fixtureFile(): string {
  return path.join(os.tmpdir(), `payscope-e2e-fixture-${process.env.PAYSCOPE_E2E_RUN ?? 'local'}.json`);
}

export function readFixture(): FixtureInfo {
  return JSON.parse(fs.readFileSync(fixtureFile(), 'utf8')) as FixtureInfo;
}

/** One tracer per service (the resource carries service.name), all exporting to payscope. */
class Services {
  private providers = new Map<string, BasicTracerProvider>();
  constructor(private readonly url: string) {}

  tracer(service: string): Tracer {
    let p = this.providers.get(service);
    if (!p) {
      p = new BasicTracerProvider({
        resource: resourceFromAttributes({ 'service.name': service, 'service.version': '1.0.0', 'deployment.environment.name': 'e2e' }),
        spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: this.url }), { maxExportBatchSize: 512, maxQueueSize: 4096 })],
      });
      this.providers.set(service, p);
    }
    return p.getTracer('payscope-e2e');
  }

  async flush(): Promise<void> {
    await Promise.all([...this.providers.values()].map(async (p) => {
      await p.forceFlush();
      await p.shutdown();
    }));
  }
}

interface SpanOpts {
  kind?: SpanKind;
  attributes?: Attributes;
  error?: string;
  events?: { name: string; at: number; attributes?: Attributes }[];
}

function span(s: Services, service: string, name: string, parent: Span | null, startMs: number, o: SpanOpts = {}): Span {
  const ctx = parent ? trace.setSpan(ROOT_CONTEXT, parent) : ROOT_CONTEXT;
  const sp = s.tracer(service).startSpan(name, { kind: o.kind ?? SpanKind.SERVER, attributes: o.attributes, startTime: new Date(startMs), root: !parent }, ctx);
  for (const e of o.events ?? []) sp.addEvent(e.name, e.attributes ?? {}, new Date(e.at));
  if (o.error !== undefined) sp.setStatus({ code: SpanStatusCode.ERROR, message: o.error });
  return sp;
}
const end = (sp: Span, ms: number) => sp.end(new Date(ms));

function sendPayment(s: Services, t0: number, p: PaymentSpec): void {
  const { gateway, host } = p.names ?? GATEWAY[p.channel as Channel];
  const adapter = p.names?.adapter ?? `adapter-${p.channel}`;
  const base = { 'payment.order_id': p.order, 'payment.channel': p.channel, 'payment.amount': '42.00', 'payment.currency': p.channel === 'card' ? 'USD' : 'CNY' };
  const a = t0 + p.at * 1000;
  const reqMs = requestMs(p);
  const failed = p.declined !== undefined || p.timeout;
  const requestEnd = a + T1.requestAt + reqMs;
  const total = T1.requestAt + reqMs + 12;

  const root = span(s, 'checkout', p.names?.rootName ?? 'POST /api/checkout', null, a, { attributes: { ...base, 'http.request.method': 'POST', 'http.route': '/api/checkout' }, error: failed ? 'payment failed' : undefined });
  const c1 = span(s, 'checkout', 'POST', root, a + 4, { kind: SpanKind.CLIENT, attributes: { ...base, 'server.address': 'order' } });
  const create = span(s, 'order', 'POST /orders', c1, a + T1.createAt, { attributes: { ...base, 'payment.stage': 'order.create' } });
  end(create, a + T1.createAt + T1.createMs);
  end(c1, a + 29);
  const c2 = span(s, 'checkout', 'POST', root, a + 35, { kind: SpanKind.CLIENT, attributes: { ...base, 'server.address': 'payment' } });
  const submit = span(s, 'payment', 'POST /payments', c2, a + T1.submitAt, {
    attributes: { ...base, 'payment.stage': 'payment.submit', 'payment.outcome': failed ? 'failed' : 'pending' }, error: failed ? (p.declined ?? 'timeout') : undefined,
  });
  if (p.names) end(span(s, 'payment', 'check', submit, a + T1.submitAt + 1, { kind: SpanKind.INTERNAL, attributes: { ...base, 'payment.stage': p.names.stage } }), a + T1.submitAt + 3);
  const c3 = span(s, 'payment', 'POST', submit, a + T1.adapterCallAt, { kind: SpanKind.CLIENT, attributes: { ...base, 'server.address': adapter } });
  // A hostile string a shopper could type: it must be stored and shown as text, never run.
  const pay = span(s, adapter, p.names?.payName ?? 'POST /pay', c3, a + T1.adapterCallAt + 2, { attributes: { ...base, 'customer.note': HOSTILE_NOTE } });
  const reqAttrs: Attributes = { ...base, 'payment.stage': 'gateway.request', 'payment.gateway': gateway, 'server.address': host, 'url.full': `https://${host}/v1/pay`, 'http.request.method': 'POST' };
  if (p.declined) Object.assign(reqAttrs, { 'payment.error_code': p.declined, 'error.type': '402', 'http.response.status_code': 402 });
  if (p.timeout) Object.assign(reqAttrs, { 'error.type': 'timeout', 'payment.timeout': 'true' });
  const request = span(s, adapter, 'POST', pay, a + T1.requestAt, {
    kind: SpanKind.CLIENT, attributes: reqAttrs, error: p.declined ? `${gateway} ${p.declined}` : p.timeout ? 'timeout' : undefined,
    events: p.timeout ? [{ name: 'exception', at: requestEnd, attributes: { 'exception.type': 'TimeoutError', 'exception.message': `no answer from ${host} in 5000 ms` } }] : [],
  });
  const provider = span(s, gateway, 'POST /v1/pay', request, a + T1.requestAt + 2, { attributes: { 'http.route': '/v1/pay' } });
  end(provider, a + T1.requestAt + 2 + p.gatewayMs);
  end(request, requestEnd);
  end(pay, requestEnd + 2);
  end(c3, requestEnd + 3);
  end(submit, a + total - 4);
  end(c2, a + total - 2);
  end(root, a + total);

  const cb = p.callback;
  if (!cb) return;
  const callbackAt = (at: number, duplicate: boolean) => {
    const out = span(s, gateway, 'POST', null, at, { kind: SpanKind.CLIENT, attributes: { 'server.address': 'payment', 'url.full': `http://payment/callbacks/${gateway}` } });
    const server = span(s, 'payment', 'POST /callbacks/:gateway', out, at + CALLBACK.serverAt, {
      attributes: {
        ...base, 'payment.stage': 'gateway.callback', 'payment.gateway': gateway, 'payment.outcome': cb.outcome,
        ...(cb.declineCode ? { 'payment.error_code': cb.declineCode } : {}), ...(duplicate ? { 'payment.callback.duplicate': 'true' } : {}),
      },
    });
    if (!duplicate) {
      const call = span(s, 'payment', 'POST', server, at + CALLBACK.confirmAt - 2, { kind: SpanKind.CLIENT, attributes: { ...base, 'server.address': 'order' } });
      const confirmAt = at + CALLBACK.serverAt + CALLBACK.confirmAt;
      const confirm = span(s, 'order', 'POST /orders/:id/confirm', call, confirmAt, {
        attributes: {
          ...base, 'payment.stage': 'order.confirm',
          'payment.outcome': cb.confirmError ? 'failed' : cb.outcome === 'succeeded' ? 'succeeded' : 'cancelled',
          ...(cb.confirmError ? { 'payment.error_code': cb.confirmError } : {}),
        },
        error: cb.confirmError,
        events: cb.confirmError ? [{
          name: 'exception', at: confirmAt + 10,
          attributes: { 'exception.type': 'OrderStateError', 'exception.message': `cannot confirm: ${cb.confirmError}`, 'exception.stacktrace': `OrderStateError: cannot confirm: ${cb.confirmError}\n    at confirm (order/confirm.ts:42:11)` },
        }] : [],
      });
      end(confirm, confirmAt + CALLBACK.confirmMs);
      end(call, at + CALLBACK.confirmAt + CALLBACK.confirmMs + 2);
    }
    end(server, at + CALLBACK.serverAt + CALLBACK.serverMs);
    end(out, at + CALLBACK.serverMs + 6);
  };
  // The gateway calls back `delayMs` after it finished (after the caller gave up, on a timeout).
  const first = (p.timeout ? a + T1.requestAt + 2 + p.gatewayMs : requestEnd) + cb.delayMs;
  callbackAt(first, false);
  if (cb.duplicateAfterMs) callbackAt(first + cb.duplicateAfterMs, true);
}

function sendBigTrace(s: Services, t0: number): void {
  const a = t0 + BIG_TRACE.at * 1000;
  const chunkMs = 40;
  const total = BIG_TRACE.chunks * chunkMs + 10;
  const root = span(s, 'settlement', 'POST /batch/settle', null, a, { attributes: { 'batch.size': String(BIG_TRACE.chunks * BIG_TRACE.perChunk) } });
  for (let c = 0; c < BIG_TRACE.chunks; c++) {
    const cs = a + 5 + c * chunkMs;
    const chunk = span(s, 'settlement', `settle chunk ${c}`, root, cs, { kind: SpanKind.INTERNAL });
    for (let k = 0; k < BIG_TRACE.perChunk; k++) {
      const bad = c === BIG_TRACE.failing.chunk && k === BIG_TRACE.failing.step;
      const w = span(s, 'ledger', `write ledger ${c}.${k}`, chunk, cs + 1 + k, {
        kind: SpanKind.CLIENT, attributes: { 'db.system.name': 'postgresql', 'server.address': 'ledger-db', 'ledger.entry': `${c}.${k}` },
        error: bad ? 'unique violation' : undefined,
      });
      end(w, cs + 2 + k);
    }
    end(chunk, cs + chunkMs - 2);
  }
  end(root, a + total);
}

/**
 * Distributed transactions (TCC and Saga) of the `account` service, between the fixture's range and
 * the hostile payments: [TRANSACTIONS_AT, TRANSACTIONS_AT + 60 s), so no other spec's numbers change.
 * Each phase is a SERVER span with payment.tx.id / branch / phase; `trace` groups the spans sent in
 * one trace (a coordinator retrying later starts a new one). By hand, judged at the window's end:
 *
 *   tx-e2e-commit    wallet + points try, both confirmed                        → none
 *   tx-e2e-rollback  wallet try ok, points try failed, both cancelled           → none (clean rollback)
 *   tx-e2e-mixed     (order ord-e2e-c4) both tried in trace A; wallet confirmed in trace B, points
 *                    cancelled in trace C                                       → points mixed_outcome (A B C)
 *   tx-e2e-hang      points cancel, its try 5 s later in another trace          → points hanging
 *   tx-e2e-empty     wallet tried and cancelled, points cancelled without a try → points empty_rollback
 *   tx-e2e-open      wallet try ok 20 s in, nothing after                       → wallet unfinished with an SLA
 *                    under ~39 s, none with the default (the callback SLA, 300 s)
 *   saga-e2e-comp    points action ok, coupon action failed, points compensate failed → points failed_compensation
 */
export const TRANSACTIONS_AT = 30 * 60;

interface PhaseSpec { tx: string; branch: string; phase: string; at: number; trace: string; failed?: boolean; orderId?: string }

export const TRANSACTION_PHASES: PhaseSpec[] = [
  { tx: 'tx-e2e-commit', branch: 'wallet', phase: 'try', at: 1_000, trace: 'commit' },
  { tx: 'tx-e2e-commit', branch: 'points', phase: 'try', at: 1_050, trace: 'commit' },
  { tx: 'tx-e2e-commit', branch: 'wallet', phase: 'confirm', at: 1_200, trace: 'commit' },
  { tx: 'tx-e2e-commit', branch: 'points', phase: 'confirm', at: 1_250, trace: 'commit' },
  { tx: 'tx-e2e-rollback', branch: 'wallet', phase: 'try', at: 2_000, trace: 'rollback' },
  { tx: 'tx-e2e-rollback', branch: 'points', phase: 'try', at: 2_050, trace: 'rollback', failed: true },
  { tx: 'tx-e2e-rollback', branch: 'wallet', phase: 'cancel', at: 2_200, trace: 'rollback' },
  { tx: 'tx-e2e-rollback', branch: 'points', phase: 'cancel', at: 2_250, trace: 'rollback' },
  { tx: 'tx-e2e-mixed', branch: 'wallet', phase: 'try', at: 3_000, trace: 'mixed-a', orderId: 'ord-e2e-c4' },
  { tx: 'tx-e2e-mixed', branch: 'points', phase: 'try', at: 3_050, trace: 'mixed-a', orderId: 'ord-e2e-c4' },
  { tx: 'tx-e2e-mixed', branch: 'wallet', phase: 'confirm', at: 3_200, trace: 'mixed-b', orderId: 'ord-e2e-c4' },
  { tx: 'tx-e2e-mixed', branch: 'points', phase: 'cancel', at: 4_000, trace: 'mixed-c', orderId: 'ord-e2e-c4' },
  { tx: 'tx-e2e-hang', branch: 'points', phase: 'cancel', at: 5_000, trace: 'hang-a' },
  { tx: 'tx-e2e-hang', branch: 'points', phase: 'try', at: 10_000, trace: 'hang-b' },
  { tx: 'tx-e2e-open', branch: 'wallet', phase: 'try', at: 20_000, trace: 'open' },
  { tx: 'tx-e2e-empty', branch: 'wallet', phase: 'try', at: 7_000, trace: 'empty' },
  { tx: 'tx-e2e-empty', branch: 'wallet', phase: 'cancel', at: 8_000, trace: 'empty' },
  { tx: 'tx-e2e-empty', branch: 'points', phase: 'cancel', at: 8_050, trace: 'empty' },
  { tx: 'saga-e2e-comp', branch: 'points', phase: 'action', at: 6_000, trace: 'saga' },
  { tx: 'saga-e2e-comp', branch: 'coupon', phase: 'action', at: 6_050, trace: 'saga', failed: true },
  { tx: 'saga-e2e-comp', branch: 'points', phase: 'compensate', at: 6_200, trace: 'saga', failed: true },
];

function sendTransactions(s: Services, t0: number): void {
  const a = t0 + TRANSACTIONS_AT * 1000;
  const roots = new Map<string, Span>();
  const ends: [Span, number][] = [];
  for (const p of TRANSACTION_PHASES) {
    let root = roots.get(p.trace);
    if (!root) {
      root = span(s, 'coordinator', 'POST /transfers', null, a + p.at - 5, { attributes: { 'http.request.method': 'POST', 'http.route': '/transfers' } });
      roots.set(p.trace, root);
    }
    const attributes: Attributes = { 'payment.tx.id': p.tx, 'payment.tx.branch': p.branch, 'payment.tx.phase': p.phase, 'http.route': `/tcc/${p.branch}/${p.phase}` };
    if (p.orderId) attributes['payment.order_id'] = p.orderId;
    const phase = span(s, 'account', `POST /tcc/${p.branch}/${p.phase}`, root, a + p.at, { attributes, error: p.failed ? `${p.phase} refused` : undefined });
    ends.push([phase, a + p.at + 20]);
  }
  for (const [sp, ms] of ends) end(sp, ms);
  for (const root of roots.values()) end(root, a + Math.max(...TRANSACTION_PHASES.map((p) => p.at)) + 100);
}

/**
 * Gateway retries and a double charge, after the hostile payments' range: [RETRIES_AT, RETRIES_AT +
 * 60 s), no order.create (so they are no payments of the Overview or the funnel), every callback in
 * a trace of its own. By hand (e2e/retries.spec.ts):
 *
 *   ord-e2e-r1  card 80.00 USD   stripe timeout (#1) → adyen accepted (#2), adyen calls back succeeded,
 *                                then stripe's late callback says #1 succeeded too   → recovered, charged twice
 *   ord-e2e-r2  wechatpay 50 CNY wechatpay SYSTEMERROR 500 → alipay accepted, declined by its callback
 *                                                                                  → retried, not recovered
 *   ord-e2e-r3  alipay 30 CNY    one attempt, called back twice, the second a recognised duplicate
 *                                                                                  → one charge
 */
export const RETRIES_AT = 39 * 60;

interface RetryEvent { at: number; gateway: string; attempt: number; request?: 'timeout' | 'accepted' | 'error'; errorCode?: string; http?: number; callback?: 'succeeded' | 'failed'; duplicate?: boolean }
export interface RetryOrderSpec { order: string; channel: Channel; amount: string; currency: string; events: RetryEvent[] }

export const RETRY_ORDERS: RetryOrderSpec[] = [
  { order: 'ord-e2e-r1', channel: 'card', amount: '80.00', currency: 'USD', events: [
    { at: 1_000, gateway: 'stripe', attempt: 1, request: 'timeout' },
    { at: 7_000, gateway: 'adyen', attempt: 2, request: 'accepted' },
    { at: 9_000, gateway: 'adyen', attempt: 2, callback: 'succeeded' },
    { at: 20_000, gateway: 'stripe', attempt: 1, callback: 'succeeded' },
  ] },
  { order: 'ord-e2e-r2', channel: 'wechatpay', amount: '50', currency: 'CNY', events: [
    { at: 2_000, gateway: 'wechatpay', attempt: 1, request: 'error', errorCode: 'SYSTEMERROR', http: 500 },
    { at: 3_000, gateway: 'alipay', attempt: 2, request: 'accepted' },
    { at: 6_000, gateway: 'alipay', attempt: 2, callback: 'failed', errorCode: 'ACQ.BUYER_BALANCE_NOT_ENOUGH' },
  ] },
  { order: 'ord-e2e-r3', channel: 'alipay', amount: '30', currency: 'CNY', events: [
    { at: 4_000, gateway: 'alipay', attempt: 1, request: 'accepted' },
    { at: 8_000, gateway: 'alipay', attempt: 1, callback: 'succeeded' },
    { at: 15_000, gateway: 'alipay', attempt: 1, callback: 'succeeded', duplicate: true },
  ] },
];

const RETRY_HOSTS: Record<string, string> = { stripe: 'api.stripe.com', adyen: 'checkout-test.adyen.com', alipay: 'openapi.alipay.com', wechatpay: 'api.mch.weixin.qq.com' };

function sendRetries(s: Services, t0: number): void {
  const a = t0 + RETRIES_AT * 1000;
  for (const o of RETRY_ORDERS) {
    const base = { 'payment.order_id': o.order, 'payment.channel': o.channel, 'payment.amount': o.amount, 'payment.currency': o.currency };
    const requests = o.events.filter((e) => e.request);
    const first = a + requests[0].at;
    const last = a + Math.max(...requests.map((e) => e.at + (e.request === 'timeout' ? TIMEOUT_MS : 300)));
    const root = span(s, 'payment', 'POST /payments', null, first - 5, { attributes: { ...base, 'payment.stage': 'payment.submit' } });
    for (const e of o.events) {
      const at = a + e.at;
      if (e.request) {
        const attrs: Attributes = {
          ...base, 'payment.stage': 'gateway.request', 'payment.gateway': e.gateway, 'payment.attempt': e.attempt, 'server.address': RETRY_HOSTS[e.gateway],
          'http.request.method': 'POST', 'payment.outcome': e.request === 'error' ? 'failed' : 'pending',
        };
        if (e.request === 'timeout') Object.assign(attrs, { 'error.type': 'timeout', 'payment.timeout': 'true' });
        if (e.request === 'error') Object.assign(attrs, { 'payment.error_code': e.errorCode!, 'http.response.status_code': e.http!, 'error.type': String(e.http) });
        const req = span(s, `adapter-${o.channel}`, 'POST', root, at, { kind: SpanKind.CLIENT, attributes: attrs, error: e.request === 'accepted' ? undefined : e.request === 'timeout' ? 'timeout' : `${e.gateway} ${e.errorCode}` });
        end(req, at + (e.request === 'timeout' ? TIMEOUT_MS : 300));
      } else {
        const notify = span(s, e.gateway, 'POST', null, at, { kind: SpanKind.CLIENT, attributes: { 'server.address': 'payment', 'url.full': `http://payment/callbacks/${e.gateway}` } });
        const attrs: Attributes = { ...base, 'payment.stage': 'gateway.callback', 'payment.gateway': e.gateway, 'payment.attempt': e.attempt, 'payment.outcome': e.callback! };
        if (e.errorCode) attrs['payment.error_code'] = e.errorCode;
        if (e.duplicate) attrs['payment.callback.duplicate'] = true;
        end(span(s, 'payment', 'POST /callbacks/:gateway', notify, at + 2, { attributes: attrs }), at + 30);
        end(notify, at + 35);
      }
    }
    end(root, last + 5);
  }
}

/** Sends the whole data set to payscope's OTLP/HTTP port and waits until it is stored. */
export async function sendFixture(otlpUrl: string, t0: number): Promise<void> {
  const s = new Services(otlpUrl);
  await context.with(ROOT_CONTEXT, async () => {
    for (const p of [...PAYMENTS, ...HOSTILE_PAYMENTS]) sendPayment(s, t0, p);
    sendBigTrace(s, t0);
    sendTransactions(s, t0);
    sendRetries(s, t0);
  });
  await s.flush();
}
