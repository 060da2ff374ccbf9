import { BASELINE, GATEWAYS, SERVICES, STAGES, type ErrorClass, type Gateway, type GatewayProfile, type Service } from '../model/catalog';
import {
  callerTimeout, confirmFails, newPayment, nextGateway, orderDbMs, payerAttributes, PaymentLedger, planTransaction, providerAnswer,
  providerCallback, providerRef, reserveStock, scoreRisk, TX_TRY_TIMEOUT_MS, type CallbackHandling, type CallbackPlan, type NewPayment,
  type TxAnomaly, type TxPlan,
} from '../model/payment';
import { SCENARIOS, type Scenario, type ScenarioName } from '../model/scenarios';
import { Rng } from './random';
import { scenarioWindow } from './scenarios';

/**
 * Renders the flow model's payments (sim/model/payment.ts) as spans, the same shape as the live
 * platform's (sim/README.md):
 *
 *   trace 1 (checkout, synchronous)
 *   checkout  POST /api/checkout ─────────────────────────────────────────────────────────┐
 *     checkout → order       order.create ─────────┐                                     │
 *       order → inventory    inventory.reserve ──┐ │                                     │
 *         inventory → postgres  UPDATE stock     │ │                                     │
 *       order → postgres     INSERT orders       │ │                                     │
 *     checkout → risk        risk.check  ──┐                                             │
 *     checkout → payment     payment.submit ──────────────────────────────────┐          │
 *       payment → adapter-X  POST /pay ────────────────────────────────┐      │          │
 *         adapter-X → gateway host  gateway.request (CLIENT) ─────────┐│      │          │
 *           gateway  POST /v1/...  (the mock gateway's SERVER span)   ││      │          │
 *
 *   trace 2 (callback, a NEW trace, seconds later; sometimes late, sometimes never, sometimes twice)
 *   gateway   POST (notify, CLIENT) ──────────────────────┐
 *     payment POST /callbacks/:gateway  gateway.callback  │
 *       payment → order  order.confirm                    │
 *         order → postgres  UPDATE orders                  │
 */

export type SpanKindName = 'Server' | 'Client' | 'Internal';
export type StatusName = 'Unset' | 'Ok' | 'Error';

export interface SeedEvent {
  timeMs: number;
  name: string;
  attrs: string[];
}

export interface SeedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  /** Epoch milliseconds, fractional (sub-millisecond precision). */
  startMs: number;
  durationMs: number;
  service: Service;
  /** Index into RESOURCES (service + pod). */
  resource: number;
  name: string;
  kind: SpanKindName;
  /** Index into SCOPES. */
  scope: number;
  /** The payment context every span of the flow carries (baggage): flat key, value pairs; shared. */
  context: readonly string[] | null;
  /** The span's own attributes, flat key, value pairs. */
  attrs: string[];
  status: StatusName;
  statusMessage: string;
  events: SeedEvent[] | null;
}

export const SCOPES = [
  { name: '@opentelemetry/instrumentation-http', version: '0.223.0' },
  { name: '@opentelemetry/instrumentation-pg', version: '0.61.0' },
] as const;
const SCOPE_HTTP = 0;
const SCOPE_PG = 1;

export const PODS_PER_SERVICE = 3;

export interface ResourceEntry {
  service: Service;
  attrs: string[];
}

/** Resource attributes of every (service, pod). */
export const RESOURCES: readonly ResourceEntry[] = (() => {
  const out: ResourceEntry[] = [];
  for (const service of SERVICES) {
    for (let pod = 0; pod < PODS_PER_SERVICE; pod++) {
      const mock = service in GATEWAYS;
      out.push({
        service,
        attrs: [
          'service.name', service,
          'service.version', mock ? '0.1.0' : '1.8.3',
          'host.name', `${service}-${(0x5f3a + pod * 0x1b7).toString(16)}-${pod}`,
          'deployment.environment.name', 'production',
          'telemetry.sdk.language', 'nodejs',
        ],
      });
    }
  }
  return out;
})();
const resourceIndex = new Map<Service, number>();
RESOURCES.forEach((r, i) => { if (!resourceIndex.has(r.service)) resourceIndex.set(r.service, i); });

/** One gateway call of a payment. */
export interface AttemptResult {
  attempt: number;
  gateway: Gateway;
  /** accepted: the provider took the payment (its result may follow by callback). */
  outcome: 'accepted' | 'failed';
  errorClass: ErrorClass | null;
  errorCode: string;
  traceId: string;
}

/** The payment's distributed transaction, as it played out. */
export interface TxResult {
  txId: string;
  mode: 'tcc' | 'saga';
  /** Anomalies shown, one per branch and kind; `at`: epoch ms of the phase that shows it (the try, for unfinished). */
  anomalies: { branch: string; kind: TxAnomaly; at: number; injected: boolean }[];
  /** Every branch rolled back cleanly (cancelled after its try, or compensated). */
  cleanRollback: boolean;
}

