import { trace } from '@opentelemetry/api';
import { markStage, recordOutcome } from '@payscope/instrumentation';
import { STAGES } from '../../seed/shape';
import { Router } from '../http';
import { chance, lognormal } from '../random';
import type { ServiceRuntime } from '../runtime';
import { sleep } from '../runtime';

/** risk: scores the payment (stage risk.check); a few are rejected. */
export function riskService(rt: ServiceRuntime): Router {
  return new Router().post('/risk/score', async ({ body }) => {
    markStage(STAGES.riskCheck);
    const orderId = String(body.orderId);
    await sleep(lognormal(22, 0.5));
    const rejected = chance(rt.baseline.riskRejectRate);
    const score = rejected ? 0.9 + Math.random() * 0.1 : Math.random() * 0.6;
    trace.getActiveSpan()?.setAttribute('risk.score', Number(score.toFixed(3)));
    if (rejected) {
      recordOutcome('cancelled', { errorCode: 'RISK_REJECTED' });
      rt.truth(orderId, 'risk-rejected', 'baseline', { score });
    }
    return { status: 200, body: { orderId, score, decision: rejected ? 'reject' : 'accept' } };
  });
}
