import { apiRoute } from '@/lib/api/handler';
import { stages } from '@/lib/api/operations';
import { StagesQuery } from '@/lib/api/schemas';

export const dynamic = 'force-dynamic';

/** GET /api/stages?from&to&channel: duration and wait before each stage, per channel. */
export const GET = apiRoute({ query: StagesQuery }, stages);
