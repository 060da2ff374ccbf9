import { apiRoute } from '@/lib/api/handler';
import { hops } from '@/lib/api/operations';
import { HopsQuery } from '@/lib/api/schemas';

export const dynamic = 'force-dynamic';

/** GET /api/hops?from&to&channel&gateway&limit: slowest (p95) first. */
export const GET = apiRoute({ query: HopsQuery }, hops);
