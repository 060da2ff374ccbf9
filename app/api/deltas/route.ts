import { apiRoute } from '@/lib/api/handler';
import { deltas, DeltasQuery } from '@/lib/api/deltas';

export const dynamic = 'force-dynamic';

/** GET /api/deltas?from&to&cohort=failed|slow|stuck&channel&gateway&slowMs&slaSec&limit: attribute values over-represented in the cohort. */
export const GET = apiRoute({ query: DeltasQuery }, deltas);
