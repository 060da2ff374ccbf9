import { apiRoute } from '@/lib/api/handler';
import { getStorageStats } from '@/lib/queries/storage';

export const dynamic = 'force-dynamic';

/** GET /api/storage: spans stored, bytes on disk, bytes per span, per table. */
export const GET = apiRoute({}, (store) => getStorageStats(store));
