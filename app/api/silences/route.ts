import { createSilence, SilenceBody, silences } from '@/lib/api/alerts';
import { apiRoute } from '@/lib/api/handler';

export const dynamic = 'force-dynamic';

/** GET /api/silences: the silences not yet ended. */
export const GET = apiRoute({}, (store) => silences(store));

/** POST /api/silences { matchers: [{ label, op, value }], endsAt, startsAt?, comment? } (201). */
export const POST = apiRoute({ body: SilenceBody, status: 201 }, (store, { body }) => createSilence(store, body));
