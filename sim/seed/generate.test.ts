import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { SeedSpan } from './generate';
import { paymentStream } from './seed';
import { SCENARIOS, type ScenarioName } from '../model/scenarios';
import { CHANNELS, SERVICES, STAGES } from '../model/catalog';

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
    // about 19 spans per payment, 2 traces per payment (checkout + callback)
    expect(spans.length / base.results.length).toBeGreaterThan(17);
    expect(spans.length / base.results.length).toBeLessThan(21);
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

  it('give gateway errors provider error codes and mark timeouts', () => {
    const reqs = base.spans.filter((s) => attr(s, 'payment.stage') === STAGES.gatewayRequest);
    const failed = reqs.filter((s) => s.status === 'Error');
    expect(failed.length).toBeGreaterThan(0);
    for (const s of failed) {
      if (attr(s, 'error.type') === 'timeout') expect(attr(s, 'payment.timeout')).toBe('true');
      else expect(attr(s, 'payment.error_code')).toBeTruthy();
    }
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
