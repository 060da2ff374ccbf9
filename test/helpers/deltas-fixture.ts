import type { FixtureSpan } from './fixtures';

/**
 * Forty card payments for the deltas tests (lib/queries/deltas.test.ts, lib/api/deltas.test.ts), one a
 * minute from DELTAS_T0 + 1 min; the tests' range is [T0, T0 + 1 h):
 *
 *   i       issuer       amount     outcome                      host (resource)
 *   0–11    Big Bank     250.00     failed at payment.submit     pod-fast
 *   12–19   Big Bank     250.00     succeeded, 500 ms            pod-fast
 *   20–21   Other Bank    20.00     failed                       pod-fast
 *   22–24   Other Bank    20.00     request accepted, no callback (stuck past a 300 s SLA)
 *   25–31   Other Bank    20.00     succeeded, 5000 ms           pod-slow
 *   32–38   Other Bank    20.00     succeeded, 500 ms            pod-fast
 *   39      Rare Bank     20.00     failed                       pod-fast
 *
 * failed: 15 (Big 12, Other 2, Rare 1) against 25 others (Big 8, Other 17).
 */
export const DELTAS_T0 = Date.parse('2025-06-01T08:00:00Z');

export interface DeltasPayment { i: number; issuer: string; amount: string; kind: 'failed' | 'stuck' | 'ok'; e2e: number; host: string }
export const DELTAS_PAYMENTS: DeltasPayment[] = Array.from({ length: 40 }, (_, i) => {
  const issuer = i < 20 ? 'Big Bank' : i < 39 ? 'Other Bank' : 'Rare Bank';
  const kind = i < 12 || i === 20 || i === 21 || i === 39 ? 'failed' : i >= 22 && i <= 24 ? 'stuck' : 'ok';
  const slow = i >= 25 && i <= 31;
  return { i, issuer, amount: issuer === 'Big Bank' ? '250.00' : '20.00', kind, e2e: slow ? 5000 : 500, host: slow ? 'pod-slow' : 'pod-fast' };
});

function spansOf(p: DeltasPayment): FixtureSpan[] {
  const s = (p.i + 1) * 60_000;
  const base = { 'payment.order_id': `ord${p.i}`, 'payment.channel': 'card', 'payment.amount': p.amount, 'payment.currency': 'USD' };
  const trace = `p${p.i}`;
  const out: FixtureSpan[] = [{
    trace, id: `r${p.i}`, service: 'checkout', name: 'POST /checkout', start: s, dur: 100,
    attrs: { ...base, 'payment.stage': 'order.create', 'payment.card.issuer': p.issuer }, resource: { 'host.name': p.host, 'service.version': '1.0' },
  }];
  if (p.kind === 'failed') {
    out.push({ trace, id: `s${p.i}`, parent: `r${p.i}`, service: 'payment', name: 'POST /payments', start: s + 10, dur: 50, status: 'Error',
      attrs: { ...base, 'payment.stage': 'payment.submit', 'payment.outcome': 'failed', 'payment.error_code': 'do_not_honor' } });
    return out;
  }
  out.push(
    { trace, id: `s${p.i}`, parent: `r${p.i}`, service: 'payment', name: 'POST /payments', start: s + 10, dur: 80, attrs: { ...base, 'payment.stage': 'payment.submit' } },
    { trace, id: `g${p.i}`, parent: `s${p.i}`, service: 'adapter', name: 'POST', kind: 'Client', start: s + 20, dur: 50,
      attrs: { ...base, 'payment.stage': 'gateway.request', 'payment.gateway': 'stripe', 'payment.outcome': 'pending' } },
  );
  if (p.kind === 'ok') {
    out.push(
      { trace: `${trace}-cb`, id: `c${p.i}`, service: 'payment', name: 'POST /callbacks/:gateway', start: s + p.e2e - 50, dur: 40,
        attrs: { ...base, 'payment.stage': 'gateway.callback', 'payment.gateway': 'stripe', 'payment.outcome': 'succeeded' } },
      { trace: `${trace}-cb`, id: `o${p.i}`, parent: `c${p.i}`, service: 'order', name: 'POST /orders/:id/confirm', start: s + p.e2e - 20, dur: 20,
        attrs: { ...base, 'payment.stage': 'order.confirm', 'payment.outcome': 'succeeded' } },
    );
  }
  return out;
}
export const DELTAS_FIXTURE: FixtureSpan[] = DELTAS_PAYMENTS.flatMap(spansOf);

