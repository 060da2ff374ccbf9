import { apiRoute } from '@/lib/api/handler';
import { OrderIdParam } from '@/lib/api/schemas';
import { getPayment } from '@/lib/queries/traces';

export const dynamic = 'force-dynamic';

/** GET /api/payments/{orderId}: every span of every trace of the payment, and its stages; 404 when unknown. */
export const GET = apiRoute({ params: OrderIdParam }, (store, { params }) => getPayment(store, params.orderId));
