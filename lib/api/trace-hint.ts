import { z } from 'zod';
import { timeParam } from './params';

/** The open side of a hint: the bounds of the times the API accepts (lib/ui/time-range.ts timeInStoreRange). */
const OPEN_FROM = new Date(Date.UTC(2000, 0, 1));
const OPEN_TO = new Date(Date.UTC(2262, 0, 1));

/**
 * `GET /api/traces/{traceId}` and `GET /api/payments/{orderId}`: the optional `from`/`to` hint of
 * Jaeger's and Tempo's lookup by id (lib/queries/traces.ts TraceHint). Only spans that start in
 * [from, to) are returned; a missing side is open. Without either, the whole trace or payment.
 */
export const TraceHintQuery = z
  .strictObject({ from: timeParam.optional(), to: timeParam.optional() })
  .transform((q, ctx) => {
    if (q.from === undefined && q.to === undefined) return { hint: undefined };
    const hint = { from: q.from ?? OPEN_FROM, to: q.to ?? OPEN_TO };
    if (hint.from.getTime() >= hint.to.getTime()) ctx.addIssue({ code: 'custom', path: ['from'], message: '`from` must be before `to`' });
    return { hint };
  });
