import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import { withPayment } from '@payscope/instrumentation';
import { CHANNELS, GATEWAYS, type Gateway } from '../../seed/shape';
import { post, Router } from '../http';
import { PROVIDERS, providerRef, type PaymentRequest } from '../providers';
import { chance, lognormal, pick, uniform } from '../random';
import { sleep, type ServiceRuntime } from '../runtime';
import { hostOf } from '../topology';

/**
 * A mock third-party payment provider (alipay, wechatpay, stripe, paypal) with the latency, error
 * and callback behaviour of sim/seed/shape.ts. It answers the payment request (accepted, or an
 * error code) and delivers the payment's RESULT later as a webhook to the payment service, from a
 * timer with an empty context: a new trace, as real providers do not propagate trace context.
 * Sometimes the callback is late, lost or delivered twice; the gateway-degraded and lost-callbacks
 * scenarios change these rates for their target gateway.
 */
export function gatewayService(rt: ServiceRuntime, gateway: Gateway): Router {
  const profile = GATEWAYS[gateway];
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
      const base = rt.baseline;
      const degraded = s.name === 'gateway-degraded' && s.target.gateway === gateway;
      const losing = s.name === 'lost-callbacks' && s.target.gateway === gateway;
      const cause = (injected: boolean) => (injected ? 'scenario' : 'baseline');
      if (degraded || losing) rt.truth(req.orderId, 'affected', 'scenario', { gateway }, s);

      let latency = lognormal(profile.latencyMedianMs, profile.latencySigma) * (degraded ? (s.latencyFactor ?? 1) : 1);
      const baselineHang = chance(profile.hangRate);
      const injectedHang = !baselineHang && degraded && chance(s.extraHangRate ?? 0);
      if (baselineHang || injectedHang) {
        latency = uniform(30_000, 60_000);
        rt.truth(req.orderId, 'hang', cause(injectedHang), { latencyMs: Math.round(latency * rt.timeScale) }, s);
      }
      const baselineError = chance(profile.requestErrorRate);
      const injectedError = !baselineError && degraded && chance(s.extraErrorRate ?? 0);
      let errorCode: string | undefined;
      if (baselineError || injectedError) {
        errorCode = injectedError ? profile.requestErrorCodes[0] : pick(profile.requestErrorCodes);
        // Provider errors come back fast.
        latency = Math.min(latency, lognormal(profile.latencyMedianMs * 0.5, 0.4));
      }
      incoming.onAbort(() => {
        // The caller gave up waiting: because of the injected slowness, or the baseline's.
        if (degraded) rt.truth(req.orderId, 'failed-by-fault', 'scenario', { reason: injectedHang ? 'hang' : 'slow' }, s);
      });
      await sleep(latency * rt.timeScale);

      if (errorCode !== undefined) {
        rt.truth(req.orderId, 'provider-error', cause(injectedError), { errorCode }, s);
        if (injectedError) rt.truth(req.orderId, 'failed-by-fault', 'scenario', { reason: 'provider-error', errorCode }, s);
        return { status: errorCode === profile.requestErrorCodes[0] ? 500 : 400, body: dialect.errorBody(errorCode) };
      }

      const ref = providerRef(gateway);
      // A request whose caller timed out was usually processed anyway: its callback still comes.
      const processed = !incoming.aborted || chance(base.callbackAfterTimeoutRate);
      const lostByScenario = losing && chance(s.lostCallbackRate ?? 0);
      if (!processed || lostByScenario || chance(base.lostCallbackRate)) {
        rt.truth(req.orderId, 'lost-callback', cause(lostByScenario), processed ? undefined : { reason: 'caller timed out, not processed' }, s);
        return { status: 200, body: dialect.acceptedBody(req, ref) };
      }
      const declined = chance(profile.declineRate);
      const declineCode = declined ? pick(profile.declineCodes) : undefined;
      if (declineCode !== undefined) rt.truth(req.orderId, 'declined', 'baseline', { errorCode: declineCode }, s);
      let delay = lognormal(profile.callbackMedianMs, profile.callbackSigma) * rt.timeScale;
      if (chance(base.lateCallbackRate)) {
        delay += uniform(120_000, 1_800_000) * rt.timeScale;
        rt.truth(req.orderId, 'late-callback', 'baseline', { dueAt: new Date(Date.now() + delay).toISOString() }, s);
      }
      rt.truth(req.orderId, 'callback-due', 'baseline', { dueAt: new Date(Date.now() + delay).toISOString() }, s);
      // From an empty context: the callback is a new trace, and carries no baggage either.
      const schedule = (ms: number, attempt: number) =>
        context.with(ROOT_CONTEXT, () => rt.later(ms, () => rt.track(deliver(req, ref, declineCode, attempt, s))));
      schedule(delay, 1);
      if (chance(base.duplicateCallbackRate)) {
        const second = delay + uniform(1_000, 60_000) * rt.timeScale;
        rt.truth(req.orderId, 'duplicate-callback', 'baseline', { dueAt: new Date(Date.now() + second).toISOString() }, s);
        schedule(second, 2);
      }
      return { status: 200, body: dialect.acceptedBody(req, ref) };
    });
  });
}
