import { apiRoute } from '@/lib/api/handler';
import { gateways } from '@/lib/api/operations';
import { GatewaysQuery } from '@/lib/api/schemas';

export const dynamic = 'force-dynamic';

/** GET /api/gateways?from&to&channel&split=channel&baselineHours */
export const GET = apiRoute({ query: GatewaysQuery }, gateways);
