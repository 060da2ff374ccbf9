import { apiRoute } from '@/lib/api/handler';
import { doubleCharges, DoubleChargesQuery } from '@/lib/api/retries';

export const dynamic = 'force-dynamic';

/** GET /api/double-charges?from&to&channel&limit: orders charged more than once at the provider. */
export const GET = apiRoute({ query: DoubleChargesQuery }, doubleCharges);
