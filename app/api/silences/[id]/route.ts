import { expireSilence, SilenceIdParam } from '@/lib/api/alerts';
import { apiRoute } from '@/lib/api/handler';

export const dynamic = 'force-dynamic';

/** DELETE /api/silences/{id}: ends the silence now. */
export const DELETE = apiRoute({ params: SilenceIdParam }, (store, { params }) => expireSilence(store, params.id));
