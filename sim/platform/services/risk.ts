import { trace } from '@opentelemetry/api';
import { markStage, recordOutcome } from '@payscope/instrumentation';
import { STAGES } from '../../model/catalog';
import { scoreRisk } from '../../model/payment';
import { Router } from '../http';
import { random } from '../random';
import type { ServiceRuntime } from '../runtime';
import { sleep } from '../runtime';

/** risk: scores the payment (stage risk.check); a few are rejected. */
export function riskService(rt: ServiceRuntime): Router {
  return new Router().post('/risk/score', async ({ body }) => {
    markStage(STAGES.riskCheck);
    const orderId = String(body.orderId);
    const risk = scoreRisk(random, rt.baseline);
    await sleep(risk.ms);
    trace.getActiveSpan()?.setAttribute('risk.score', risk.score);
    if (risk.rejected) {
      recordOutcome('cancelled', { errorCode: 'RISK_REJECTED' });
      rt.truth(orderId, 'risk-rejected', 'baseline', { score: risk.score });
    }
    return { status: 200, body: { orderId, score: risk.score, decision: risk.rejected ? 'reject' : 'accept' } };
  });
}
