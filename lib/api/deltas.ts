import { z } from 'zod';
import { getDeltas } from '../queries/deltas';
import type { Store } from '../store/store';
import { callbackSla } from './operations';
import { filterParam, limitParam, rangeShape, resolveRange } from './params';

/** `GET /api/deltas`: query and response schemas, and the call behind them. */

export const DeltasQuery = z
  .strictObject({
    ...rangeShape,
    cohort: z.enum(['failed', 'slow', 'stuck']),
    channel: filterParam.optional(),
    gateway: filterParam.optional(),
    /** The slow cohort's threshold, end to end; default the range's p90. */
    slowMs: z.coerce.number().positive().max(86_400_000).optional(),
    /** The stuck cohort's callback SLA for every gateway (as /api/stuck). */
    slaSec: z.coerce.number().positive().max(30 * 86_400).optional(),
    limit: limitParam(200).optional(),
  })
  .transform((q, ctx) => {
    if (q.slowMs !== undefined && q.cohort !== 'slow') ctx.addIssue({ code: 'custom', path: ['slowMs'], message: 'only with cohort=slow' });
    if (q.slaSec !== undefined && q.cohort !== 'stuck') ctx.addIssue({ code: 'custom', path: ['slaSec'], message: 'only with cohort=stuck' });
    return { ...q, ...resolveRange(q, ctx) };
  });

const count = z.number().int().nonnegative();
const share = z.number().min(0).max(1);

export const DeltasResponse = z.strictObject({
  cohort: z.strictObject({ count, sampled: count }),
  baseline: z.strictObject({ count, sampled: count }),
  slowMs: z.number().positive().nullable(),
  attributes: z.array(z.strictObject({
    key: z.string().min(1), value: z.string().min(1), cohortShare: share, baselineShare: share,
    cohortCount: z.number().int().positive(), baselineCount: count, lift: z.number().positive(), score: z.number(),
  })),
});

export function deltas(store: Store, { query: q }: { query: z.output<typeof DeltasQuery> }) {
  return getDeltas(store, {
    from: q.from, to: q.to, cohort: q.cohort, channel: q.channel, gateway: q.gateway, slowMs: q.slowMs, sla: callbackSla(q), limit: q.limit,
  });
}
