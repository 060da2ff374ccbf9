import { SpanStatusCode, trace } from '@opentelemetry/api';
import { ATTR_PAYMENT_GATEWAY, recordOutcome } from '@payscope/instrumentation';
import { channelGateways, GATEWAYS, type ChannelProfile } from '../../model/catalog';
import { answeredClass, callerTimeout } from '../../model/payment';
import { Router, TimeoutError } from '../http';
import { PROVIDERS } from '../providers';
import type { ServiceRuntime } from '../runtime';
import { gatewayRequest } from '../telemetry';
import { hostOf } from '../topology';

/**
 * adapter-<channel>: translates a payment into its provider's API and calls the provider (stage
 * gateway.request on the client span, with `payment.attempt` and the payer's card and country).
 * The payment service says which of the channel's gateways to call (card: stripe, or adyen on a
 * failover). Answers 202 when the provider accepted the payment (its result comes later as a
 * callback to payment), 502 with the provider's error code, or 504 when the provider did not
 * answer within the adapter's timeout.
 */
export function adapterService(rt: ServiceRuntime, channel: ChannelProfile): Router {
  const gateways = channelGateways(channel);
  const fail = (message: string) => trace.getActiveSpan()?.setStatus({ code: SpanStatusCode.ERROR, message });

  return new Router().post('/pay', async ({ body }) => {
    const gateway = gateways.find((g) => g === body.gateway) ?? channel.gateway;
    const dialect = PROVIDERS[gateway];
    trace.getActiveSpan()?.setAttribute(ATTR_PAYMENT_GATEWAY, gateway);
    const orderId = String(body.orderId);
    const caller = callerTimeout(channel.adapter, rt.baseline, rt.scenario);
    const misconfigured = caller.misconfigured;
    const timeoutMs = caller.timeoutMs * rt.timeScale;
    if (misconfigured) rt.truth(orderId, 'affected', 'scenario', { timeoutMs: Math.round(timeoutMs) });
    const notifyUrl = `http://${hostOf('payment')}:${rt.addresses.payment}/callbacks/${gateway}`;
    const issuer = typeof body.issuer === 'string' ? body.issuer : undefined;
    const request = dialect.encodeRequest({ orderId, amount: String(body.amount), currency: String(body.currency), notifyUrl, issuer });
    const port = rt.addresses[gateway];
    if (port === undefined) throw new Error(`no address for ${gateway}`);
    const attributes: Record<string, string | number> = { 'payment.attempt': Number(body.attempt ?? 1) };
    const payer = Array.isArray(body.payerAttributes) ? (body.payerAttributes as string[]) : [];
    for (let i = 0; i + 1 < payer.length; i += 2) attributes[payer[i]] = payer[i + 1];
    try {
      const decoded = await gatewayRequest({ host: hostOf(gateway), port, path: dialect.path, body: request.body, contentType: request.contentType, timeoutMs }, (answer, span) => {
        const result = dialect.decodeAnswer(answer.status, answer.body);
        if (result.accepted) {
          span.setAttribute('payment.provider_ref', result.providerRef ?? '');
          // Adyen's Authorised is already the result; the others' arrives by callback.
          if (GATEWAYS[gateway].syncSuccess) recordOutcome('succeeded', { span });
        } else {
          rt.truth(orderId, 'call-failed', 'baseline', { gateway, errorClass: answeredClass(gateway, result.errorCode ?? '') ?? 'provider_error', errorCode: result.errorCode });
          recordOutcome('failed', { errorCode: result.errorCode, span });
          // Some providers refuse with HTTP 200: the call failed all the same.
          span.setStatus({ code: SpanStatusCode.ERROR, message: `${gateway} ${result.errorCode}` });
        }
        return result;
      }, attributes);
      if (decoded.accepted) return { status: 202, body: { orderId, gateway, providerRef: decoded.providerRef } };
      fail(`${gateway} ${decoded.errorCode}`);
      return { status: 502, body: { orderId, gateway, errorCode: decoded.errorCode, errorClass: 'answered' } };
    } catch (error) {
      if (error instanceof TimeoutError) {
        rt.truth(orderId, 'timeout', misconfigured ? 'scenario' : 'baseline', { timeoutMs: Math.round(timeoutMs), gateway });
        rt.truth(orderId, 'call-failed', 'baseline', { gateway, errorClass: 'timeout' });
        if (misconfigured) rt.truth(orderId, 'failed-by-fault', 'scenario', { reason: 'caller-timeout' });
        fail('gateway timeout');
        return { status: 504, body: { orderId, gateway, errorCode: 'GATEWAY_TIMEOUT', errorClass: 'timeout' } };
      }
      rt.truth(orderId, 'call-failed', 'baseline', { gateway, errorClass: 'network' });
      fail(`${gateway} unreachable`);
      return { status: 502, body: { orderId, gateway, errorCode: 'GATEWAY_UNREACHABLE', errorClass: 'network' } };
    }
  });
}
