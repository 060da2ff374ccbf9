import { apiRoute } from '@/lib/api/handler';
import { TraceIdParam } from '@/lib/api/schemas';
import { getTrace } from '@/lib/queries/traces';

export const dynamic = 'force-dynamic';

/** GET /api/traces/{traceId}: the spans and the critical path; 404 when unknown. */
export const GET = apiRoute({ params: TraceIdParam }, (store, { params }) => getTrace(store, params.traceId));
