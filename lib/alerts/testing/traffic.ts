import type { FixtureSpan } from '../../../test/helpers/fixtures';

/**
 * Gateway traffic written by hand for the alert tests: per gateway, one payment every `everyMs`
 * (a gateway.request CLIENT span of the channel's adapter, then the gateway's callback 2 s later),
 * with what fails decided per request by `fault` — so the right answer of every evaluation is known.
 *
 *   t ─────────────────────────────────────────────────────────►
 *   adapter-card  CLIENT gateway.request  api.stripe.com  200 ms   (Error + code when it fails)
 *                         payment  SERVER gateway.callback  outcome succeeded   (+2 s, accepted ones)
 */

export const GATEWAYS = [
  { gateway: 'stripe', channel: 'card', host: 'api.stripe.com', currency: 'USD' },
  { gateway: 'paypal', channel: 'paypal', host: 'api-m.paypal.com', currency: 'EUR' },
  { gateway: 'alipay', channel: 'alipay', host: 'openapi.alipay.com', currency: 'CNY' },
] as const;

export type Outcome = 'ok' | 'provider_error' | 'decline' | 'lost_callback';

/** What happens to request `i` of `gateway` at time `t` (ms after t0). */
export type Fault = (gateway: string, t: number, i: number) => Outcome;

/** Baseline: 1 in 100 requests a provider error, everything else accepted and called back. */
export const baselineFault: Fault = (_g, _t, i) => (i % 100 === 37 ? 'provider_error' : 'ok');

export function gatewayTraffic(fromMs: number, toMs: number, everyMs: number, fault: Fault, tag = 't'): FixtureSpan[] {
  const spans: FixtureSpan[] = [];
  for (const g of GATEWAYS) {
    let i = Math.floor(fromMs / everyMs);
    for (let t = i * everyMs; t < toMs; t += everyMs, i++) {
      if (t < fromMs) continue;
      const outcome = fault(g.gateway, t, i);
      const order = `${tag}-${g.gateway}-${i}`;
      const common = { 'payment.order_id': order, 'payment.channel': g.channel, 'payment.gateway': g.gateway, 'payment.amount': '10.00', 'payment.currency': g.currency };
      const failed = outcome === 'provider_error' || outcome === 'decline';
      spans.push({
        trace: `${order}-1`, id: `${order}-req`, service: `adapter-${g.channel}`, name: 'POST', kind: 'Client', start: t, dur: 180 + (i % 7) * 10,
        status: failed ? 'Error' : 'Unset',
        attrs: {
          ...common, 'payment.stage': 'gateway.request', 'server.address': g.host, 'http.request.method': 'POST',
          ...(outcome === 'provider_error' ? { 'payment.error_code': 'api_error', 'http.response.status_code': '503', 'error.type': '503' } : {}),
          ...(outcome === 'decline' ? { 'payment.error_code': 'card_declined', 'http.response.status_code': '402', 'error.type': '402', 'payment.outcome': 'failed' } : {}),
          ...(!failed ? { 'http.response.status_code': '200', 'payment.outcome': 'pending' } : {}),
        },
      });
      if (!failed && outcome !== 'lost_callback') {
        spans.push({
          trace: `${order}-2`, id: `${order}-cb`, service: 'payment', name: 'POST /callbacks/:gateway', start: t + 2000, dur: 20,
          attrs: { ...common, 'payment.stage': 'gateway.callback', 'payment.outcome': 'succeeded' },
        });
      }
    }
  }
  return spans;
}
