import { SpanStatusCode, trace } from '@opentelemetry/api';
import { ATTR_PAYMENT_GATEWAY, markStage, recordOutcome, withPayment } from '@payscope/instrumentation';
import { STAGES } from '../../model/catalog';
import { callService, Router } from '../http';
import { PROVIDERS } from '../providers';
import type { ServiceRuntime } from '../runtime';
import { channelProfile, isGateway, type Gateway, type Service } from '../topology';

interface PaymentState {
  orderId: string;
  channel: string;
  gateway: Gateway;
  amount: string;
  currency: string;
  status: 'submitting' | 'pending' | 'failed' | 'succeeded' | 'declined';
  /** The first callback was handled; later ones are duplicates. */
  callbackHandled: boolean;
  outcome?: { succeeded: boolean; errorCode?: string };
}

/**
 * payment: submits payments to the channel's adapter (stage payment.submit) and receives the
 * providers' result callbacks (stage gateway.callback). A callback arrives in a new trace with no
 * payscope context (providers do not propagate it): the payment context is set again from the
 * order id in the callback body, so the callback's spans join the payment's flow. Callbacks are
 * handled idempotently: a repeated one is acknowledged, marked `payment.callback.duplicate=true`,
 * and confirms nothing a second time.
 */
export function paymentService(rt: ServiceRuntime): Router {
  const payments = new Map<string, PaymentState>();

  return new Router()
    .post('/payments', async ({ body }) => {
      markStage(STAGES.paymentSubmit);
      const orderId = String(body.orderId);
      const profile = channelProfile(String(body.channel));
      if (profile === undefined) return { status: 400, body: { error: 'unknown channel' } };
      const span = trace.getActiveSpan();
      span?.setAttribute(ATTR_PAYMENT_GATEWAY, profile.gateway);
      const state: PaymentState = {
        orderId,
        channel: profile.channel,
        gateway: profile.gateway,
        amount: String(body.amount),
        currency: String(body.currency),
        status: 'submitting',
        callbackHandled: false,
      };
      payments.set(orderId, state);
      const answer = await callService(rt.addresses, profile.adapter as Service, '/pay', { orderId, amount: state.amount, currency: state.currency, channel: state.channel }, 60_000);
      if (answer.status === 202) {
        state.status = 'pending';
        recordOutcome('pending');
        return { status: 202, body: { orderId, status: 'pending', providerRef: answer.body.providerRef } };
      }
      state.status = 'failed';
      const errorCode = String(answer.body.errorCode ?? `HTTP_${answer.status}`);
      span?.setStatus({ code: SpanStatusCode.ERROR, message: errorCode === 'GATEWAY_TIMEOUT' ? 'gateway timeout' : `${profile.gateway} ${errorCode}` });
      recordOutcome('failed', { errorCode });
      return { status: 502, body: { orderId, status: 'failed', errorCode } };
    })
    .post('/callbacks/:gateway', async ({ params, body }) => {
      const gateway = params.gateway;
      if (!isGateway(gateway)) return { status: 404, body: { error: 'unknown gateway' } };
      const result = PROVIDERS[gateway].decodeCallback(body);
      const state = payments.get(result.orderId);
      if (state === undefined) return { status: 404, body: { error: 'unknown payment' } };

      return withPayment({ orderId: state.orderId, channel: state.channel, amount: state.amount, currency: state.currency }, async () => {
        markStage(STAGES.gatewayCallback);
        const span = trace.getActiveSpan();
        span?.setAttribute(ATTR_PAYMENT_GATEWAY, gateway);
        if (state.callbackHandled) {
          span?.setAttribute('payment.callback.duplicate', true);
          const first = state.outcome ?? result;
          recordOutcome(first.succeeded ? 'succeeded' : 'failed', { errorCode: first.errorCode });
          return { status: 200, body: { received: true, duplicate: true } };
        }
        state.callbackHandled = true;
        state.outcome = { succeeded: result.succeeded, errorCode: result.errorCode };
        recordOutcome(result.succeeded ? 'succeeded' : 'failed', { errorCode: result.succeeded ? undefined : result.errorCode });
        state.status = result.succeeded ? 'succeeded' : 'declined';
        // Acknowledge the provider whatever order says: the payment's result is recorded here.
        await callService(rt.addresses, 'order', `/orders/${state.orderId}/confirm`, { result: result.succeeded ? 'succeeded' : 'failed', errorCode: result.errorCode });
        return { status: 200, body: { received: true } };
      });
    });
}
