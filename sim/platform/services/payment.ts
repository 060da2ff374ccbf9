import { SpanStatusCode, trace } from '@opentelemetry/api';
import { ATTR_PAYMENT_GATEWAY, markStage, recordOutcome, withPayment } from '@payscope/instrumentation';
import { STAGES, type ChannelProfile, type ErrorClass, type Gateway } from '../../model/catalog';
import { answeredClass, nextGateway, PaymentLedger, planTransaction, TX_TRY_TIMEOUT_MS, type TxPlan } from '../../model/payment';
import { callService, Router } from '../http';
import { PROVIDERS } from '../providers';
import { hex, random } from '../random';
import { sleep, type ServiceRuntime } from '../runtime';
import { channelProfile, isGateway, type Service } from '../topology';

interface PaymentState {
  orderId: string;
  channel: ChannelProfile;
  amount: string;
  currency: string;
  ledger: PaymentLedger;
  tx: { id: string; plan: TxPlan; settled: boolean } | null;
}

/**
 * payment: submits payments to the channel's adapter (stage payment.submit), retrying a failed
 * gateway call on the same or the channel's other gateway as the flow model says (nextGateway), and
 * receives the providers' result callbacks (stage gateway.callback). A callback arrives in a new
 * trace with no payscope context (providers do not propagate it): the payment context is set again
 * from the order id in the callback body, so the callback's spans join the payment's flow.
 * Callbacks are handled once per provider reference (PaymentLedger): a repeated delivery is
 * acknowledged, marked `payment.callback.duplicate=true`, and confirms nothing; a second charge's
 * success is fulfilled again (a double charge). It also coordinates the payment's distributed
 * transaction on the account service: tries (or Saga actions) before the charge, confirm or
 * cancel (compensate) once the payment's result is known.
 */