/** What happened to one payment (for counting and ground truth). */
export interface PaymentResult {
  orderId: string;
  channel: string;
  /** The first gateway called. */
  gateway: string;
  amount: string;
  currency: string;
  /** The payer's attributes (country, card) and app version. */
  attributes: Record<string, string>;
  attempts: AttemptResult[];
  /** The payment failed at the gateway: the class of its last failure (a callback's decline counts as decline); null otherwise. */
  failedClass: ErrorClass | null;
  /** Successful charges fulfilled (2 or more: a double charge), and their gateways. */
  charges: number;
  chargeGateways: string[];
  /** The gateway's answer reported the success and the callback repeated it (one charge). */
  syncAndCallback: boolean;
  tx: TxResult | null;
  traces: number;
  spans: number;
  /** The scenario's fault applied to this payment. */
  affected: boolean;
  /** The gateway request failed or timed out because of the injected fault. */
  failedByFault: boolean;
  lostCallback: boolean;
  duplicateCallback: boolean;
  lateCallback: boolean;
  /** The callback was due after the end of the range: not arrived yet. */
  callbackPending: boolean;
  timedOut: boolean;
  inconsistent: boolean;
}

export interface GeneratorOptions {
  seed: string;
  fromMs: number;
  toMs: number;
  scenario: ScenarioName;
  /** Length of the scenario window at the end of the range, ms. @default 2 h */
  windowMs?: number;
}

const NET_INTERNAL_MS = 0.6;
const NET_EXTERNAL_MS = 22;

/** One payment at a time; deterministic for a seed and the sequence of start times. */
export class PaymentGenerator {
  readonly rng: Rng;
  readonly scenario: Scenario;
  readonly window: { fromMs: number; toMs: number };
  private readonly toMs: number;

  constructor(opts: GeneratorOptions) {
    this.rng = new Rng(opts.seed);
    this.scenario = SCENARIOS[opts.scenario];
    this.window = scenarioWindow(opts.fromMs, opts.toMs, opts.windowMs);
    this.toMs = opts.toMs;
  }

