import type { FixtureSpan } from './fixtures';

/**
 * Five hand-made payments (times in ms after T0) whose analytics were worked out by hand in
 * lib/queries/hand-fixtures.test.ts:
 *
 *   A alipay   create ─ submit ─ request ··· callback (new trace) ─ confirm            succeeded
 *   B card     create ─ submit ─ request (stripe)  ··· no callback                      stuck
 *   C card     create ─ submit ─ request (stripe, card_declined)                        failed
 *   D wechat   create ─ submit ─ request ··· callback ─ confirm FAILS ··· 2nd callback  inconsistent, duplicate
 *   E paypal   create ─ submit ─ request TIMES OUT ··· callback ─ confirm FAILS         inconsistent
 *
 * And at T0 + 2 h one trace drawn for the hops (lib/analytics/hops.test.ts's diagram).
 */
export const HAND_T0 = Date.parse('2025-03-01T10:00:00Z');
export const HOPS_T0 = HAND_T0 + 2 * 3_600_000;

const ctx = (order: string, channel: string) => ({ 'payment.order_id': order, 'payment.channel': channel });
const stage = (order: string, channel: string, s: string, more: Record<string, string> = {}) => ({ ...ctx(order, channel), 'payment.stage': s, ...more });

export const PAYMENTS_FIXTURE: FixtureSpan[] = [
  // A: alipay, succeeded; the gateway is known from the host only.
  { trace: 'A1', id: 'a.root', service: 'checkout', name: 'POST /api/checkout', start: 0, dur: 600, attrs: ctx('ord_A', 'alipay') },
  { trace: 'A1', id: 'a.c1', parent: 'a.root', service: 'checkout', name: 'POST', kind: 'Client', start: 10, dur: 100, attrs: { ...ctx('ord_A', 'alipay'), 'server.address': 'order' } },
  { trace: 'A1', id: 'a.oc', parent: 'a.c1', service: 'order', name: 'POST /orders', start: 20, dur: 80, attrs: stage('ord_A', 'alipay', 'order.create') },
  { trace: 'A1', id: 'a.c2', parent: 'a.root', service: 'checkout', name: 'POST', kind: 'Client', start: 120, dur: 470, attrs: { ...ctx('ord_A', 'alipay'), 'server.address': 'payment' } },
  { trace: 'A1', id: 'a.ps', parent: 'a.c2', service: 'payment', name: 'POST /payments', start: 130, dur: 450, attrs: stage('ord_A', 'alipay', 'payment.submit') },
  { trace: 'A1', id: 'a.gr', parent: 'a.ps', service: 'payment', name: 'POST', kind: 'Client', start: 200, dur: 300, attrs: stage('ord_A', 'alipay', 'gateway.request', { 'server.address': 'openapi.alipay.com' }) },
  { trace: 'A2', id: 'a.cb', service: 'payment', name: 'POST /callbacks/:gateway', start: 3000, dur: 50, attrs: stage('ord_A', 'alipay', 'gateway.callback', { 'payment.outcome': 'succeeded' }) },
  { trace: 'A2', id: 'a.c3', parent: 'a.cb', service: 'payment', name: 'POST', kind: 'Client', start: 3010, dur: 30, attrs: { ...ctx('ord_A', 'alipay'), 'server.address': 'order' } },
  { trace: 'A2', id: 'a.cf', parent: 'a.c3', service: 'order', name: 'POST /orders/:id/confirm', start: 3015, dur: 20, attrs: stage('ord_A', 'alipay', 'order.confirm', { 'payment.outcome': 'succeeded' }) },

  // B: card via stripe; the gateway accepted the request and never called back.
  { trace: 'B1', id: 'b.root', service: 'checkout', name: 'POST /api/checkout', start: 60_000, dur: 700, attrs: ctx('ord_B', 'card') },
  { trace: 'B1', id: 'b.c1', parent: 'b.root', service: 'checkout', name: 'POST', kind: 'Client', start: 60_010, dur: 100, attrs: { ...ctx('ord_B', 'card'), 'server.address': 'order' } },
  { trace: 'B1', id: 'b.oc', parent: 'b.c1', service: 'order', name: 'POST /orders', start: 60_020, dur: 60, attrs: stage('ord_B', 'card', 'order.create') },
  { trace: 'B1', id: 'b.c2', parent: 'b.root', service: 'checkout', name: 'POST', kind: 'Client', start: 60_150, dur: 500, attrs: { ...ctx('ord_B', 'card'), 'server.address': 'payment' } },
  { trace: 'B1', id: 'b.ps', parent: 'b.c2', service: 'payment', name: 'POST /payments', start: 60_160, dur: 480, attrs: stage('ord_B', 'card', 'payment.submit') },
  { trace: 'B1', id: 'b.gr', parent: 'b.ps', service: 'payment', name: 'POST', kind: 'Client', start: 60_200, dur: 400, attrs: stage('ord_B', 'card', 'gateway.request', { 'payment.gateway': 'stripe', 'server.address': 'api.stripe.com' }) },

  // C: card via stripe, declined at once.
  { trace: 'C1', id: 'c.root', service: 'checkout', name: 'POST /api/checkout', start: 120_000, dur: 400, attrs: ctx('ord_C', 'card'), status: 'Error' },
  { trace: 'C1', id: 'c.oc', parent: 'c.root', service: 'order', name: 'POST /orders', start: 120_020, dur: 50, attrs: stage('ord_C', 'card', 'order.create') },
  { trace: 'C1', id: 'c.ps', parent: 'c.root', service: 'payment', name: 'POST /payments', start: 120_100, dur: 200, status: 'Error', attrs: stage('ord_C', 'card', 'payment.submit', { 'payment.outcome': 'failed' }) },
  {
    trace: 'C1', id: 'c.gr', parent: 'c.ps', service: 'payment', name: 'POST', kind: 'Client', start: 120_150, dur: 100, status: 'Error', statusMessage: 'stripe card_declined',
    attrs: stage('ord_C', 'card', 'gateway.request', { 'payment.gateway': 'stripe', 'server.address': 'api.stripe.com', 'error.type': '402', 'payment.error_code': 'card_declined' }),
  },

  // D: wechatpay; the order fails to confirm after the payment succeeded, and a second callback comes.
  { trace: 'D1', id: 'd.root', service: 'checkout', name: 'POST /api/checkout', start: 180_000, dur: 500, attrs: ctx('ord_D', 'wechatpay') },
  { trace: 'D1', id: 'd.oc', parent: 'd.root', service: 'order', name: 'POST /orders', start: 180_010, dur: 40, attrs: stage('ord_D', 'wechatpay', 'order.create') },
  { trace: 'D1', id: 'd.ps', parent: 'd.root', service: 'payment', name: 'POST /payments', start: 180_100, dur: 300, attrs: stage('ord_D', 'wechatpay', 'payment.submit') },
  { trace: 'D1', id: 'd.gr', parent: 'd.ps', service: 'payment', name: 'POST', kind: 'Client', start: 180_150, dur: 200, attrs: stage('ord_D', 'wechatpay', 'gateway.request', { 'server.address': 'api.mch.weixin.qq.com' }) },
  { trace: 'D2', id: 'd.cb', service: 'payment', name: 'POST /callbacks/:gateway', start: 182_000, dur: 40, attrs: stage('ord_D', 'wechatpay', 'gateway.callback', { 'payment.outcome': 'succeeded' }) },
  {
    trace: 'D2', id: 'd.cf', parent: 'd.cb', service: 'order', name: 'POST /orders/:id/confirm', start: 182_010, dur: 20, status: 'Error', statusMessage: 'order state conflict',
    attrs: stage('ord_D', 'wechatpay', 'order.confirm', { 'payment.outcome': 'failed', 'payment.error_code': 'ORDER_STATE_CONFLICT' }),
    events: [{ at: 182_025, name: 'exception', attrs: { 'exception.type': 'ConflictError', 'exception.message': 'order state conflict' } }],
  },
  { trace: 'D3', id: 'd.cb2', service: 'payment', name: 'POST /callbacks/:gateway', start: 185_000, dur: 10, attrs: stage('ord_D', 'wechatpay', 'gateway.callback', { 'payment.outcome': 'succeeded' }) },

  // E: paypal; the request times out on the caller's side, paypal still completes and calls back.
  { trace: 'E1', id: 'e.root', service: 'checkout', name: 'POST /api/checkout', start: 240_000, dur: 5200, status: 'Error', attrs: ctx('ord_E', 'paypal') },
  { trace: 'E1', id: 'e.oc', parent: 'e.root', service: 'order', name: 'POST /orders', start: 240_010, dur: 30, attrs: stage('ord_E', 'paypal', 'order.create') },
  { trace: 'E1', id: 'e.ps', parent: 'e.root', service: 'payment', name: 'POST /payments', start: 240_100, dur: 5050, status: 'Error', attrs: stage('ord_E', 'paypal', 'payment.submit', { 'payment.outcome': 'failed' }) },
  {
    trace: 'E1', id: 'e.gr', parent: 'e.ps', service: 'payment', name: 'POST', kind: 'Client', start: 240_120, dur: 5000, status: 'Error', statusMessage: 'timeout',
    attrs: stage('ord_E', 'paypal', 'gateway.request', { 'payment.gateway': 'paypal', 'server.address': 'api-m.paypal.com', 'error.type': 'timeout', 'payment.timeout': 'true' }),
  },
  { trace: 'E2', id: 'e.cb', service: 'payment', name: 'POST /callbacks/:gateway', start: 250_000, dur: 30, attrs: stage('ord_E', 'paypal', 'gateway.callback', { 'payment.outcome': 'succeeded' }) },
  {
    trace: 'E2', id: 'e.cf', parent: 'e.cb', service: 'order', name: 'POST /orders/:id/confirm', start: 250_005, dur: 20, status: 'Error',
    attrs: stage('ord_E', 'paypal', 'order.confirm', { 'payment.outcome': 'failed', 'payment.error_code': 'ORDER_CANCELLED' }),
  },
];

