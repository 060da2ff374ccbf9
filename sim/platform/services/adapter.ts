import { SpanStatusCode, trace } from '@opentelemetry/api';
import { ATTR_PAYMENT_GATEWAY, recordOutcome } from '@payscope/instrumentation';
import type { ChannelProfile } from '../../model/catalog';
import { callerTimeout } from '../../model/payment';
import { Router, TimeoutError } from '../http';
import { PROVIDERS } from '../providers';
import type { ServiceRuntime } from '../runtime';
import { gatewayRequest } from '../telemetry';
import { hostOf } from '../topology';

/**
 * adapter-<channel>: translates a payment into its provider's API and calls the provider (stage
 * gateway.request on the client span). Answers 202 when the provider accepted the payment (its
 * result comes later as a callback to payment), 502 with the provider's error code, or 504 when
 * the provider did not answer within the adapter's timeout.
 */
export function adapterService(rt: ServiceRuntime, channel: ChannelProfile): Router {
  const dialect = PROVIDERS[channel.gateway];
  const fail = (message: string) => trace.getActiveSpan()?.setStatus({ code: SpanStatusCode.ERROR, message });

  return new Router().post('/pay', async ({ body }) => {
    trace.getActiveSpan()?.setAttribute(ATTR_PAYMENT_GATEWAY, channel.gateway);
    const orderId = String(body.orderId);
    const caller = callerTimeout(channel.adapter, rt.baseline, rt.scenario);
    const misconfigured = caller.misconfigured;
    const timeoutMs = caller.timeoutMs * rt.timeScale;
    if (misconfigured) rt.truth(orderId, 'affected', 'scenario', { timeoutMs: Math.round(timeoutMs) });
    const notifyUrl = `http://${hostOf('payment')}:${rt.addresses.payment}/callbacks/${channel.gateway}`;
    const request = dialect.encodeRequest({ orderId, amount: String(body.amount), currency: String(body.currency), notifyUrl });
    const port = rt.addresses[channel.gateway];
    if (port === undefined) throw new Error(`no address for ${channel.gateway}`);
    try {
      const decoded = await gatewayRequest({ host: hostOf(channel.gateway), port, path: dialect.path, body: request.body, contentType: request.contentType, timeoutMs }, (answer, span) => {
        const result = dialect.decodeAnswer(answer.status, answer.body);
        if (!result.accepted) recordOutcome('failed', { errorCode: result.errorCode, span });
        return result;
      });
      if (decoded.accepted) return { status: 202, body: { orderId, providerRef: decoded.providerRef } };
      fail(`${channel.gateway} ${decoded.errorCode}`);
      return { status: 502, body: { orderId, errorCode: decoded.errorCode } };
    } catch (error) {
      if (error instanceof TimeoutError) {
        rt.truth(orderId, 'timeout', misconfigured ? 'scenario' : 'baseline', { timeoutMs: Math.round(timeoutMs), gateway: channel.gateway });
        if (misconfigured) rt.truth(orderId, 'failed-by-fault', 'scenario', { reason: 'caller-timeout' });
        fail('gateway timeout');
        return { status: 504, body: { orderId, errorCode: 'GATEWAY_TIMEOUT' } };
      }
      fail(`${channel.gateway} unreachable`);
      return { status: 502, body: { orderId, errorCode: 'GATEWAY_UNREACHABLE' } };
    }
  });
}
