import { apiRoute } from '@/lib/api/handler';
import { TraceIdParam } from '@/lib/api/schemas';
import { TraceHintQuery } from '@/lib/api/trace-hint';
import { getTrace } from '@/lib/queries/traces';

export const dynamic = 'force-dynamic';

/** GET /api/traces/{traceId}[?from&to]: the spans (those starting in the hint, when given) and the critical path; 404 when unknown. */
export const GET = apiRoute({ params: TraceIdParam, query: TraceHintQuery }, (store, { params, query }) => getTrace(store, params.traceId, query.hint));
