import { z } from 'zod';
import { ERROR_CLASSES, type ErrorClass } from '../analytics/error-taxonomy';
import { getImpact } from '../queries/impact';
import type { Store } from '../store/store';
import { callbackSla } from './operations';
import { filterParam, rangeShape, resolveRange } from './params';

/** `GET /api/impact`: money at stake. Query and response schemas, and the call behind them. */

export const ImpactQuery = z
  .strictObject({
    ...rangeShape,
    channel: filterParam.optional(),
    gateway: filterParam.optional(),
    /** The callback SLA for every gateway, replacing the configured one (as on the stuck page). */
    slaSec: z.coerce.number().positive().max(30 * 86_400).optional(),
  })
  .transform((q, ctx) => ({ ...q, ...resolveRange(q, ctx) }));

const count = z.number().int().nonnegative();
const money = z.strictObject({ count, amount: z.number().nonnegative() });

export const ImpactResponse = z.strictObject({
  currency: z.string().regex(/^[A-Z]{3}$/),
  ratesAsOf: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  payments: money,
  failed: money.extend({ byClass: z.strictObject(Object.fromEntries(ERROR_CLASSES.map((c) => [c, money])) as Record<ErrorClass, typeof money>) }),
  stuck: money,
  inconsistent: money,
  doubleCharged: money,
  byGateway: z.array(z.strictObject({ gateway: z.string(), failed: money, providerFailed: money, stuck: money })),
  unconverted: z.strictObject({ count, currencies: z.array(z.string()) }),
  withoutAmount: count,
  doubleChargesTruncated: z.boolean(),
});

export function impact(store: Store, { query: q }: { query: z.output<typeof ImpactQuery> }) {
  return getImpact(store, { from: q.from, to: q.to, channel: q.channel, gateway: q.gateway, sla: callbackSla(q) });
}
