import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { txAnomaliesOf } from '../../test/helpers/sim-tx-anomalies';
import type { PaymentResult, SeedSpan } from './generate';
import { paymentStream } from './seed';
import { CHANNELS, ERROR_CLASSES, GATEWAYS, NETWORK_ERRORS, SERVICES, STAGES, type Gateway } from '../model/catalog';
import { SCENARIOS, type ScenarioName } from '../model/scenarios';

const END = Date.parse('2025-02-01T00:00:00Z');
const opts = (scenario: ScenarioName, payments = 3000, seed = 's1') => ({ payments, seed, fromMs: END - 8 * 3_600_000, toMs: END, scenario });

function run(o: ReturnType<typeof opts>) {
  const spans: SeedSpan[] = [];
  const results = [];
  const stream = paymentStream(o);
  for (let i = 0; i < o.payments; i++) results.push(stream.next((s) => spans.push(s)));
  return { spans, results, window: stream.generator.window };
}
const attr = (s: SeedSpan, k: string) => {
  const flat = [...(s.context ?? []), ...s.attrs];
  for (let i = 0; i < flat.length; i += 2) if (flat[i] === k) return flat[i + 1];
  return undefined;
};
const digest = (spans: SeedSpan[]) => crypto.createHash('sha256').update(JSON.stringify(spans)).digest('hex');

