import { apiRoute } from '@/lib/api/handler';
import { funnel } from '@/lib/api/operations';
import { FunnelQuery } from '@/lib/api/schemas';

export const dynamic = 'force-dynamic';

/** GET /api/funnel?steps|funnelId&flowKey&windowSec&channel&gateway&split&compare|compareFrom&compareTo&from&to */
export const GET = apiRoute({ query: FunnelQuery }, funnel);
