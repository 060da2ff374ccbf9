import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import { withPayment } from '@payscope/instrumentation';
import { CHANNELS, type Gateway } from '../../model/catalog';
import { providerAnswer, providerCallback } from '../../model/payment';
import { post, Router } from '../http';
import { PROVIDERS, providerRef, type PaymentRequest } from '../providers';
import { random } from '../random';
import { sleep, type ServiceRuntime } from '../runtime';
import { hostOf } from '../topology';

/**
 * A mock third-party payment provider (alipay, wechatpay, stripe, adyen, paypal) acting out the flow
 * model's provider decisions (sim/model/payment.ts). It answers the payment request (accepted, or an
 * error code) and delivers the payment's RESULT later as a webhook to the payment service, from a
 * timer with an empty context: a new trace, as real providers do not propagate trace context.
 * Sometimes the callback is late, lost or delivered twice; the gateway-degraded and lost-callbacks
 * scenarios change these rates for their target gateway.
 */
export function gatewayService(rt: ServiceRuntime, gateway: Gateway): Router {
  const dialect = PROVIDERS[gateway];
  const channel = CHANNELS.find((c) => c.gateway === gateway)?.channel;

  const deliver = async (req: PaymentRequest, ref: string, declineCode: string | undefined, attempt: number, scenario = rt.scenario) => {
    // stripe and paypal send webhooks to the endpoint configured in their dashboard; alipay and
    // wechatpay to the notify_url of the request.
    const port = rt.addresses.payment;
    const url = new URL(req.notifyUrl || `http://${hostOf('payment')}:${port}/callbacks/${gateway}`);
    const callback = dialect.encodeCallback({ orderId: req.orderId, providerRef: ref, succeeded: declineCode === undefined, errorCode: declineCode }, req);
    let status = 0;
    try {
      const res = await post({ host: url.hostname, port: Number(url.port), path: url.pathname, body: callback.body, contentType: callback.contentType, timeoutMs: 10_000 });
      status = res.status;
    } catch {
      // The merchant was unreachable; a real provider would retry, the simulation records it.
    }
    rt.truth(req.orderId, 'callback-sent', 'baseline', { attempt, status }, scenario);
  };

  return new Router().post(dialect.path, async (incoming) => {
    const req = dialect.decodeRequest(incoming.body);
    // The provider knows the merchant's order id (out_trade_no, metadata, custom_id): its spans
    // join the payment's flow like the merchant's own.
    return withPayment({ orderId: req.orderId, channel, amount: req.amount, currency: req.currency }, async () => {
      const s = rt.scenario;
      const answer = providerAnswer(random, gateway, s, req.issuer);
      if (answer.affected || (s.name === 'lost-callbacks' && s.target.gateway === gateway)) rt.truth(req.orderId, 'affected', 'scenario', { gateway }, s);
      if (answer.hang !== null) rt.truth(req.orderId, 'hang', answer.hang, { latencyMs: Math.round(answer.latencyMs * rt.timeScale) }, s);
      incoming.onAbort(() => {
        // The caller gave up waiting: because of the injected slowness, or the baseline's.
        if (answer.hang === 'scenario' || (answer.affected && s.name === 'gateway-degraded')) {
          rt.truth(req.orderId, 'failed-by-fault', 'scenario', { reason: answer.hang === 'scenario' ? 'hang' : 'slow' }, s);
        }
      });
      if (answer.network !== null) {
        rt.truth(req.orderId, 'provider-error', answer.network.cause, { errorClass: 'network', errorCode: answer.network.code }, s);
        return { status: 0, reset: true };
      }
      await sleep(answer.latencyMs * rt.timeScale);

      if (answer.error !== null) {
        const { cls, code: errorCode, cause } = answer.error;
        rt.truth(req.orderId, 'provider-error', cause, { errorClass: cls, errorCode }, s);
        if (cause === 'scenario') rt.truth(req.orderId, 'failed-by-fault', 'scenario', { reason: 'provider-error', errorCode }, s);
        return { status: answer.error.status, body: dialect.errorBody(answer.error) };
      }

      const ref = providerRef(gateway);
      const cb = providerCallback(random, gateway, rt.baseline, s, incoming.aborted, answer.processesAbandoned);
      if (cb.lost !== null) {
        rt.truth(req.orderId, 'lost-callback', cb.lost, cb.unprocessed ? { reason: 'caller timed out, not processed' } : undefined, s);
        return { status: 200, body: dialect.acceptedBody(req, ref) };
      }
      const declineCode = cb.declineCode;
      if (declineCode !== undefined) rt.truth(req.orderId, 'declined', 'baseline', { errorCode: declineCode }, s);
      const delay = cb.delayMs * rt.timeScale;
      if (cb.late) rt.truth(req.orderId, 'late-callback', 'baseline', { dueAt: new Date(Date.now() + delay).toISOString() }, s);
      rt.truth(req.orderId, 'callback-due', 'baseline', { dueAt: new Date(Date.now() + delay).toISOString() }, s);
      // From an empty context: the callback is a new trace, and carries no baggage either.
      const schedule = (ms: number, attempt: number) =>
        context.with(ROOT_CONTEXT, () => rt.later(ms, () => rt.track(deliver(req, ref, declineCode, attempt, s))));
      schedule(delay, 1);
      if (cb.duplicateDelayMs !== null) {
        const second = cb.duplicateDelayMs * rt.timeScale;
        rt.truth(req.orderId, 'duplicate-callback', 'baseline', { dueAt: new Date(Date.now() + second).toISOString() }, s);
        schedule(second, 2);
      }
      return { status: 200, body: dialect.acceptedBody(req, ref) };
    });
  });
}
