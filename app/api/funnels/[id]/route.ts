import { apiRoute } from '@/lib/api/handler';
import { FunnelDefinitionBody, FunnelIdParam } from '@/lib/api/schemas';
import { deleteFunnel, getSavedFunnel, saveFunnel } from '@/lib/queries/funnels';

export const dynamic = 'force-dynamic';

/** GET /api/funnels/{id} */
export const GET = apiRoute({ params: FunnelIdParam }, async (store, { params }) => {
  const funnel = await getSavedFunnel(store, params.id);
  return funnel && { funnel };
});

/** PUT /api/funnels/{id} { name, steps, flowKey?, windowSec? }: replaces a saved funnel (404 if there is none). */
export const PUT = apiRoute({ params: FunnelIdParam, body: FunnelDefinitionBody }, async (store, { params, body }) =>
  (await getSavedFunnel(store, params.id)) && { funnel: await saveFunnel(store, { ...body, id: params.id }) });

/** DELETE /api/funnels/{id} */
export const DELETE = apiRoute({ params: FunnelIdParam }, async (store, { params }) => ((await deleteFunnel(store, params.id)) ? { deleted: params.id } : null));
