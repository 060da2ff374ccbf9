import { apiRoute } from '@/lib/api/handler';
import { impact, ImpactQuery } from '@/lib/api/impact';

export const dynamic = 'force-dynamic';

/** GET /api/impact?from&to&channel&gateway&slaSec: money at stake, each payment once by its final outcome. */
export const GET = apiRoute({ query: ImpactQuery }, impact);
