import { AlertRuleBody, alertRules, createAlertRule } from '@/lib/api/alerts';
import { apiRoute } from '@/lib/api/handler';

export const dynamic = 'force-dynamic';

/** GET /api/alert-rules: the default rules (as changed) and the users' rules. */
export const GET = apiRoute({}, (store) => alertRules(store));

/** POST /api/alert-rules { name, kind, severity, windowSec, forSec, threshold, ... }: adds a rule (201). */
export const POST = apiRoute({ body: AlertRuleBody, status: 201 }, (store, { body }) => createAlertRule(store, body));