  /** Emits the spans of one payment whose checkout request starts at `startMs`. */
  payment(startMs: number, emit: (span: SeedSpan) => void): PaymentResult {
    const rng = this.rng;
    const payer = newPayment(rng);
    const { channel: ch, currency, amount } = payer;
    const gw: GatewayProfile = GATEWAYS[ch.gateway];
    const inWindow = startMs >= this.window.fromMs && startMs < this.window.toMs;
    // The scenario applies inside its window; the baseline everywhere else.
    const sc = inWindow ? this.scenario : SCENARIOS.baseline;
    const orderId = 'ord_' + rng.hex(6);
    const ctx = ['payment.order_id', orderId, 'payment.channel', ch.channel, 'payment.amount', amount, 'payment.currency', currency];
    const payerAttrs = payerAttributes(payer);
    const res: PaymentResult = {
      orderId, channel: ch.channel, gateway: gw.gateway, amount, currency,
      attributes: Object.fromEntries([...pairs(payerAttrs), ['app.version', payer.appVersion]]),
      attempts: [], failedClass: null, charges: 0, chargeGateways: [], syncAndCallback: false, tx: null,
      traces: 1, spans: 0, affected: false, failedByFault: false,
      lostCallback: false, duplicateCallback: false, lateCallback: false, callbackPending: false, timedOut: false, inconsistent: false,
    };
    const out = (s: SeedSpan) => {
      res.spans++;
      emit(s);
    };

    const traceId = rng.hex(16);
    const t0 = startMs;
    const net = () => rng.lognormal(NET_INTERNAL_MS, 0.4);

    // ── checkout (root) ─────────────────────────────────────────────────────────────
    const root = this.newSpan(traceId, '', 'checkout', 'POST /api/checkout', 'Server', SCOPE_HTTP, t0, ctx);
    root.attrs.push('app.version', payer.appVersion, ...payerAttrs);
    if (sc.name === 'issuer-skew' && payer.card?.issuer === sc.target.issuer) res.affected = true;
    let t = t0 + rng.lognormal(1.5, 0.4);

    // ── order.create, with inventory.reserve inside ─────────────────────────────────
    const stock = reserveStock(rng, BASELINE, sc);
    if (stock.extraMs > 0) res.affected = true;
    const cOrder = this.clientSpan(traceId, root, 'checkout', 'order', '/orders', t, ctx);
    const sOrder = this.serverSpan(traceId, cOrder, 'order', 'POST /orders', '/orders', '/orders', t + net(), ctx);
    sOrder.attrs.push('payment.stage', STAGES.orderCreate);
    let to = sOrder.startMs + rng.lognormal(0.8, 0.4);
    const cInv = this.clientSpan(traceId, sOrder, 'order', 'inventory', '/inventory/reserve', to, ctx);
    const sInv = this.serverSpan(traceId, cInv, 'inventory', 'POST /inventory/reserve', '/inventory/reserve', '/inventory/reserve', to + net(), ctx);
    sInv.attrs.push('payment.stage', STAGES.inventoryReserve);
    let ti = sInv.startMs + rng.lognormal(0.5, 0.4);
    const dbInv = this.dbSpan(traceId, sInv, 'inventory', 'UPDATE', 'stock', 'UPDATE stock SET reserved = reserved + $1 WHERE sku = $2 AND available >= $1', ti, stock.dbMs, ctx);
    out(dbInv);
    ti = dbInv.startMs + dbInv.durationMs + rng.lognormal(0.4, 0.4);
    const outOfStock = stock.outOfStock;
    if (outOfStock) {
      this.finishServer(sInv, ti, 409);
      sInv.attrs.push('payment.outcome', 'failed', 'payment.error_code', 'OUT_OF_STOCK');
    } else this.finishServer(sInv, ti, 200);
    out(sInv);
    this.finishClient(cInv, ti + net(), outOfStock ? 409 : 200);
    out(cInv);
    to = cInv.startMs + cInv.durationMs + rng.lognormal(0.3, 0.3);
    if (outOfStock) {
      this.finishServer(sOrder, to, 409);
      this.fail(sOrder, 'out of stock');
      sOrder.attrs.push('payment.outcome', 'failed', 'payment.error_code', 'OUT_OF_STOCK');
      out(sOrder);
      this.finishClient(cOrder, to + net(), 409);
      out(cOrder);
      this.finishServer(root, cOrder.startMs + cOrder.durationMs + rng.lognormal(0.8, 0.3), 409);
      out(root);
      return res;
    }
    const orderInsertMs = orderDbMs(rng, sc);
    if (sc.name === 'slow-db' && sc.target.service === 'order') res.affected = true;
    const dbOrd = this.dbSpan(traceId, sOrder, 'order', 'INSERT', 'orders', 'INSERT INTO orders (id, amount, currency, channel, status) VALUES ($1, $2, $3, $4, $5)', to, orderInsertMs, ctx);
    out(dbOrd);
    to = dbOrd.startMs + dbOrd.durationMs + rng.lognormal(0.6, 0.4);
    this.finishServer(sOrder, to, 201);
    sOrder.attrs.push('payment.outcome', 'pending');
    out(sOrder);
    this.finishClient(cOrder, to + net(), 201);
    out(cOrder);
    t = cOrder.startMs + cOrder.durationMs + rng.lognormal(0.5, 0.4);

    // ── risk.check ─────────────────────────────────────────────────────────────────
    const risk = scoreRisk(rng, BASELINE);
    const rejected = risk.rejected;
    const cRisk = this.clientSpan(traceId, root, 'checkout', 'risk', '/risk/score', t, ctx);
    const sRisk = this.serverSpan(traceId, cRisk, 'risk', 'POST /risk/score', '/risk/score', '/risk/score', t + net(), ctx);
    sRisk.attrs.push('payment.stage', STAGES.riskCheck, 'risk.score', risk.score.toFixed(3));
    this.finishServer(sRisk, sRisk.startMs + risk.ms, 200);
    if (rejected) sRisk.attrs.push('payment.outcome', 'cancelled', 'payment.error_code', 'RISK_REJECTED');
    out(sRisk);
    this.finishClient(cRisk, sRisk.startMs + sRisk.durationMs + net(), 200);
    out(cRisk);
    t = cRisk.startMs + cRisk.durationMs + rng.lognormal(0.5, 0.4);
    if (rejected) {
      this.finishServer(root, t, 403);
      out(root);
      return res;
    }

    // ── payment.submit: the transaction's first phase, the gateway attempts ────────────
    const cPay = this.clientSpan(traceId, root, 'checkout', 'payment', '/payments', t, ctx);
    const sPay = this.serverSpan(traceId, cPay, 'payment', 'POST /payments', '/payments', '/payments', t + net(), ctx);
    sPay.attrs.push('payment.stage', STAGES.paymentSubmit, 'payment.gateway', gw.gateway, ...payerAttrs);
    let tp = sPay.startMs + rng.lognormal(1.5, 0.4);
    const plan = planTransaction(rng, BASELINE, sc);
    let tx: Tx | null = null;
    let aborted = false;
    if (plan !== null) {
      const txId = 'tx_' + rng.hex(6);
      tx = { plan, id: txId, tryAt: tp, result: { txId, mode: plan.mode, anomalies: [], cleanRollback: false } };
      res.tx = tx.result;
      if (plan.anomaly !== null && plan.anomalyCause === 'scenario') res.affected = true;
      const first = this.txFirstPhase(traceId, sPay, tp, ctx, tx, out);
      tp = first.endMs;
      aborted = first.aborted;
    }
    const ledger = new PaymentLedger();
    const pending: Delivery[] = [];
    let failure: { code: string; cls: ErrorClass | null } | null = aborted ? { code: 'TX_ABORTED', cls: null } : null;
    let accepted: AttemptRender | null = null;
    for (let g: Gateway | null = aborted ? null : ch.gateway, attempt = 1; g !== null; attempt++) {
      const a = this.gatewayAttempt(traceId, sPay, tp, ctx, payer, payerAttrs, g, attempt, sc, out);
      res.attempts.push({ attempt, gateway: g, outcome: a.accepted ? 'accepted' : 'failed', errorClass: a.cls, errorCode: a.code, traceId });
      if (a.affected) res.affected = true;
      if (a.failedByFault) res.failedByFault = true;
      if (a.cls === 'timeout') res.timedOut = true;
      tp = a.endMs + rng.lognormal(1.2, 0.4);
      if (a.callback) pending.push(...this.deliveries(a, orderId));
      if (a.accepted) {
        accepted = a;
        break;
      }
      failure = { code: a.cls === 'timeout' ? 'GATEWAY_TIMEOUT' : a.cls === 'network' ? 'GATEWAY_UNREACHABLE' : a.code, cls: a.cls };
      g = nextGateway(rng, ch, attempt, g, a.cls!, BASELINE, sc);
      // A short backoff before the retry.
      if (g !== null) tp += rng.lognormal(150, 0.4);
    }
    if (accepted === null) {
      ledger.failUpFront();
      if (tx) tp = this.txSecondPhase(traceId, sPay, tp, ctx, tx, 'cancel', out);
    }
    const failedSync = accepted === null;
    this.finishServer(sPay, tp, failedSync ? 502 : 202);
    if (failedSync) {
      this.fail(sPay, aborted ? 'transaction aborted' : `payment failed: ${failure!.code}`);
      sPay.attrs.push('payment.outcome', 'failed', 'payment.error_code', failure!.code);
      res.failedClass = failure!.cls;
    } else sPay.attrs.push('payment.outcome', 'pending');
    out(sPay);
    this.finishClient(cPay, tp + net(), failedSync ? 502 : 202);
    out(cPay);
    const rootStatus = failedSync ? 502 : 202;
    this.finishServer(root, cPay.startMs + cPay.durationMs + rng.lognormal(0.8, 0.4), rootStatus);
    if (rootStatus >= 500) this.fail(root, 'payment failed');
    out(root);

    // ── callbacks, each in a new trace, handled in the order they arrive ───────────────
    pending.sort((a, b) => a.at - b.at);
    let delivered = 0;
    let due = false;
    for (const d of pending) {
      if (d.at >= this.toMs) {
        // Not arrived yet at the end of the seeded range: the payment is still waiting.
        if (!d.duplicate) due = true;
        continue;
      }
      const handling = ledger.callback(d.ref, d.declineCode === '');
      const confirmFailed = handling.confirm === 'succeeded' && !handling.orderCancelled && confirmFails(rng, BASELINE);
      this.callback(d, handling, ctx, confirmFailed, tx, out);
      res.traces++;
      if (handling.duplicate) res.duplicateCallback = true;
      else {
        delivered++;
        if (d.late) res.lateCallback = true;
      }
      if (handling.confirm === 'succeeded') {
        res.charges++;
        res.chargeGateways.push(d.gateway);
        if (handling.orderCancelled || confirmFailed) res.inconsistent = true;
        if (d.syncSuccess) res.syncAndCallback = true;
      }
      if (handling.confirm === 'cancelled' && !failedSync) res.failedClass = 'decline';
    }
    // A payment that took money is not a failed one (it may be inconsistent, or charged twice).
    if (res.charges > 0) res.failedClass = null;
    if (delivered === 0 && res.attempts.some((a) => a.outcome === 'accepted' || a.errorClass === 'timeout')) {
      if (due) res.callbackPending = true;
      else res.lostCallback = true;
    }
    if (tx) this.txUnsettled(tx);
    return res;
  }

