import { z } from 'zod';
import { ERROR_CLASSES } from '../analytics/error-taxonomy';
import { getRetries, listDoubleCharges } from '../queries/retries';
import type { Store } from '../store/store';
import { filterParam, limitParam, rangeShape, resolveRange } from './params';

/** `GET /api/retries` and `GET /api/double-charges`: query and response schemas, and the calls behind them. */

export const RetriesQuery = z
  .strictObject({ ...rangeShape, channel: filterParam.optional(), limit: limitParam(1000).optional() })
  .transform((q, ctx) => ({ ...q, ...resolveRange(q, ctx) }));

export const DoubleChargesQuery = z
  .strictObject({ ...rangeShape, channel: filterParam.optional(), limit: limitParam(10_000).optional() })
  .transform((q, ctx) => ({ ...q, ...resolveRange(q, ctx) }));

const count = z.number().int().nonnegative();
const errorClass = z.enum(ERROR_CLASSES).nullable();

export const RetriesResponse = z.strictObject({
  orders: count,
  retried: count,
  recovered: z.strictObject({ count, amount: z.number().nonnegative() }),
  currency: z.string().regex(/^[A-Z]{3}$/),
  unconverted: z.strictObject({ count, currencies: z.array(z.string()) }),
  matrix: z.array(z.strictObject({ fromGateway: z.string(), errorClass, toGateway: z.string(), attempts: z.number().int().positive(), recovered: count })),
  chains: z.array(z.strictObject({
    orderId: z.string(),
    channel: z.string(),
    attempts: z.array(z.strictObject({
      gateway: z.string(), outcome: z.enum(['succeeded', 'failed', 'timeout', 'pending']), errorClass, errorCode: z.string(), traceId: z.string(),
    })).min(2),
    recovered: z.boolean(),
    charges: count,
  })),
  truncated: z.boolean(),
});

export const DoubleChargesResponse = z.strictObject({
  payments: z.array(z.strictObject({
    orderId: z.string(), channel: z.string(), gateways: z.array(z.string()).min(1), charges: z.number().int().min(2),
    amount: z.string(), currency: z.string(), traceIds: z.array(z.string()).min(1),
  })),
  total: count,
  truncated: z.boolean(),
});

export function retries(store: Store, { query: q }: { query: z.output<typeof RetriesQuery> }) {
  return getRetries(store, { from: q.from, to: q.to, channel: q.channel, limit: q.limit });
}

export function doubleCharges(store: Store, { query: q }: { query: z.output<typeof DoubleChargesQuery> }) {
  return listDoubleCharges(store, { from: q.from, to: q.to, channel: q.channel, limit: q.limit });
}
