import { apiRoute } from '@/lib/api/handler';
import { FunnelDefinitionBody } from '@/lib/api/schemas';
import { listFunnels, saveFunnel } from '@/lib/queries/funnels';

export const dynamic = 'force-dynamic';

/** GET /api/funnels: the built-in checkout funnel and the saved ones. */
export const GET = apiRoute({}, async (store) => ({ funnels: await listFunnels(store) }));

/** POST /api/funnels { name, steps, flowKey?, windowSec? }: creates a funnel (201). */
export const POST = apiRoute({ body: FunnelDefinitionBody, status: 201 }, async (store, { body }) => ({ funnel: await saveFunnel(store, body) }));