  /** The deliveries of an attempt's callback: the first, and a duplicate. */
  private deliveries(a: AttemptRender, orderId: string): Delivery[] {
    const cb = a.callback!;
    if (cb.lost !== null) return [];
    const base = { ref: a.ref, attempt: a.attempt, gateway: a.gateway, declineCode: cb.declineCode ?? '', late: cb.late, syncSuccess: a.syncSuccess, orderId };
    const out: Delivery[] = [{ ...base, at: a.providerDoneMs + cb.delayMs, duplicate: false }];
    if (cb.duplicateDelayMs !== null) out.push({ ...base, at: a.providerDoneMs + cb.duplicateDelayMs, duplicate: true });
    return out;
  }

  /** One call of the adapter towards one gateway: payment → adapter → gateway.request → provider. */
  private gatewayAttempt(
    traceId: string, sPay: SeedSpan, at: number, ctx: readonly string[], payer: NewPayment, payerAttrs: readonly string[],
    gateway: Gateway, attempt: number, sc: Scenario, out: (s: SeedSpan) => void,
  ): AttemptRender {
    const rng = this.rng;
    const ch = payer.channel;
    const gw = GATEWAYS[gateway];
    const net = () => rng.lognormal(NET_INTERNAL_MS, 0.4);
    const adapter = ch.adapter as Service;
    const cAd = this.clientSpan(traceId, sPay, 'payment', adapter, '/pay', at, ctx);
    const sAd = this.serverSpan(traceId, cAd, adapter, 'POST /pay', '/pay', '/pay', at + net(), ctx);
    sAd.attrs.push('payment.gateway', gateway);
    const ta = sAd.startMs + rng.lognormal(1, 0.4);

    const { timeoutMs, misconfigured } = callerTimeout(ch.adapter, BASELINE, sc);
    const answer = providerAnswer(rng, gateway, sc, payer.card?.issuer);
    const r: AttemptRender = {
      attempt, gateway, accepted: false, cls: null, code: '', ref: '', endMs: 0, providerDoneMs: 0, callback: null, syncSuccess: false,
      affected: misconfigured || answer.affected, failedByFault: false,
    };
    const netOut = rng.lognormal(NET_EXTERNAL_MS, 0.3);
    const netBack = rng.lognormal(NET_EXTERNAL_MS, 0.3);
    const latency = answer.latencyMs;

    const cGw = this.newSpan(traceId, sAd.spanId, adapter, 'POST', 'Client', SCOPE_HTTP, ta, ctx);
    cGw.attrs.push(
      'http.request.method', 'POST', 'server.address', gw.host, 'url.full', `https://${gw.host}${gw.path}`,
      'payment.stage', STAGES.gatewayRequest, 'payment.gateway', gateway, 'payment.attempt', String(attempt), ...payerAttrs,
    );
    if (answer.network !== null) {
      // The connection failed: no provider span, no HTTP status.
      r.cls = 'network';
      r.code = answer.network.code;
      cGw.durationMs = rng.lognormal(NET_EXTERNAL_MS * 1.5, 0.3);
      cGw.attrs.push('error.type', answer.network.code);
      this.fail(cGw, `${answer.network.code} ${gw.host}`);
      cGw.events = [{ timeMs: ta + cGw.durationMs, name: 'exception', attrs: ['exception.type', 'Error', 'exception.message', `${answer.network.code === 'ECONNRESET' ? 'read' : 'connect'} ${answer.network.code}`] }];
      out(cGw);
    } else {
      const sGw = this.newSpan(traceId, cGw.spanId, gateway as Service, `POST ${gw.path}`, 'Server', SCOPE_HTTP, ta + netOut, ctx);
      sGw.attrs.push('http.request.method', 'POST', 'http.route', gw.path, 'url.path', gw.path, 'server.address', gw.host);
      sGw.durationMs = latency;
      const status = answer.error?.status ?? 200;
      sGw.attrs.push('http.response.status_code', String(status));
      if (status >= 500) this.fail(sGw, answer.error!.code);
      out(sGw);
      r.providerDoneMs = sGw.startMs + sGw.durationMs;
      const timedOut = answer.error === null && netOut + latency + netBack > timeoutMs;
      if (timedOut) {
        r.cls = 'timeout';
        cGw.durationMs = timeoutMs;
        cGw.attrs.push('error.type', 'timeout', 'payment.timeout', 'true');
        this.fail(cGw, 'timeout');
        cGw.events = [{ timeMs: ta + timeoutMs, name: 'exception', attrs: ['exception.type', 'TimeoutError', 'exception.message', `request to ${gw.host} timed out after ${timeoutMs} ms`] }];
        if (misconfigured || answer.hang === 'scenario' || (answer.affected && sc.name === 'gateway-degraded')) r.failedByFault = true;
        r.ref = providerRef(gateway, (n) => rng.hex(n));
        r.callback = providerCallback(rng, gateway, BASELINE, sc, true, answer.processesAbandoned);
      } else {
        cGw.durationMs = netOut + latency + netBack;
        cGw.attrs.push('http.response.status_code', String(status));
        if (answer.error !== null) {
          r.cls = answer.error.cls;
          r.code = answer.error.code;
          if (status >= 400) cGw.attrs.push('error.type', String(status));
          cGw.attrs.push('payment.error_code', r.code, 'payment.outcome', 'failed');
          this.fail(cGw, `${gateway} ${r.code}`);
          if (answer.error.cause === 'scenario') r.failedByFault = true;
        } else {
          r.accepted = true;
          r.syncSuccess = gw.syncSuccess;
          r.ref = providerRef(gateway, (n) => rng.hex(n));
          cGw.attrs.push('payment.provider_ref', r.ref);
          if (gw.syncSuccess) cGw.attrs.push('payment.outcome', 'succeeded');
          r.callback = providerCallback(rng, gateway, BASELINE, sc, false);
        }
      }
      out(cGw);
    }
    if (r.callback?.lost === 'scenario') r.failedByFault = true;
    if (r.callback?.losing) r.affected = true;
    const tAdEnd = cGw.startMs + cGw.durationMs + rng.lognormal(0.8, 0.4);
    const adStatus = r.accepted ? 202 : r.cls === 'timeout' ? 504 : 502;
    this.finishServer(sAd, tAdEnd, adStatus);
    if (adStatus >= 500) this.fail(sAd, r.cls === 'timeout' ? 'gateway timeout' : `${gateway} ${r.code}`);
    out(sAd);
    this.finishClient(cAd, tAdEnd + net(), adStatus);
    out(cAd);
    r.endMs = cAd.startMs + cAd.durationMs;
    return r;
  }

