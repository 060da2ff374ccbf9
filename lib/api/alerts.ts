import { z } from 'zod';
import { SEVERITIES, type Alert } from '../alerts/evaluate';
import { deleteAlertRule, getAlertRule, listAlertRules, RULE_KINDS, saveAlertRule } from '../alerts/rules';
import { deleteSilence, listAlerts, listSilences, saveSilence } from '../alerts/store';
import { getConfig } from '../config';
import type { Store } from '../store/store';
import { filterParam, limitParam, rangeShape, resolveRange, timeParam } from './params';

/** Schemas and operations of the alerting API: /api/alert-rules, /api/silences, /api/alerts (docs/alerts.md). */

const DAY = 86_400;
const finite = z.number().refine(Number.isFinite, 'must be a finite number');

export const AlertRuleBody = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,99}$/, 'name: 1 to 100 letters, digits or _, not starting with a digit (it is the alertname label)'),
    kind: z.enum(RULE_KINDS),
    severity: z.enum(SEVERITIES as [string, ...string[]]).transform((s) => s as (typeof SEVERITIES)[number]),
    enabled: z.boolean().default(true),
    windowSec: z.number().int('must be a whole number of seconds').min(10).max(DAY),
    forSec: z.number().int('must be a whole number of seconds').min(0).max(DAY),
    threshold: finite,
    /** Defaults to `threshold` (no hysteresis). */
    resolveThreshold: finite.optional(),
    criticalThreshold: finite.optional(),
    minCount: z.number().int().min(0).max(1_000_000).default(1),
    gateway: filterParam.optional(),
    channel: filterParam.optional(),
  })
  .transform((r, ctx) => {
    const resolveThreshold = r.resolveThreshold ?? r.threshold;
    if (resolveThreshold > r.threshold) ctx.addIssue({ code: 'custom', path: ['resolveThreshold'], message: 'must not be above threshold (an alert resolves below it)' });
    if (r.criticalThreshold !== undefined && r.criticalThreshold < r.threshold) ctx.addIssue({ code: 'custom', path: ['criticalThreshold'], message: 'must not be below threshold' });
    return { ...r, resolveThreshold };
  });

export const AlertRuleIdParam = z.strictObject({ id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'id must be 1 to 64 letters, digits, _ or -') });
export const SilenceIdParam = AlertRuleIdParam;

const Matcher = z.strictObject({
  label: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,99}$/, 'a label name: letters, digits or _'),
  op: z.enum(['=', '!=']).default('='),
  value: z.string().max(512, 'at most 512 characters'),
});

export const SilenceBody = z
  .strictObject({
    matchers: z.array(Matcher).min(1, 'at least one matcher').max(20, 'at most 20 matchers'),
    startsAt: timeParam.optional(),
    endsAt: timeParam,
    comment: z.string().max(1000, 'at most 1000 characters').default(''),
  })
  .transform((s, ctx) => {
    if (s.endsAt.getTime() <= (s.startsAt ?? new Date()).getTime()) ctx.addIssue({ code: 'custom', path: ['endsAt'], message: 'must be after startsAt (or now)' });
    return s;
  });

export const AlertsQuery = z
  .strictObject({
    ...rangeShape,
    state: z.enum(['pending', 'firing', 'resolved']).optional(),
    limit: limitParam(1000).optional(),
  })
  .transform((q, ctx) => ({ ...q, ...resolveRange(q, ctx) }));

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** An alert as the API answers it (times ISO 8601). */
export function alertJson(a: Alert) {
  return {
    id: a.id, rule: a.rule, name: a.name, severity: a.severity, labels: a.labels, state: a.state,
    activeAt: iso(a.activeAt), startsAt: iso(a.startsAt), endsAt: iso(a.endsAt),
    summary: a.annotations.summary ?? '', description: a.annotations.description ?? '', annotations: a.annotations,
    value: a.value, threshold: a.threshold, fingerprint: a.fingerprint,
  };
}

export async function alerts(store: Store, { query: q }: { query: z.output<typeof AlertsQuery> }) {
  const rows = await listAlerts(store, { from: q.from, to: q.to, state: q.state, limit: q.limit });
  return { from: q.from.toISOString(), to: q.to.toISOString(), alerts: rows.map(alertJson) };
}

export async function alertRules(store: Store) {
  return { rules: await listAlertRules(store, getConfig().alerts) };
}

export async function alertRule(store: Store, id: string) {
  const rule = await getAlertRule(store, getConfig().alerts, id);
  return rule && { rule };
}

export async function createAlertRule(store: Store, body: z.output<typeof AlertRuleBody>) {
  return { rule: await saveAlertRule(store, getConfig().alerts, body) };
}

/** Replaces a rule (a default one too); null when there is none with that id. */
export async function replaceAlertRule(store: Store, id: string, body: z.output<typeof AlertRuleBody>) {
  if (!(await getAlertRule(store, getConfig().alerts, id))) return null;
  return { rule: await saveAlertRule(store, getConfig().alerts, body, id) };
}

export async function removeAlertRule(store: Store, id: string) {
  return (await deleteAlertRule(store, getConfig().alerts, id)) ? { deleted: id } : null;
}

export async function silences(store: Store) {
  return { silences: await listSilences(store, Date.now()) };
}

export async function createSilence(store: Store, body: z.output<typeof SilenceBody>) {
  return { silence: await saveSilence(store, body) };
}

export async function expireSilence(store: Store, id: string) {
  return (await deleteSilence(store, id)) ? { deleted: id } : null;
}

/** Alerts that fired in a range as chart markers (components/charts/TimeSeriesChart `markers`); none when the store cannot say. */
export async function alertMarkers(store: Store, from: Date, to: Date): Promise<{ from: number; to: number | null; label: string; severity: string }[]> {
  try {
    const rows = await listAlerts(store, { from, to, limit: 20 });
    return rows.filter((a) => a.startsAt !== null).map((a) => ({
      from: a.startsAt!, to: a.endsAt, severity: a.severity,
      label: `${a.name} ${Object.entries(a.labels).map(([, v]) => v).join(' ')}`,
    }));
  } catch {
    return [];
  }
}
