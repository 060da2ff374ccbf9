import { z } from 'zod';
import { TRANSACTION_ANOMALY_KINDS } from '../analytics/transactions';
import { getConfig } from '../config';
import { listTransactionAnomalies } from '../queries/transactions';
import type { Store } from '../store/store';
import { limitParam, rangeShape, resolveRange } from './params';

/** `GET /api/transactions`: query and response schemas, and the call behind them. */

export const TransactionsQuery = z
  .strictObject({
    ...rangeShape,
    slaSec: z.coerce.number().positive().max(30 * 86_400).optional(),
    limit: limitParam(10_000).optional(),
  })
  .transform((q, ctx) => ({ ...q, ...resolveRange(q, ctx) }));

const count = z.number().int().nonnegative();

export const TransactionsResponse = z.strictObject({
  transactions: count,
  counts: z.strictObject(Object.fromEntries(TRANSACTION_ANOMALY_KINDS.map((k) => [k, count])) as Record<(typeof TRANSACTION_ANOMALY_KINDS)[number], typeof count>),
  anomalies: z.array(z.strictObject({
    txId: z.string().min(1), branch: z.string(), kind: z.enum(TRANSACTION_ANOMALY_KINDS), orderId: z.string(), traceIds: z.array(z.string()).min(1),
  })),
  slaSec: z.number().positive(),
});

/** Seconds a branch may go from its try to its confirm or cancel when a request names none: the default callback SLA. */
export function transactionSlaSec(): number {
  return getConfig().callbackSla.defaultSec;
}

export async function transactions(store: Store, { query: q }: { query: z.output<typeof TransactionsQuery> }) {
  // A payment's transaction confirms or cancels once the payment's outcome is known, which may wait
  // for the provider's callback: the callback SLA is the default time a branch may stay open.
  const slaSec = q.slaSec ?? transactionSlaSec();
  return { ...(await listTransactionAnomalies(store, { from: q.from, to: q.to, slaSec, limit: q.limit })), slaSec };
}