  /** One call of the coordinator (payment) to a branch of the account service, with its server span. */
  private txCall(
    traceId: string, parent: SeedSpan, at: number, ctx: readonly string[], tx: Tx, branch: string, phase: string,
    how: { fails?: boolean; lost?: boolean; serverAt?: number }, out: (s: SeedSpan) => void,
  ): number {
    const rng = this.rng;
    const path = `/tx/${branch}/${phase}`;
    const c = this.clientSpan(traceId, parent, 'payment', 'account', path, at, ctx);
    let end: number;
    if (how.lost || how.serverAt !== undefined) {
      // The coordinator gave up waiting: the request was lost, or is still on its way.
      c.durationMs = TX_TRY_TIMEOUT_MS;
      c.attrs.push('error.type', 'timeout');
      this.fail(c, 'timeout');
      end = at + TX_TRY_TIMEOUT_MS;
    }
    if (!how.lost) {
      const s = this.serverSpan(traceId, c, 'account', 'POST /tx/:branch/:phase', '/tx/:branch/:phase', path, how.serverAt ?? at + rng.lognormal(NET_INTERNAL_MS, 0.4), ctx);
      s.attrs.push('payment.tx.id', tx.id, 'payment.tx.branch', branch, 'payment.tx.phase', phase);
      this.finishServer(s, s.startMs + rng.lognormal(3, 0.5), how.fails ? 500 : 200);
      if (how.fails) this.fail(s, `${phase} ${branch} failed`);
      out(s);
      if (how.serverAt === undefined) {
        this.finishClient(c, s.startMs + s.durationMs + rng.lognormal(NET_INTERNAL_MS, 0.4), how.fails ? 500 : 200);
        end = c.startMs + c.durationMs;
      }
    }
    out(c);
    return end! + rng.lognormal(0.3, 0.3);
  }

