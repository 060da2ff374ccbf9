import { markTransactionPhase, type TransactionPhase } from '@payscope/instrumentation';
import { Router } from '../http';
import { random } from '../random';
import { sleep } from '../runtime';

const PHASES: readonly string[] = ['try', 'confirm', 'cancel', 'action', 'compensate'];

/**
 * account: the participant of the payment's distributed transactions (TCC over `wallet` and
 * `points`, Saga over `points` and `coupon`). Each branch call is one server span marked with
 * payment.tx.id, payment.tx.branch and payment.tx.phase; the coordinator (payment) asks for a
 * failure when the flow model gave the transaction one.
 */
export function accountService(): Router {
  return new Router().post('/tx/:branch/:phase', async ({ params, body }) => {
    const phase = params.phase;
    if (!PHASES.includes(phase)) return { status: 404, body: { error: `unknown phase ${phase}` } };
    markTransactionPhase({ txId: String(body.txId ?? ''), branch: params.branch, phase: phase as TransactionPhase });
    await sleep(random.lognormal(3, 0.5));
    if (body.fail === true) return { status: 500, body: { error: `${phase} ${params.branch} failed` } };
    return { status: 200, body: { ok: true } };
  });
}
