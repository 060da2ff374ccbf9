import { SpanStatusCode, trace } from '@opentelemetry/api';
import { withPayment } from '@payscope/instrumentation';
import { callService, Router } from '../http';
import { payerAttributes as payerAttributesOf } from '../../model/payment';
import { hex } from '../random';
import type { ServiceRuntime } from '../runtime';
import { channelProfile } from '../topology';

/**
 * checkout: the API gateway the shopper's app calls. One request runs the synchronous part of a
 * payment: create the order (which reserves stock), ask risk, submit the payment. It answers 202
 * (pending: the result comes later through the provider's callback), 403 (risk rejected), 409
 * (out of stock) or 502 (payment failed now; the order is cancelled).
 */
export function checkoutService(rt: ServiceRuntime): Router {
  return new Router().post('/api/checkout', async ({ body }) => {
    const channel = String(body.channel ?? '');
    const profile = channelProfile(channel);
    const amount = String(body.amount ?? '');
    const currency = String(body.currency ?? '');
    if (profile === undefined || !(Number(amount) > 0) || currency === '') {
      return { status: 400, body: { error: 'channel, amount and currency are required' } };
    }
    const orderId = `ord_${hex(6)}`;
    // What the shopper's app tells about the payer: on this span, and passed on to the charge.
    const card = typeof body.card === 'object' && body.card !== null ? (body.card as Record<string, unknown>) : null;
    const payerAttributes = payerAttributesOf({ country: String(body.country ?? ''), card: card && { brand: String(card.brand ?? ''), issuer: String(card.issuer ?? '') } });
    const root = trace.getActiveSpan();
    if (typeof body.appVersion === 'string') root?.setAttribute('app.version', body.appVersion);
    for (let i = 0; i + 1 < payerAttributes.length; i += 2) root?.setAttribute(payerAttributes[i], payerAttributes[i + 1]);
    return withPayment({ orderId, channel, amount, currency }, async () => {
      const order = await callService(rt.addresses, 'order', '/orders', { orderId, sku: body.sku, quantity: body.quantity ?? 1, amount, currency, channel, userId: body.userId });
      if (order.status !== 201) return { status: order.status === 409 ? 409 : 502, body: { orderId, status: 'failed', error: order.body.error } };

      const risk = await callService(rt.addresses, 'risk', '/risk/score', { orderId, userId: body.userId, amount, currency, channel });
      if (risk.body.decision === 'reject') {
        return { status: 403, body: { orderId, status: 'rejected', error: 'RISK_REJECTED' } };
      }

      const payment = await callService(rt.addresses, 'payment', '/payments', { orderId, channel, amount, currency, issuer: card?.issuer, payerAttributes });
      if (payment.status === 202) return { status: 202, body: { orderId, status: 'pending', providerRef: payment.body.providerRef } };

      // The payment failed before it started: give the stock back, and tell the shopper.
      await callService(rt.addresses, 'order', `/orders/${orderId}/cancel`, { reason: payment.body.errorCode });
      trace.getActiveSpan()?.setStatus({ code: SpanStatusCode.ERROR, message: 'payment failed' });
      return { status: 502, body: { orderId, status: 'failed', error: payment.body.errorCode } };
    });
  });
}