  /** TCC tries or Saga actions before the charge; `aborted` when the coordinator had to roll back. */
  private txFirstPhase(traceId: string, sPay: SeedSpan, at: number, ctx: readonly string[], tx: Tx, out: (s: SeedSpan) => void): { endMs: number; aborted: boolean } {
    const { plan } = tx;
    const last = plan.branches[plan.branches.length - 1];
    let t = at;
    if (plan.mode === 'saga') {
      for (const branch of plan.branches) {
        const fails = branch === last && plan.anomaly === 'failed_compensation';
        t = this.txCall(traceId, sPay, t, ctx, tx, branch, 'action', { fails }, out);
        if (!fails) continue;
        // The last action failed: compensate the ones before, in reverse; the compensation errors.
        for (const done of plan.branches.slice(0, -1).reverse()) {
          const compAt = t;
          t = this.txCall(traceId, sPay, t, ctx, tx, done, 'compensate', { fails: true }, out);
          tx.result.anomalies.push({ branch: done, kind: 'failed_compensation', at: compAt, injected: plan.anomalyCause === 'scenario' });
        }
        return { endMs: t, aborted: true };
      }
      return { endMs: t, aborted: false };
    }
    const lostTry = plan.anomaly === 'empty_rollback' || plan.anomaly === 'hanging';
    let lateTry = 0;
    for (const branch of plan.branches) {
      if (branch === last && lostTry) {
        // The try never reaches the branch (empty rollback), or only after its cancel (hanging).
        lateTry = t;
        if (plan.anomaly === 'empty_rollback') t = this.txCall(traceId, sPay, t, ctx, tx, branch, 'try', { lost: true }, out);
        else t += TX_TRY_TIMEOUT_MS;
      } else t = this.txCall(traceId, sPay, t, ctx, tx, branch, 'try', {}, out);
    }
    if (!lostTry) return { endMs: t, aborted: false };
    let cancelEnd = t;
    for (const branch of plan.branches) {
      const cancelAt = t;
      t = this.txCall(traceId, sPay, t, ctx, tx, branch, 'cancel', {}, out);
      if (branch === last) {
        cancelEnd = t;
        if (plan.anomaly === 'empty_rollback') tx.result.anomalies.push({ branch, kind: 'empty_rollback', at: cancelAt, injected: plan.anomalyCause === 'scenario' });
      }
    }
    if (plan.anomaly === 'hanging') {
      const tryAt = cancelEnd + this.rng.uniform(20, 400);
      this.txCall(traceId, sPay, lateTry, ctx, tx, last, 'try', { serverAt: tryAt }, out);
      tx.result.anomalies.push({ branch: last, kind: 'hanging', at: tryAt, injected: plan.anomalyCause === 'scenario' });
    }
    tx.settled = true;
    return { endMs: t, aborted: true };
  }

  /** Confirm (the payment succeeded) or cancel/compensate (it failed) every branch, unless the coordinator never gets to it. */
  private txSecondPhase(traceId: string, parent: SeedSpan, at: number, ctx: readonly string[], tx: Tx, phase: 'confirm' | 'cancel', out: (s: SeedSpan) => void): number {
    const { plan } = tx;
    if (tx.settled) return at;
    tx.settled = true;
    if (plan.anomaly === 'unfinished') return at;
    let t = at;
    const injected = plan.anomalyCause === 'scenario';
    if (plan.mode === 'saga') {
      if (phase === 'confirm') return at;
      for (const branch of [...plan.branches].reverse()) t = this.txCall(traceId, parent, t, ctx, tx, branch, 'compensate', {}, out);
      tx.result.cleanRollback = true;
      return t;
    }
    const last = plan.branches[plan.branches.length - 1];
    for (const branch of plan.branches) {
      if (phase === 'confirm' && branch === last && plan.anomaly === 'mixed_outcome') {
        t = this.txCall(traceId, parent, t, ctx, tx, branch, 'confirm', { fails: true }, out);
        const cancelAt = t;
        t = this.txCall(traceId, parent, t, ctx, tx, branch, 'cancel', {}, out);
        tx.result.anomalies.push({ branch, kind: 'mixed_outcome', at: cancelAt, injected });
      } else t = this.txCall(traceId, parent, t, ctx, tx, branch, phase, {}, out);
    }
    if (phase === 'cancel') tx.result.cleanRollback = true;
    return t;
  }