export function paymentService(rt: ServiceRuntime): Router {
  const payments = new Map<string, PaymentState>();

  const txCall = (state: PaymentState, branch: string, phase: string, fail = false) =>
    callService(rt.addresses, 'account', `/tx/${branch}/${phase}`, { txId: state.tx!.id, orderId: state.orderId, fail }, TX_TRY_TIMEOUT_MS * 5).catch(() => ({ status: 0, body: {} }));

  /** The first phase; false when the coordinator had to give up the transaction (the payment is not charged). */
  const txBegin = async (state: PaymentState): Promise<boolean> => {
    const { plan } = state.tx!;
    const last = plan.branches[plan.branches.length - 1];
    const report = (kind: string, branch: string) => rt.truth(state.orderId, 'tx-anomaly', plan.anomalyCause, { txId: state.tx!.id, branch, kind });
    if (plan.mode === 'saga') {
      for (const branch of plan.branches) {
        const fails = branch === last && plan.anomaly === 'failed_compensation';
        await txCall(state, branch, 'action', fails);
        if (!fails) continue;
        for (const done of plan.branches.slice(0, -1).reverse()) {
          await txCall(state, done, 'compensate', true);
          report('failed_compensation', done);
        }
        state.tx!.settled = true;
        return false;
      }
      return true;
    }
    const lostTry = plan.anomaly === 'empty_rollback' || plan.anomaly === 'hanging';
    for (const branch of plan.branches) {
      if (branch === last && lostTry) await sleep(TX_TRY_TIMEOUT_MS * rt.timeScale);
      else await txCall(state, branch, 'try');
    }
    if (!lostTry) return true;
    for (const branch of plan.branches) await txCall(state, branch, 'cancel');
    if (plan.anomaly === 'hanging') await txCall(state, last, 'try');
    report(plan.anomaly!, last);
    state.tx!.settled = true;
    return false;
  };

  /** The second phase, once the payment's result is known (unless the coordinator never gets to it). */
  const txSettle = async (state: PaymentState, phase: 'confirm' | 'cancel') => {
    const tx = state.tx;
    if (tx === null || tx.settled) return;
    tx.settled = true;
    const { plan } = tx;
    if (plan.anomaly === 'unfinished') {
      for (const branch of plan.branches) rt.truth(state.orderId, 'tx-anomaly', plan.anomalyCause, { txId: tx.id, branch, kind: 'unfinished' });
      return;
    }
    if (plan.mode === 'saga') {
      if (phase === 'cancel') for (const branch of [...plan.branches].reverse()) await txCall(state, branch, 'compensate');
      return;
    }
    const last = plan.branches[plan.branches.length - 1];
    for (const branch of plan.branches) {
      if (phase === 'confirm' && branch === last && plan.anomaly === 'mixed_outcome') {
        await txCall(state, branch, 'confirm', true);
        await txCall(state, branch, 'cancel');
        rt.truth(state.orderId, 'tx-anomaly', plan.anomalyCause, { txId: tx.id, branch, kind: 'mixed_outcome' });
      } else await txCall(state, branch, phase);
    }
  };

  return new Router()
    .post('/payments', async ({ body }) => {
      markStage(STAGES.paymentSubmit);
      const orderId = String(body.orderId);
      const profile = channelProfile(String(body.channel));
      if (profile === undefined) return { status: 400, body: { error: 'unknown channel' } };
      const span = trace.getActiveSpan();
      span?.setAttribute(ATTR_PAYMENT_GATEWAY, profile.gateway);
      const payer = Array.isArray(body.payerAttributes) ? (body.payerAttributes as string[]) : [];
      for (let i = 0; i + 1 < payer.length; i += 2) span?.setAttribute(payer[i], payer[i + 1]);
      const plan = planTransaction(random, rt.baseline, rt.scenario);
      const state: PaymentState = {
        orderId, channel: profile, amount: String(body.amount), currency: String(body.currency), ledger: new PaymentLedger(),
        tx: plan && { id: `tx_${hex(6)}`, plan, settled: false },
      };
      payments.set(orderId, state);
      const failed = (errorCode: string, message: string) => {
        span?.setStatus({ code: SpanStatusCode.ERROR, message });
        recordOutcome('failed', { errorCode });
        return { status: 502, body: { orderId, status: 'failed', errorCode } };
      };
      if (state.tx !== null && !(await txBegin(state))) {
        state.ledger.failUpFront();
        return failed('TX_ABORTED', 'transaction aborted');
      }

      let errorCode = '';
      for (let gateway: Gateway | null = profile.gateway, attempt = 1; gateway !== null; attempt++) {
        const answer = await callService(rt.addresses, profile.adapter as Service, '/pay', {
          orderId, amount: state.amount, currency: state.currency, channel: profile.channel, gateway, attempt,
          issuer: body.issuer, payerAttributes: payer,
        }, 60_000);
        if (answer.status === 202) {
          if (attempt > 1) rt.truth(orderId, 'retried', 'baseline', { attempts: attempt, gateway, recovered: true });
          recordOutcome('pending');
          return { status: 202, body: { orderId, status: 'pending', providerRef: answer.body.providerRef } };
        }
        errorCode = String(answer.body.errorCode ?? `HTTP_${answer.status}`);
        const cls: ErrorClass = answer.body.errorClass === 'timeout' ? 'timeout' : answer.body.errorClass === 'network' ? 'network' : (answeredClass(gateway, errorCode) ?? 'provider_error');
        const next: Gateway | null = nextGateway(random, profile, attempt, gateway, cls, rt.baseline, rt.scenario);
        if (next === null && attempt > 1) rt.truth(orderId, 'retried', 'baseline', { attempts: attempt, gateway, recovered: false });
        gateway = next;
        if (gateway !== null) await sleep(random.lognormal(150, 0.4));
      }
      state.ledger.failUpFront();
      await txSettle(state, 'cancel');
      return failed(errorCode, errorCode === 'GATEWAY_TIMEOUT' ? 'gateway timeout' : `payment failed: ${errorCode}`);
    })
    .post('/callbacks/:gateway', async ({ params, body }) => {
      const gateway = params.gateway;
      if (!isGateway(gateway)) return { status: 404, body: { error: 'unknown gateway' } };
      const result = PROVIDERS[gateway].decodeCallback(body);
      const state = payments.get(result.orderId);
      if (state === undefined) return { status: 404, body: { error: 'unknown payment' } };

      return withPayment({ orderId: state.orderId, channel: state.channel.channel, amount: state.amount, currency: state.currency }, async () => {
        markStage(STAGES.gatewayCallback);
        const span = trace.getActiveSpan();
        span?.setAttribute(ATTR_PAYMENT_GATEWAY, gateway);
        span?.setAttribute('payment.provider_ref', result.providerRef);
        const handling = state.ledger.callback(result.providerRef, result.succeeded);
        recordOutcome(result.succeeded ? 'succeeded' : 'failed', { errorCode: result.succeeded ? undefined : result.errorCode });
        if (handling.duplicate) {
          span?.setAttribute('payment.callback.duplicate', true);
          return { status: 200, body: { received: true, duplicate: true } };
        }
        if (handling.settles !== null) await txSettle(state, handling.settles);
        // Acknowledge the provider whatever order says: the payment's result is recorded here.
        if (handling.confirm !== null) {
          await callService(rt.addresses, 'order', `/orders/${state.orderId}/confirm`, { result: handling.confirm === 'succeeded' ? 'succeeded' : 'failed', errorCode: result.errorCode });
        }
        // In the truth once its second fulfilment is done: a platform stopped between the callback
        // and the order's second confirmation must not list a double charge it never completed.
        if (handling.doubleCharge) rt.truth(state.orderId, 'double-charge', 'baseline', { charges: state.ledger.charges, gateway });
        return { status: 200, body: { received: true } };
      });
    });
}
