import { apiRoute } from '@/lib/api/handler';
import { traces } from '@/lib/api/operations';
import { TracesQuery } from '@/lib/api/schemas';

export const dynamic = 'force-dynamic';

/** GET /api/traces?service&name&stage&channel&gateway&status&attr&minDurationMs&maxDurationMs&match&orderId&traceId&range&from&to&sort&limit */
export const GET = apiRoute({ query: TracesQuery }, traces);
