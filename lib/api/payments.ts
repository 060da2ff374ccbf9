import { z } from 'zod';
import { listPayments } from '../queries/overview';
import type { Store } from '../store/store';
import { callbackSla } from './operations';
import type { PaymentsQuery } from './schemas';

/** `GET /api/payments`: the response schema and the call behind it (the query schema is PaymentsQuery). */

const iso = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);

export const PaymentsResponse = z.strictObject({
  payments: z.array(z.strictObject({
    orderId: z.string().min(1), channel: z.string(), gateway: z.string(), start: iso, outcome: z.enum(['succeeded', 'failed', 'pending']),
    e2eMs: z.number().nonnegative().nullable(), lastStage: z.string(), errorCode: z.string(), traceIds: z.array(z.string()),
  })),
  total: z.number().int().nonnegative(),
});

/** The list shared with the Payments page, which shows 200. */
export const DEFAULT_PAYMENTS_LIMIT = 200;

export function payments(store: Store, { query: q }: { query: z.output<typeof PaymentsQuery> }) {
  return listPayments(store, {
    from: q.from, to: q.to, channel: q.channel, gateway: q.gateway, outcome: q.outcome, minE2eMs: q.minE2eMs, attr: q.attr,
    cohort: q.cohort, slowMs: q.slowMs, sla: callbackSla(q), sort: q.sort, limit: q.limit ?? DEFAULT_PAYMENTS_LIMIT,
  });
}
