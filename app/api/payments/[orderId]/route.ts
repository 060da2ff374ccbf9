import { apiRoute } from '@/lib/api/handler';
import { OrderIdParam } from '@/lib/api/schemas';
import { TraceHintQuery } from '@/lib/api/trace-hint';
import { getPayment } from '@/lib/queries/traces';

export const dynamic = 'force-dynamic';

/** GET /api/payments/{orderId}[?from&to]: every span of every trace of the payment (those starting in the hint, when given), and its stages; 404 when unknown. */
export const GET = apiRoute({ params: OrderIdParam, query: TraceHintQuery }, (store, { params, query }) => getPayment(store, params.orderId, query.hint));