  /** Tries that no second phase followed (the coordinator never ran it, or never learnt the payment's result). */
  private txUnsettled(tx: Tx): void {
    const { plan } = tx;
    if (plan.mode !== 'tcc' || (tx.settled && plan.anomaly !== 'unfinished')) return;
    if (plan.anomaly === 'empty_rollback' || plan.anomaly === 'hanging') return;
    const injected = plan.anomaly === 'unfinished' && plan.anomalyCause === 'scenario';
    for (const branch of plan.branches) tx.result.anomalies.push({ branch, kind: 'unfinished', at: tx.tryAt, injected });
  }

  /** The gateway's notify call into payment (a new trace): order.confirm unless a duplicate, and the transaction's second phase. */
  private callback(d: Delivery, handling: CallbackHandling, ctx: readonly string[], confirmFailed: boolean, tx: Tx | null, out: (s: SeedSpan) => void): void {
    const rng = this.rng;
    const gw = GATEWAYS[d.gateway];
    const traceId = rng.hex(16);
    const route = `/callbacks/${gw.gateway}`;
    const notify = this.newSpan(traceId, '', gw.gateway as Service, 'POST', 'Client', SCOPE_HTTP, d.at, null);
    notify.attrs.push('http.request.method', 'POST', 'server.address', 'payment', 'url.full', `http://payment:8080${route}`);
    const sCb = this.newSpan(traceId, notify.spanId, 'payment', 'POST /callbacks/:gateway', 'Server', SCOPE_HTTP, d.at + rng.lognormal(NET_EXTERNAL_MS, 0.3), ctx);
    sCb.attrs.push(
      'http.request.method', 'POST', 'http.route', '/callbacks/:gateway', 'url.path', route, 'server.address', 'payment',
      'payment.stage', STAGES.gatewayCallback, 'payment.gateway', gw.gateway, 'payment.attempt', String(d.attempt), 'payment.provider_ref', d.ref,
      'payment.outcome', d.declineCode ? 'failed' : 'succeeded',
    );
    if (d.declineCode) sCb.attrs.push('payment.error_code', d.declineCode);
    if (handling.duplicate) sCb.attrs.push('payment.callback.duplicate', 'true');
    let t = sCb.startMs + rng.lognormal(1.2, 0.4);
    if (tx && handling.settles !== null) t = this.txSecondPhase(traceId, sCb, t, ctx, tx, handling.settles, out);
    if (handling.confirm !== null) {
      const cConf = this.clientSpan(traceId, sCb, 'payment', 'order', '/orders/confirm', t, ctx);
      const path = `/orders/${ctx[1]}/confirm`;
      const sConf = this.serverSpan(traceId, cConf, 'order', 'POST /orders/:id/confirm', '/orders/:id/confirm', path, t + rng.lognormal(NET_INTERNAL_MS, 0.4), ctx);
      sConf.attrs.push('payment.stage', STAGES.orderConfirm);
      const db = this.dbSpan(traceId, sConf, 'order', 'UPDATE', 'orders', 'UPDATE orders SET status = $1 WHERE id = $2', sConf.startMs + rng.lognormal(0.6, 0.4), rng.lognormal(3, 0.5), ctx);
      out(db);
      const tEnd = db.startMs + db.durationMs + rng.lognormal(0.5, 0.4);
      let status = 200;
      if (handling.confirm === 'cancelled') sConf.attrs.push('payment.outcome', 'cancelled');
      else if (handling.orderCancelled) {
        status = 409;
        sConf.attrs.push('payment.outcome', 'failed', 'payment.error_code', 'ORDER_CANCELLED');
      } else if (confirmFailed) {
        status = 500;
        sConf.attrs.push('payment.outcome', 'failed', 'payment.error_code', 'ORDER_STATE_CONFLICT');
      } else sConf.attrs.push('payment.outcome', 'succeeded');
      this.finishServer(sConf, tEnd, status);
      if (status !== 200) this.fail(sConf, handling.orderCancelled ? 'order already cancelled' : 'order state conflict');
      out(sConf);
      this.finishClient(cConf, tEnd + rng.lognormal(NET_INTERNAL_MS, 0.4), status);
      out(cConf);
      t = cConf.startMs + cConf.durationMs;
    }
    this.finishServer(sCb, t + rng.lognormal(0.6, 0.4), 200);
    out(sCb);
    notify.durationMs = sCb.startMs + sCb.durationMs - d.at + rng.lognormal(NET_EXTERNAL_MS, 0.3);
    notify.attrs.push('http.response.status_code', '200');
    out(notify);
  }

  private newSpan(
    traceId: string, parentSpanId: string, service: Service, name: string, kind: SpanKindName, scope: number,
    startMs: number, context: readonly string[] | null,
  ): SeedSpan {
    return {
      traceId, spanId: this.rng.hex(8), parentSpanId, startMs, durationMs: 0, service,
      resource: resourceIndex.get(service)! + this.rng.int(PODS_PER_SERVICE),
      name, kind, scope, context, attrs: [], status: 'Unset', statusMessage: '', events: null,
    };
  }

