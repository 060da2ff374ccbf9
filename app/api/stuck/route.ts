import { apiRoute } from '@/lib/api/handler';
import { stuck } from '@/lib/api/operations';
import { StuckQuery } from '@/lib/api/schemas';

export const dynamic = 'force-dynamic';

/** GET /api/stuck?from&to&slaSec&sla=gateway=sec,...&limit: payments waiting for a callback past their SLA. */
export const GET = apiRoute({ query: StuckQuery }, stuck);
