import { AlertRuleBody, AlertRuleIdParam, alertRule, removeAlertRule, replaceAlertRule } from '@/lib/api/alerts';
import { apiRoute } from '@/lib/api/handler';

export const dynamic = 'force-dynamic';

/** GET /api/alert-rules/{id} */
export const GET = apiRoute({ params: AlertRuleIdParam }, (store, { params }) => alertRule(store, params.id));

/** PUT /api/alert-rules/{id}: replaces a rule, a default one too (404 if there is none). */
export const PUT = apiRoute({ params: AlertRuleIdParam, body: AlertRuleBody }, (store, { params, body }) => replaceAlertRule(store, params.id, body));

/** DELETE /api/alert-rules/{id}: deletes a user's rule; for a default rule, restores its defaults. */
export const DELETE = apiRoute({ params: AlertRuleIdParam }, (store, { params }) => removeAlertRule(store, params.id));