  private clientSpan(traceId: string, parent: SeedSpan, service: Service, target: Service, path: string, startMs: number, ctx: readonly string[]): SeedSpan {
    const s = this.newSpan(traceId, parent.spanId, service, 'POST', 'Client', SCOPE_HTTP, startMs, ctx);
    s.attrs.push('http.request.method', 'POST', 'server.address', target, 'url.full', `http://${target}:8080${path}`);
    return s;
  }

  private serverSpan(traceId: string, parent: SeedSpan, service: Service, name: string, route: string, path: string, startMs: number, ctx: readonly string[]): SeedSpan {
    const s = this.newSpan(traceId, parent.spanId, service, name, 'Server', SCOPE_HTTP, startMs, ctx);
    s.attrs.push('http.request.method', 'POST', 'http.route', route, 'url.path', path, 'server.address', service);
    return s;
  }

  private dbSpan(traceId: string, parent: SeedSpan, service: Service, op: string, table: string, text: string, startMs: number, durMs: number, ctx: readonly string[]): SeedSpan {
    const s = this.newSpan(traceId, parent.spanId, service, `${op} ${table}`, 'Client', SCOPE_PG, startMs, ctx);
    s.attrs.push(
      'db.system.name', 'postgresql', 'db.namespace', 'shop', 'db.operation.name', op, 'db.collection.name', table,
      'db.query.text', text, 'server.address', 'postgres',
    );
    s.durationMs = durMs;
    return s;
  }

  private finishServer(s: SeedSpan, endMs: number, status: number): void {
    s.durationMs = Math.max(0.001, endMs - s.startMs);
    s.attrs.push('http.response.status_code', String(status));
  }

  private finishClient(s: SeedSpan, endMs: number, status: number): void {
    s.durationMs = Math.max(0.001, endMs - s.startMs);
    s.attrs.push('http.response.status_code', String(status));
    if (status >= 400) {
      s.attrs.push('error.type', String(status));
      this.fail(s, '');
    }
  }

  private fail(s: SeedSpan, message: string): void {
    s.status = 'Error';
    s.statusMessage = message;
  }
}

/** A transaction being rendered. */
interface Tx {
  plan: TxPlan;
  id: string;
  result: TxResult;
  /** Its second phase ran (or the coordinator gave up on it in the first). */
  settled?: boolean;
  /** When the first phase began. */
  tryAt: number;
}

/** One gateway attempt as rendered. */
interface AttemptRender {
  attempt: number;
  gateway: Gateway;
  accepted: boolean;
  cls: ErrorClass | null;
  code: string;
  /** The provider's reference of the charge (accepted, or timed out: it may have charged all the same). */
  ref: string;
  syncSuccess: boolean;
  endMs: number;
  /** When the provider finished with the request (callbacks count from here). */
  providerDoneMs: number;
  callback: CallbackPlan | null;
  affected: boolean;
  failedByFault: boolean;
}

/** One delivery of a callback. */
interface Delivery {
  at: number;
  ref: string;
  attempt: number;
  gateway: Gateway;
  orderId: string;
  /** '' for a success. */
  declineCode: string;
  late: boolean;
  duplicate: boolean;
  syncSuccess: boolean;
}

function* pairs(flat: readonly string[]): Generator<[string, string]> {
  for (let i = 0; i < flat.length; i += 2) yield [flat[i], flat[i + 1]];
}

/**
 * Start times of `n` payments in [fromMs, toMs), ascending, following a daily traffic curve (busy
 * afternoons, quiet nights). Payment i's time only depends on i and the seed.
 */
export class ArrivalSchedule {
  private readonly cum: Float64Array;
  private readonly minutes: number;
  private readonly total: number;
  private readonly rng: Rng;
  private cursor = 0;

  constructor(readonly fromMs: number, readonly toMs: number, readonly n: number, seed: string) {
    this.minutes = Math.max(1, Math.ceil((toMs - fromMs) / 60_000));
    this.cum = new Float64Array(this.minutes + 1);
    for (let m = 0; m < this.minutes; m++) {
      const hour = new Date(fromMs + m * 60_000).getUTCHours() + 0.5;
      const w = 1 + 0.6 * Math.sin((2 * Math.PI * (hour - 9)) / 24);
      this.cum[m + 1] = this.cum[m] + w;
    }
    this.total = this.cum[this.minutes];
    this.rng = new Rng(`${seed}/arrivals`);
  }

  /** The start time of payment i (call with i = 0, 1, 2, ... in order). */
  at(i: number): number {
    const u = ((i + this.rng.next()) / this.n) * this.total;
    while (this.cursor < this.minutes - 1 && this.cum[this.cursor + 1] <= u) this.cursor++;
    const m = this.cursor;
    const frac = (u - this.cum[m]) / (this.cum[m + 1] - this.cum[m]);
    return Math.min(this.toMs - 1, this.fromMs + (m + Math.min(1, Math.max(0, frac))) * 60_000);
  }
}
