import { apiRoute } from '@/lib/api/handler';
import { retries, RetriesQuery } from '@/lib/api/retries';

export const dynamic = 'force-dynamic';

/** GET /api/retries?from&to&channel&limit: retried orders, recoveries, the failover matrix and retry chains. */
export const GET = apiRoute({ query: RetriesQuery }, retries);
