import { alerts, AlertsQuery } from '@/lib/api/alerts';
import { apiRoute } from '@/lib/api/handler';

export const dynamic = 'force-dynamic';

/** GET /api/alerts?from&to&range&state&limit: alerts active in the range, most recent first. */
export const GET = apiRoute({ query: AlertsQuery }, alerts);
