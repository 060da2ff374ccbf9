import { apiRoute } from '@/lib/api/handler';
import { inconsistent } from '@/lib/api/operations';
import { InconsistentQuery } from '@/lib/api/schemas';

export const dynamic = 'force-dynamic';

/** GET /api/inconsistent?from&to&limit: paid but not confirmed payments, and duplicate callbacks. */
export const GET = apiRoute({ query: InconsistentQuery }, inconsistent);
