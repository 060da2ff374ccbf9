'use server';
import { revalidatePath } from 'next/cache';
import { redirect } from 'next/navigation';
import type { z } from 'zod';
import { deleteAlertRule, getAlertRule, saveAlertRule, type AlertRuleDefinition } from '@/lib/alerts/rules';
import { deleteSilence, saveSilence } from '@/lib/alerts/store';
import { AlertRuleBody, SilenceBody } from '@/lib/api/alerts';
import { describeZodError } from '@/lib/api/params';
import { getConfig } from '@/lib/config';
import { getStore } from '@/lib/store/store';

/**
 * The Alerts page's forms: rules (add, change, enable/disable, delete) and silences (add, end),
 * validated with the same schemas as /api/alert-rules and /api/silences. A refused form comes back
 * to the page with `?error=` saying why.
 */

const ID = /^[A-Za-z0-9_-]{1,64}$/;

function back(anchor: string, error?: string): never {
  // The page is shown again with what changed, also when only its #anchor differs from where it was.
  revalidatePath('/alerts');
  redirect(error ? `/alerts?error=${encodeURIComponent(error.slice(0, 300))}#${anchor}` : `/alerts#${anchor}`);
}

const text = (form: FormData, k: string) => String(form.get(k) ?? '').trim();
/** A number field: empty → undefined (the schema's default applies), else the number (NaN is refused by the schema). */
const numberField = (form: FormData, k: string) => (text(form, k) === '' ? undefined : Number(text(form, k)));

export async function saveAlertRuleAction(form: FormData): Promise<void> {
  const id = text(form, 'id');
  if (id && !ID.test(id)) back('rules', 'bad rule id');
  const parsed = AlertRuleBody.safeParse({
    name: text(form, 'name'),
    kind: text(form, 'kind'),
    severity: text(form, 'severity'),
    enabled: form.get('enabled') === 'on',
    windowSec: numberField(form, 'windowSec'),
    forSec: numberField(form, 'forSec'),
    threshold: numberField(form, 'threshold'),
    resolveThreshold: numberField(form, 'resolveThreshold'),
    criticalThreshold: numberField(form, 'criticalThreshold'),
    minCount: numberField(form, 'minCount'),
    gateway: text(form, 'gateway') || undefined,
    channel: text(form, 'channel') || undefined,
  });
  if (!parsed.success) back('rules', describeZodError(parsed.error as z.ZodError));
  const store = await getStore();
  const config = getConfig().alerts;
  if (id && !(await getAlertRule(store, config, id))) back('rules', `no rule with id ${id}`);
  await saveAlertRule(store, config, parsed.data as AlertRuleDefinition, id || undefined);
  back('rules');
}

/** Turns a rule on or off (`enabled` = the new state). */
export async function setAlertRuleEnabledAction(form: FormData): Promise<void> {
  const id = text(form, 'id');
  const store = await getStore();
  const config = getConfig().alerts;
  const rule = ID.test(id) ? await getAlertRule(store, config, id) : null;
  if (!rule) back('rules', `no rule with id ${id}`);
  const { id: _id, builtIn: _b, updatedAt: _u, ...definition } = rule;
  await saveAlertRule(store, config, { ...definition, enabled: text(form, 'enabled') === 'true' }, id);
  back('rules');
}

export async function deleteAlertRuleAction(form: FormData): Promise<void> {
  const id = text(form, 'id');
  if (ID.test(id)) await deleteAlertRule(await getStore(), getConfig().alerts, id);
  back('rules');
}

/** `gateway=stripe, alertname!=X` → matchers. */
function parseMatchers(s: string): { label: string; op: '=' | '!='; value: string }[] | string {
  const out = [];
  for (const part of s.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)\s*(!=|=)\s*(.*)$/.exec(part);
    if (!m) return `matchers: expected label=value or label!=value, got ${JSON.stringify(part.slice(0, 100))}`;
    out.push({ label: m[1], op: m[2] as '=' | '!=', value: m[3].replace(/^"(.*)"$/, '$1') });
  }
  return out;
}

export async function createSilenceAction(form: FormData): Promise<void> {
  const matchers = parseMatchers(text(form, 'matchers'));
  if (typeof matchers === 'string') back('silences', matchers);
  const hours = Number(text(form, 'hours'));
  if (!(hours > 0 && hours <= 24 * 90)) back('silences', 'hours: a number of hours above 0, at most 2160 (90 days)');
  const parsed = SilenceBody.safeParse({ matchers, endsAt: String(Date.now() + hours * 3_600_000), comment: text(form, 'comment') });
  if (!parsed.success) back('silences', describeZodError(parsed.error as z.ZodError));
  await saveSilence(await getStore(), parsed.data);
  back('silences');
}

export async function endSilenceAction(form: FormData): Promise<void> {
  const id = text(form, 'id');
  if (ID.test(id)) await deleteSilence(await getStore(), id);
  back('silences');
}