describe('seeded payments', () => {
  const base = run(opts('baseline'));

  it('are deterministic for a seed, and differ across seeds', () => {
    expect(digest(run(opts('baseline', 200)).spans)).toBe(digest(run(opts('baseline', 200)).spans));
    expect(digest(run(opts('baseline', 200, 's2')).spans)).not.toBe(digest(run(opts('baseline', 200)).spans));
  });

  it('have the documented shape: services, stages, channels, a root per trace, parents inside the trace', () => {
    const { spans } = base;
    expect(new Set(spans.map((s) => s.service))).toEqual(new Set(SERVICES));
    expect(new Set(spans.map((s) => attr(s, 'payment.stage')).filter(Boolean))).toEqual(new Set(Object.values(STAGES)));
    expect(new Set(spans.map((s) => attr(s, 'payment.channel')).filter(Boolean))).toEqual(new Set(CHANNELS.map((c) => c.channel)));
    const byTrace = new Map<string, SeedSpan[]>();
    for (const s of spans) (byTrace.get(s.traceId) ?? byTrace.set(s.traceId, []).get(s.traceId)!).push(s);
    for (const list of byTrace.values()) {
      const ids = new Set(list.map((s) => s.spanId));
      expect(list.filter((s) => s.parentSpanId === '').length).toBe(1);
      for (const s of list) if (s.parentSpanId) expect(ids.has(s.parentSpanId)).toBe(true);
      for (const s of list) {
        const p = list.find((x) => x.spanId === s.parentSpanId);
        if (p) expect(s.startMs).toBeGreaterThanOrEqual(p.startMs);
      }
    }
    // about 21 spans per payment, 2 traces per payment (checkout + callback)
    expect(spans.length / base.results.length).toBeGreaterThan(18);
    expect(spans.length / base.results.length).toBeLessThan(23);
    expect(byTrace.size / base.results.length).toBeGreaterThan(1.8);
  });

  it('deliver the callback in a new trace carrying the order id; sometimes twice, sometimes never', () => {
    const { spans, results } = base;
    const byOrder = new Map<string, SeedSpan[]>();
    for (const s of spans) {
      const o = attr(s, 'payment.order_id');
      if (o) (byOrder.get(o) ?? byOrder.set(o, []).get(o)!).push(s);
    }
    let crossTrace = 0;
    for (const r of results) {
      const list = byOrder.get(r.orderId)!;
      const req = list.find((s) => attr(s, 'payment.stage') === STAGES.gatewayRequest);
      const cbs = list.filter((s) => attr(s, 'payment.stage') === STAGES.gatewayCallback);
      if (r.lostCallback || r.callbackPending) expect(cbs.length).toBe(0);
      if (r.duplicateCallback) expect(cbs.length).toBe(2);
      for (const cb of cbs) {
        expect(cb.traceId).not.toBe(req!.traceId);
        expect(cb.startMs).toBeGreaterThan(req!.startMs + req!.durationMs);
        crossTrace++;
      }
    }
    expect(crossTrace).toBeGreaterThan(results.length * 0.85);
    expect(results.filter((r) => r.lostCallback).length).toBeGreaterThan(0);
    expect(results.filter((r) => r.duplicateCallback).length).toBeGreaterThan(0);
  });

  it('give gateway errors the provider\'s own code of every class, network failures no status, and mark timeouts', () => {
    const reqs = base.spans.filter((s) => attr(s, 'payment.stage') === STAGES.gatewayRequest);
    const failed = reqs.filter((s) => s.status === 'Error');
    const classes = new Map<string, Set<string>>();
    for (const s of failed) {
      const gateway = attr(s, 'payment.gateway') as Gateway;
      let cls: string;
      if (attr(s, 'error.type') === 'timeout') {
        expect(attr(s, 'payment.timeout')).toBe('true');
        cls = 'timeout';
      } else if (NETWORK_ERRORS.includes(attr(s, 'error.type') as never)) {
        expect(attr(s, 'http.response.status_code')).toBeUndefined();
        cls = 'network';
      } else {
        const code = attr(s, 'payment.error_code');
        const entry = Object.entries(GATEWAYS[gateway].requestErrors).find(([, e]) => e.codes.some((c) => c.code === code));
        expect(entry, `${gateway} ${code}`).toBeDefined();
        expect(attr(s, 'http.response.status_code')).toBe(String(entry![1].codes.find((c) => c.code === code)!.status));
        cls = entry![0];
      }
      (classes.get(gateway) ?? classes.set(gateway, new Set()).get(gateway)!).add(cls);
    }
    expect(new Set([...classes.values()].flatMap((c) => [...c]))).toEqual(new Set(ERROR_CLASSES));
    for (const g of ['alipay', 'wechatpay', 'stripe', 'paypal']) expect([...classes.get(g)!].length, g).toBeGreaterThanOrEqual(4);
    // the truth counts the same failures
    const truthCount = base.results.flatMap((r) => r.attempts).filter((a) => a.errorClass !== null).length;
    expect(truthCount).toBe(failed.length);
  });

  it('carry amounts in major units and ISO currencies, and the payer attributes on checkout', () => {
    const roots = base.spans.filter((s) => s.name === 'POST /api/checkout');
    const currencies = new Set(roots.map((s) => attr(s, 'payment.currency')));
    expect(currencies).toEqual(new Set(['USD', 'EUR', 'GBP', 'JPY', 'CNY']));
    for (const s of roots) {
      const amount = attr(s, 'payment.amount')!;
      expect(amount).toMatch(attr(s, 'payment.currency') === 'JPY' ? /^\d+$/ : /^\d+\.\d\d$/);
      expect(attr(s, 'app.version')).toBeTruthy();
      expect(attr(s, 'payment.country')).toMatch(/^[A-Z]{2}$/);
      expect(attr(s, 'payment.card.issuer') !== undefined).toBe(attr(s, 'payment.channel') === 'card');
    }
  });

  it('charge twice only where the truth says so: two fulfilled successes with different provider references', () => {
    const { spans, results } = run(opts('double-charge'));
    const byOrder = new Map<string, SeedSpan[]>();
    for (const s of spans) {
      const o = attr(s, 'payment.order_id');
      if (o) (byOrder.get(o) ?? byOrder.set(o, []).get(o)!).push(s);
    }
    let doubles = 0;
    for (const r of results) {
      const list = byOrder.get(r.orderId)!;
      const confirmed = new Set(list.filter((s) => attr(s, 'payment.stage') === STAGES.orderConfirm).map((s) => s.traceId));
      const fulfilled = list.filter((s) => attr(s, 'payment.stage') === STAGES.gatewayCallback && attr(s, 'payment.outcome') === 'succeeded' && confirmed.has(s.traceId));
      const refs = new Set(fulfilled.map((s) => attr(s, 'payment.provider_ref')));
      expect(refs.size, r.orderId).toBe(r.charges);
      // a repeated delivery confirms nothing
      for (const d of list.filter((s) => attr(s, 'payment.callback.duplicate') === 'true')) expect(confirmed.has(d.traceId)).toBe(false);
      if (r.charges > 1) doubles++;
    }
    expect(doubles).toBeGreaterThan(10);
  });

  it('show exactly the transaction anomalies the truth lists', () => {
    const { spans, results } = run(opts('tx-anomalies'));
    const want = new Set(results.flatMap((r) => (r.tx?.anomalies ?? []).map((a) => `${r.tx!.txId} ${a.branch} ${a.kind}`)));
    const got = new Set(
      txAnomaliesOf(
        spans
          .filter((s) => s.kind === 'Server' && attr(s, 'payment.tx.id'))
          .map((s) => ({ txId: attr(s, 'payment.tx.id')!, branch: attr(s, 'payment.tx.branch')!, phase: attr(s, 'payment.tx.phase')!, startMs: s.startMs, error: s.status === 'Error' })),
      ),
    );
    expect(got).toEqual(want);
    expect(new Set([...want].map((k) => k.split(' ')[2]))).toEqual(new Set(['empty_rollback', 'hanging', 'unfinished', 'mixed_outcome', 'failed_compensation']));
    expect(results.some((r) => r.tx?.cleanRollback && r.tx.anomalies.length === 0)).toBe(true);
  });

  const inWindow = (w: { fromMs: number; toMs: number }, s: SeedSpan) => s.startMs >= w.fromMs && s.startMs < w.toMs;
  const rate = (list: SeedSpan[], f: (s: SeedSpan) => boolean) => list.filter(f).length / Math.max(1, list.length);

  it.each([
    ['gateway-degraded', (r: ReturnType<typeof run>) => {
      const wx = r.spans.filter((s) => attr(s, 'payment.stage') === STAGES.gatewayRequest && attr(s, 'payment.gateway') === 'wechatpay');
      const err = (s: SeedSpan) => s.status === 'Error';
      return [rate(wx.filter((s) => inWindow(r.window, s)), err), rate(wx.filter((s) => !inWindow(r.window, s)), err)];
    }],
    ['lost-callbacks', (r: ReturnType<typeof run>) => {
      const pp = r.results.filter((x) => x.gateway === 'paypal');
      const lostIn = r.results.filter((x) => x.gateway === 'paypal' && x.affected);
      return [lostIn.filter((x) => x.lostCallback).length / lostIn.length, pp.filter((x) => !x.affected && x.lostCallback).length / pp.length];
    }],
    ['slow-db', (r: ReturnType<typeof run>) => {
      const db = r.spans.filter((s) => s.service === 'inventory' && s.kind === 'Client');
      const med = (l: SeedSpan[]) => l.map((s) => s.durationMs).sort((a, b) => a - b)[l.length >> 1];
      return [med(db.filter((s) => inWindow(r.window, s))), med(db.filter((s) => !inWindow(r.window, s)))];
    }],
    ['decline-wave', (r: ReturnType<typeof run>) => {
      const st = r.spans.filter((s) => attr(s, 'payment.stage') === STAGES.gatewayRequest && attr(s, 'payment.gateway') === 'stripe');
      const decline = (s: SeedSpan) => GATEWAYS.stripe.requestErrors.decline.codes.some((c) => c.code === attr(s, 'payment.error_code'));
      return [rate(st.filter((s) => inWindow(r.window, s)), decline), rate(st.filter((s) => !inWindow(r.window, s)), decline)];
    }],
    ['gateway-failover', (r: ReturnType<typeof run>) => {
      const card = (inside: boolean) => r.results.filter((x) => x.channel === 'card' && x.affected === inside);
      const failover = (x: PaymentResult) => x.attempts.length > 1 && x.attempts[0].gateway === 'stripe' && x.attempts.at(-1)!.gateway === 'adyen';
      return [card(true).filter(failover).length / card(true).length, card(false).filter(failover).length / card(false).length];
    }],
    ['double-charge', (r: ReturnType<typeof run>) => {
      const card = (inside: boolean) => r.results.filter((x) => x.channel === 'card' && x.affected === inside);
      return [card(true).filter((x) => x.charges > 1).length / card(true).length, card(false).filter((x) => x.charges > 1).length / card(false).length];
    }],
    ['issuer-skew', (r: ReturnType<typeof run>) => {
      const capital = r.results.filter((x) => x.attributes['payment.card.issuer'] === 'Capital One');
      const declined = (x: PaymentResult) => x.failedClass === 'decline';
      return [capital.filter((x) => x.affected).filter(declined).length / capital.filter((x) => x.affected).length, capital.filter((x) => !x.affected).filter(declined).length / capital.filter((x) => !x.affected).length];
    }],
    ['timeout-misconfig', (r: ReturnType<typeof run>) => {
      const card = r.spans.filter((s) => attr(s, 'payment.stage') === STAGES.gatewayRequest && attr(s, 'payment.gateway') === 'stripe');
      const tmo = (s: SeedSpan) => attr(s, 'error.type') === 'timeout';
      return [rate(card.filter((s) => inWindow(r.window, s)), tmo), rate(card.filter((s) => !inWindow(r.window, s)), tmo)];
    }],
  ] as const)('%s changes its target inside the window only', (name, measure) => {
    const r = run(opts(name as ScenarioName));
    const [inside, outside] = measure(r);
    expect(inside, `${name}: inside ${inside}, outside ${outside}`).toBeGreaterThan(outside * 4);
    expect(SCENARIOS[name as ScenarioName].description).toBeTruthy();
    // ground truth: the affected orders are the target's orders inside the window
    expect(r.results.some((x) => x.affected)).toBe(true);
  });
});

