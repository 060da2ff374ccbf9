import { BASELINE, GATEWAYS, STAGES, type ChannelProfile, type GatewayProfile, type Service } from '../model/catalog';
import { callerTimeout, confirmFails, newPayment, orderDbMs, providerAnswer, providerCallback, reserveStock, scoreRisk } from '../model/payment';
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
  const services: Service[] = [
    'checkout', 'order', 'inventory', 'risk', 'payment',
    'adapter-alipay', 'adapter-wechatpay', 'adapter-card', 'adapter-paypal',
    'alipay', 'wechatpay', 'stripe', 'paypal',
  ];
  for (const service of services) {
    for (let pod = 0; pod < PODS_PER_SERVICE; pod++) {
      const mock = service === 'alipay' || service === 'wechatpay' || service === 'stripe' || service === 'paypal';
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

/** What happened to one payment (for counting and ground truth). */
export interface PaymentResult {
  orderId: string;
  channel: string;
  gateway: string;
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
    const { channel: ch, currency, amount } = newPayment(rng);
    const gw: GatewayProfile = GATEWAYS[ch.gateway];
    const inWindow = startMs >= this.window.fromMs && startMs < this.window.toMs;
    // The scenario applies inside its window; the baseline everywhere else.
    const sc = inWindow ? this.scenario : SCENARIOS.baseline;
    const orderId = 'ord_' + rng.hex(6);
    const ctx = ['payment.order_id', orderId, 'payment.channel', ch.channel, 'payment.amount', amount, 'payment.currency', currency];
    const res: PaymentResult = {
      orderId, channel: ch.channel, gateway: gw.gateway, traces: 1, spans: 0, affected: false, failedByFault: false,
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

    // ── payment.submit → adapter → gateway.request ─────────────────────────────────
    const cPay = this.clientSpan(traceId, root, 'checkout', 'payment', '/payments', t, ctx);
    const sPay = this.serverSpan(traceId, cPay, 'payment', 'POST /payments', '/payments', '/payments', t + net(), ctx);
    sPay.attrs.push('payment.stage', STAGES.paymentSubmit, 'payment.gateway', gw.gateway);
    const tp = sPay.startMs + rng.lognormal(1.5, 0.4);
    const cAd = this.clientSpan(traceId, sPay, 'payment', ch.adapter as Service, '/pay', tp, ctx);
    const sAd = this.serverSpan(traceId, cAd, ch.adapter as Service, 'POST /pay', '/pay', '/pay', tp + net(), ctx);
    sAd.attrs.push('payment.gateway', gw.gateway);
    const ta = sAd.startMs + rng.lognormal(1, 0.4);

    const { timeoutMs, misconfigured } = callerTimeout(ch.adapter, BASELINE, sc);
    const answer = providerAnswer(rng, gw.gateway, sc);
    if (misconfigured || answer.degraded) res.affected = true;
    const latency = answer.latencyMs;
    const providerError = answer.error !== null;
    const netOut = rng.lognormal(NET_EXTERNAL_MS, 0.3);
    const netBack = rng.lognormal(NET_EXTERNAL_MS, 0.3);
    const timedOut = !providerError && netOut + latency + netBack > timeoutMs;

    const cGw = this.newSpan(traceId, sAd.spanId, ch.adapter as Service, 'POST', 'Client', SCOPE_HTTP, ta, ctx);
    cGw.attrs.push(
      'http.request.method', 'POST', 'server.address', gw.host, 'url.full', `https://${gw.host}${gw.path}`,
      'payment.stage', STAGES.gatewayRequest, 'payment.gateway', gw.gateway,
    );
    const sGw = this.newSpan(traceId, cGw.spanId, gw.gateway as Service, `POST ${gw.path}`, 'Server', SCOPE_HTTP, ta + netOut, ctx);
    sGw.attrs.push('http.request.method', 'POST', 'http.route', gw.path, 'url.path', gw.path, 'server.address', gw.host);
    sGw.durationMs = latency;
    const errorCode = answer.error?.code ?? '';
    const gwStatus = answer.error?.status ?? 200;
    sGw.attrs.push('http.response.status_code', String(gwStatus));
    if (gwStatus >= 500) this.fail(sGw, errorCode);
    out(sGw);
    if (timedOut) {
      res.timedOut = true;
      cGw.durationMs = timeoutMs;
      cGw.attrs.push('error.type', 'timeout', 'payment.timeout', 'true');
      this.fail(cGw, 'timeout');
      cGw.events = [{ timeMs: ta + timeoutMs, name: 'exception', attrs: ['exception.type', 'TimeoutError', 'exception.message', `request to ${gw.host} timed out after ${timeoutMs} ms`] }];
      if (misconfigured || answer.degraded) res.failedByFault = true;
    } else {
      cGw.durationMs = netOut + latency + netBack;
      cGw.attrs.push('http.response.status_code', String(gwStatus));
      if (providerError) {
        cGw.attrs.push('error.type', String(gwStatus), 'payment.error_code', errorCode, 'payment.outcome', 'failed');
        this.fail(cGw, `${gw.gateway} ${errorCode}`);
        if (answer.error!.cause === 'scenario') res.failedByFault = true;
      }
    }
    out(cGw);
    const tAdEnd = cGw.startMs + cGw.durationMs + rng.lognormal(0.8, 0.4);
    const failedSync = providerError || res.timedOut;
    const adStatus = res.timedOut ? 504 : providerError ? 502 : 202;
    this.finishServer(sAd, tAdEnd, adStatus);
    if (adStatus >= 500) this.fail(sAd, res.timedOut ? 'gateway timeout' : `${gw.gateway} ${errorCode}`);
    out(sAd);
    this.finishClient(cAd, tAdEnd + net(), adStatus);
    out(cAd);
    const tPayEnd = cAd.startMs + cAd.durationMs + rng.lognormal(1.2, 0.4);
    this.finishServer(sPay, tPayEnd, failedSync ? 502 : 202);
    if (failedSync) {
      this.fail(sPay, res.timedOut ? 'gateway timeout' : `${gw.gateway} ${errorCode}`);
      sPay.attrs.push('payment.outcome', 'failed', 'payment.error_code', res.timedOut ? 'GATEWAY_TIMEOUT' : errorCode);
    } else sPay.attrs.push('payment.outcome', 'pending');
    out(sPay);
    this.finishClient(cPay, tPayEnd + net(), failedSync ? 502 : 202);
    out(cPay);
    const rootStatus = failedSync ? 502 : 202;
    this.finishServer(root, cPay.startMs + cPay.durationMs + rng.lognormal(0.8, 0.4), rootStatus);
    if (rootStatus >= 500) this.fail(root, 'payment failed');
    out(root);

    // ── callback(s), each in a new trace ────────────────────────────────────────────
    if (providerError) return res;
    const cb = providerCallback(rng, gw.gateway, BASELINE, sc, res.timedOut);
    if (cb.losing) res.affected = true;
    if (cb.lost !== null) {
      res.lostCallback = true;
      if (cb.lost === 'scenario') res.failedByFault = true;
      return res;
    }
    const cbAt = sGw.startMs + sGw.durationMs + cb.delayMs;
    // Not arrived yet at the end of the seeded range: the payment is still waiting.
    if (cbAt >= this.toMs) {
      res.callbackPending = true;
      return res;
    }
    res.lateCallback = cb.late;
    const declineCode = cb.declineCode ?? '';
    const confirmFailed = !declineCode && confirmFails(rng, BASELINE);
    this.callback(cbAt, ch, gw, ctx, false, declineCode, res.timedOut, confirmFailed, out);
    res.traces++;
    if (!declineCode && (confirmFailed || res.timedOut)) res.inconsistent = true;
    const dupAt = cb.duplicateDelayMs === null ? Infinity : sGw.startMs + sGw.durationMs + cb.duplicateDelayMs;
    if (dupAt < this.toMs) {
      res.duplicateCallback = true;
      this.callback(dupAt, ch, gw, ctx, true, declineCode, res.timedOut, false, out);
      res.traces++;
    }
    return res;
  }

  /** The gateway's notify call into payment (a new trace), and order.confirm on the first one. */
  private callback(
    at: number, ch: ChannelProfile, gw: GatewayProfile, ctx: string[], duplicate: boolean,
    declineCode: string, orderCancelled: boolean, confirmFails: boolean, out: (s: SeedSpan) => void,
  ): void {
    const rng = this.rng;
    const traceId = rng.hex(16);
    const route = `/callbacks/${gw.gateway}`;
    const notify = this.newSpan(traceId, '', gw.gateway as Service, 'POST', 'Client', SCOPE_HTTP, at, null);
    notify.attrs.push('http.request.method', 'POST', 'server.address', 'payment', 'url.full', `http://payment:8080${route}`);
    const sCb = this.newSpan(traceId, notify.spanId, 'payment', 'POST /callbacks/:gateway', 'Server', SCOPE_HTTP, at + rng.lognormal(NET_EXTERNAL_MS, 0.3), ctx);
    sCb.attrs.push(
      'http.request.method', 'POST', 'http.route', '/callbacks/:gateway', 'url.path', route, 'server.address', 'payment',
      'payment.stage', STAGES.gatewayCallback, 'payment.gateway', gw.gateway,
      'payment.outcome', declineCode ? 'failed' : 'succeeded',
    );
    if (declineCode) sCb.attrs.push('payment.error_code', declineCode);
    if (duplicate) sCb.attrs.push('payment.callback.duplicate', 'true');
    let t = sCb.startMs + rng.lognormal(1.2, 0.4);
    if (!duplicate) {
      const cConf = this.clientSpan(traceId, sCb, 'payment', 'order', '/orders/confirm', t, ctx);
      const path = `/orders/${ctx[1]}/confirm`;
      const sConf = this.serverSpan(traceId, cConf, 'order', 'POST /orders/:id/confirm', '/orders/:id/confirm', path, t + rng.lognormal(NET_INTERNAL_MS, 0.4), ctx);
      sConf.attrs.push('payment.stage', STAGES.orderConfirm);
      const db = this.dbSpan(traceId, sConf, 'order', 'UPDATE', 'orders', 'UPDATE orders SET status = $1 WHERE id = $2', sConf.startMs + rng.lognormal(0.6, 0.4), rng.lognormal(3, 0.5), ctx);
      out(db);
      const tEnd = db.startMs + db.durationMs + rng.lognormal(0.5, 0.4);
      let status = 200;
      if (declineCode) sConf.attrs.push('payment.outcome', 'cancelled');
      else if (orderCancelled) {
        status = 409;
        sConf.attrs.push('payment.outcome', 'failed', 'payment.error_code', 'ORDER_CANCELLED');
      } else if (confirmFails) {
        status = 500;
        sConf.attrs.push('payment.outcome', 'failed', 'payment.error_code', 'ORDER_STATE_CONFLICT');
      } else sConf.attrs.push('payment.outcome', 'succeeded');
      this.finishServer(sConf, tEnd, status);
      if (status !== 200) this.fail(sConf, orderCancelled ? 'order already cancelled' : 'order state conflict');
      out(sConf);
      this.finishClient(cConf, tEnd + rng.lognormal(NET_INTERNAL_MS, 0.4), status);
      out(cConf);
      t = cConf.startMs + cConf.durationMs;
    }
    this.finishServer(sCb, t + rng.lognormal(0.6, 0.4), 200);
    out(sCb);
    notify.durationMs = sCb.startMs + sCb.durationMs - at + rng.lognormal(NET_EXTERNAL_MS, 0.3);
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