/** The hops diagram of lib/analytics/hops.test.ts, as spans at HOPS_T0 (1 column = 1 ms). */
export const HOPS_FIXTURE: FixtureSpan[] = [
  { trace: 'H1', id: 'root', service: 'checkout', name: 'POST /api/checkout', start: 0, dur: 40 },
  { trace: 'H1', id: 'c1', parent: 'root', service: 'checkout', name: 'POST', kind: 'Client', start: 2, dur: 28, attrs: { 'server.address': 'payment' } },
  { trace: 'H1', id: 's1', parent: 'c1', service: 'payment', name: 'POST /payments', start: 3, dur: 26 },
  { trace: 'H1', id: 'c2', parent: 's1', service: 'payment', name: 'POST', kind: 'Client', start: 5, dur: 10, attrs: { 'server.address': 'adapter-card' } },
  { trace: 'H1', id: 's2', parent: 'c2', service: 'adapter-card', name: 'POST /pay', start: 6, dur: 8 },
  { trace: 'H1', id: 'c3', parent: 's2', service: 'adapter-card', name: 'POST', kind: 'Client', start: 7, dur: 6, attrs: { 'server.address': 'api.stripe.com' } },
  { trace: 'H1', id: 'g', parent: 'c3', service: 'stripe', name: 'POST /v1/payment_intents', start: 8, dur: 4 },
  { trace: 'H1', id: 'c4', parent: 's1', service: 'payment', name: 'POST', kind: 'Client', start: 12, dur: 8, status: 'Error', attrs: { 'server.address': 'fx.internal' } },
  { trace: 'H1', id: 'db', parent: 's1', service: 'payment', name: 'INSERT payments', kind: 'Client', start: 22, dur: 4, attrs: { 'server.address': 'postgres', 'db.system.name': 'postgresql' } },
];
