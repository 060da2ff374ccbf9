import crypto from 'node:crypto';
import type { AlertConfig, CallbackSla } from '../config';
import type { Store } from '../store/store';
import { evaluateRule, matchesAll, type Alert, type Transition } from './evaluate';
import { backoffSec, bodyFor, deliver, receivers, type Receiver } from './notify';
import { condition, listAlertRules } from './rules';
import { measure } from './sources';
import { dueNotifications, enqueueNotifications, listOpenAlerts, listSilences, recordAttempt, saveAlerts } from './store';

/**
 * One alert evaluation (the `alert-evaluation` cluster job, every PAYSCOPE_ALERT_INTERVAL_SEC):
 * measure every enabled rule as of `now`, step its alerts (lib/alerts/evaluate.ts), write the
 * notifications of the state changes to the outbox, then store the alerts, then deliver what is due.
 * The outbox is written before the alerts: a crash in between repeats the change at the next
 * evaluation (a notification twice, never none).
 */

export interface EvaluationResult {
  rules: number;
  /** Rules whose measurement failed (their alerts are left as they were). */
  failed: { rule: string; error: string }[];
  transitions: Transition[];
  /** Transitions not notified because a silence matched. */
  silenced: number;
  queued: number;
  delivery: DeliveryResult;
  /** Alerts firing after this evaluation, by severity. */
  firing: Record<string, number>;
}

export interface EvaluateOptions {
  config: AlertConfig;
  now: number;
  sla?: CallbackSla;
  /** Deliver due notifications after evaluating. @default true */
  deliver?: boolean;
}

/** How long a notification is retried before it is given up. */
const GIVE_UP_MS = 24 * 3_600_000;

function notificationId(receiver: Receiver, t: Transition, now: number): string {
  // Firing and resolving happen once per alert; a severity change can repeat, so its time is part of it.
  const key = `${receiver.id}|${t.alert.id}|${t.kind}|${t.kind === 'severity' ? `${t.alert.severity}|${now}` : ''}`;
  return crypto.createHash('sha256').update(key).digest('hex').slice(0, 32);
}

export async function evaluateAlerts(store: Store, opts: EvaluateOptions): Promise<EvaluationResult> {
  const { now, config } = opts;
  const [allRules, open, silences] = await Promise.all([listAlertRules(store, config), listOpenAlerts(store), listSilences(store, now)]);
  const rules = allRules.filter((r) => r.enabled);
  const ctx = { store, now, publicUrl: config.publicUrl, sla: opts.sla };
  const changed: Alert[] = [];
  const transitions: Transition[] = [];
  const failed: EvaluationResult['failed'] = [];
  const judged = new Set<string>();

  for (const rule of rules) {
    let samples;
    try {
      samples = await measure(ctx, rule);
    } catch (err) {
      failed.push({ rule: rule.id, error: (err as Error).message });
      judged.add(rule.id);
      continue;
    }
    judged.add(rule.id);
    const ev = evaluateRule(condition(rule), open.filter((a) => a.rule === rule.id), samples, now);
    changed.push(...ev.changed);
    transitions.push(...ev.transitions);
  }
  // Alerts of a rule disabled or deleted since: nothing judges them any more.
  for (const a of open) {
    if (judged.has(a.rule)) continue;
    const closed: Alert = { ...a, state: 'resolved', endsAt: now };
    changed.push(closed);
    if (a.state === 'firing') transitions.push({ kind: 'resolved', alert: closed });
  }

  const to = receivers(config);
  const notify = transitions.filter((t) => !silences.some((s) => Date.parse(s.startsAt) <= now && matchesAll(s.matchers, { ...t.alert.labels, alertname: t.alert.name, severity: t.alert.severity })));
  const items = notify.flatMap((t) => to.map((r) => ({ id: notificationId(r, t, now), receiver: r.id, body: bodyFor(r, t, config.publicUrl) })));
  await enqueueNotifications(store, items, now);
  await saveAlerts(store, changed, now);
  const delivery = opts.deliver === false ? { delivered: 0, retrying: 0, gaveUp: 0, byKind: {} } : await deliverDue(store, to, now);
  const after = new Map(open.map((a) => [a.id, a]));
  for (const a of changed) after.set(a.id, a);
  const firing: Record<string, number> = {};
  for (const a of after.values()) if (a.state === 'firing') firing[a.severity] = (firing[a.severity] ?? 0) + 1;
  return { rules: rules.length, failed, transitions, silenced: transitions.length - notify.length, queued: items.length, delivery, firing };
}

export interface DeliveryResult {
  delivered: number;
  /** Failed this time, to be retried after a backoff. */
  retrying: number;
  /** Given up (older than a day, or the receiver is no longer configured). */
  gaveUp: number;
  /** Attempts by receiver kind and outcome. */
  byKind: Record<string, { delivered: number; failed: number }>;
}

/**
 * Delivers the notifications whose attempt is due. A receiver that fails is not tried again in
 * this run (its other notifications wait their turn); each failure pushes that notification's next
 * attempt back (5 s doubling, at most 5 minutes), for up to a day.
 */
export async function deliverDue(store: Store, to: readonly Receiver[], now: number): Promise<DeliveryResult> {
  const result: DeliveryResult = { delivered: 0, retrying: 0, gaveUp: 0, byKind: {} };
  const byId = new Map(to.map((r) => [r.id, r]));
  const down = new Set<string>();
  for (const item of await dueNotifications(store, now)) {
    const r = byId.get(item.receiver);
    if (!r) {
      await recordAttempt(store, item, { state: 'failed', nextAt: now, error: 'receiver no longer configured' }, now);
      result.gaveUp++;
      continue;
    }
    if (down.has(r.id)) continue;
    const error = await deliver(r.url, item.body);
    const kind = (result.byKind[r.kind] ??= { delivered: 0, failed: 0 });
    if (error === null) {
      await recordAttempt(store, item, { state: 'delivered', nextAt: now, error: '' }, now);
      result.delivered++;
      kind.delivered++;
      continue;
    }
    kind.failed++;
    down.add(r.id);
    const giveUp = now - item.createdAt >= GIVE_UP_MS;
    await recordAttempt(store, item, { state: giveUp ? 'failed' : 'pending', nextAt: now + backoffSec(item.attempts + 1) * 1000, error }, now);
    if (giveUp) result.gaveUp++;
    else result.retrying++;
  }
  return result;
}

