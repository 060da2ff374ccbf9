import { apiRoute } from '@/lib/api/handler';
import { payments } from '@/lib/api/payments';
import { PaymentsQuery } from '@/lib/api/schemas';

export const dynamic = 'force-dynamic';

/** GET /api/payments?from&to&channel&gateway&outcome&minE2eMs&attr=key:value&cohort&slowMs&slaSec&sort&limit: the payments list. */
export const GET = apiRoute({ query: PaymentsQuery }, payments);
