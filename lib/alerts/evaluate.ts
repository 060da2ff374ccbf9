import crypto from 'node:crypto';

/**
 * Alert evaluation as a pure function: the open alerts of a rule, the rule's samples at `now`
 * (one per label set: a gateway, a stage, a funnel step …) → the alerts after this evaluation and
 * the state changes to notify. No clock, no store: history is replayed by calling it with the `now`
 * of each past evaluation.
 *
 *   value ──────────────╱‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾╲──────────────  fire at >= threshold
 *                      ╱                 ╲─ ─ ─ ─ ─ ─ ─  resolve below resolveThreshold (<= threshold)
 *   state   inactive  │pending│  firing            │resolved
 *                     activeAt └ `for` ┘ startsAt    endsAt
 *
 * - inactive → pending when the value reaches `threshold`; pending → firing once it has stayed
 *   there for `forSec` (at once with `forSec` 0); a pending alert whose value drops below
 *   `threshold` is dropped without a notification.
 * - firing → resolved when the value falls below `resolveThreshold`, or the label set has no sample
 *   any more (nothing to judge: no traffic). Between the two thresholds a firing alert stays firing
 *   (hysteresis: a value hovering at the threshold does not flap).
 * - Severity: the rule's, or `critical` at or above `criticalThreshold` (one gateway alert, warning
 *   while degraded, critical once failing). While firing it only rises, and a rise is notified; it
 *   does not fall back, so the resolution carries the labels the receivers were last told.
 */

export type Severity = 'info' | 'warning' | 'critical';
export type AlertState = 'pending' | 'firing' | 'resolved';

export const SEVERITIES: readonly Severity[] = ['info', 'warning', 'critical'];

/** What evaluation needs of a rule. */
export interface RuleCondition {
  /** The rule's id. */
  id: string;
  /** The alert's name (`alertname` label). */
  name: string;
  severity: Severity;
  threshold: number;
  /** Resolve below this (hysteresis); at most `threshold`. */
  resolveThreshold: number;
  /** Severity turns `critical` at or above this value. */
  criticalThreshold?: number;
  /** Seconds the value must stay at or above `threshold` before the alert fires. */
  forSec: number;
}

/** One label set's measurement at `now`. */
export interface Sample {
  labels: Record<string, string>;
  value: number;
  summary: string;
  description: string;
  /** More annotations (money at stake, links). */
  annotations?: Record<string, string>;
}

export interface Alert {
  /** One alert from pending to resolved: fingerprint and the time it turned pending. */
  id: string;
  /** Stable for the label set (alertname and labels, not severity). */
  fingerprint: string;
  rule: string;
  name: string;
  severity: Severity;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: AlertState;
  /** When it turned pending (ms). */
  activeAt: number;
  /** When it began firing (ms). */
  startsAt: number | null;
  /** When it resolved (ms). */
  endsAt: number | null;
  value: number;
  threshold: number;
}

/** A change to notify: an alert began firing, rose in severity while firing, or resolved. */
export interface Transition {
  kind: 'firing' | 'severity' | 'resolved';
  alert: Alert;
}

export interface Evaluation {
  /** Alerts that changed (new, updated or closed), to store. */
  changed: Alert[];
  /** Alerts still open after this evaluation. */
  open: Alert[];
  transitions: Transition[];
}

/**
 * The fingerprint of a label set, as Alertmanager's: the same labels always give the same value,
 * whatever their order. sha256 of the sorted `name=value` pairs, 16 hex digits.
 */
export function fingerprint(labels: Record<string, string>): string {
  const h = crypto.createHash('sha256');
  for (const k of Object.keys(labels).sort()) h.update(`${k}\u0000${labels[k]}\u0001`);
  return h.digest('hex').slice(0, 16);
}

function severityOf(rule: RuleCondition, value: number): Severity {
  return rule.criticalThreshold !== undefined && value >= rule.criticalThreshold ? 'critical' : rule.severity;
}

/**
 * One evaluation of one rule. `open` are the rule's pending and firing alerts from the evaluation
 * before (others are ignored); `samples` its measurements now, one per label set (a label set given
 * twice keeps the first).
 */
export function evaluateRule(rule: RuleCondition, open: readonly Alert[], samples: readonly Sample[], now: number): Evaluation {
  const byFp = new Map<string, Alert>();
  for (const a of open) if (a.rule === rule.id && (a.state === 'pending' || a.state === 'firing')) byFp.set(a.fingerprint, a);
  const changed: Alert[] = [];
  const stillOpen: Alert[] = [];
  const transitions: Transition[] = [];
  const seen = new Set<string>();

  for (const s of samples) {
    const labels = { ...s.labels, alertname: rule.name };
    const fp = fingerprint(labels);
    if (seen.has(fp)) continue;
    seen.add(fp);
    const prev = byFp.get(fp);
    const annotations = { ...s.annotations, summary: s.summary, description: s.description };
    const base = { value: s.value, threshold: rule.threshold, annotations, labels };
    if (!prev) {
      if (s.value < rule.threshold) continue;
      const alert: Alert = {
        id: `${fp}-${now}`, fingerprint: fp, rule: rule.id, name: rule.name, severity: severityOf(rule, s.value),
        ...base, state: 'pending', activeAt: now, startsAt: null, endsAt: null,
      };
      if (rule.forSec <= 0) {
        alert.state = 'firing';
        alert.startsAt = now;
        transitions.push({ kind: 'firing', alert });
      }
      changed.push(alert);
      stillOpen.push(alert);
      continue;
    }
    if (prev.state === 'pending') {
      if (s.value < rule.threshold) {
        // Never fired: closed without a notification and left out of the history.
        changed.push({ ...prev, ...base, state: 'resolved', endsAt: now });
        continue;
      }
      const alert: Alert = { ...prev, ...base, severity: severityOf(rule, s.value) };
      if (now - prev.activeAt >= rule.forSec * 1000) {
        alert.state = 'firing';
        alert.startsAt = now;
        transitions.push({ kind: 'firing', alert });
      }
      changed.push(alert);
      stillOpen.push(alert);
      continue;
    }
    // firing
    if (s.value < rule.resolveThreshold) {
      const alert: Alert = { ...prev, ...base, state: 'resolved', endsAt: now };
      changed.push(alert);
      transitions.push({ kind: 'resolved', alert });
      continue;
    }
    // Severity only rises while firing: the receivers' alert keeps the labels they were last told.
    const rises = SEVERITIES.indexOf(severityOf(rule, s.value)) > SEVERITIES.indexOf(prev.severity);
    const alert: Alert = { ...prev, ...base, severity: rises ? severityOf(rule, s.value) : prev.severity };
    changed.push(alert);
    stillOpen.push(alert);
    if (rises) transitions.push({ kind: 'severity', alert });
  }

  // Label sets with no sample any more: nothing left to judge them on.
  for (const [fp, prev] of byFp) {
    if (seen.has(fp)) continue;
    const alert: Alert = { ...prev, state: 'resolved', endsAt: now };
    changed.push(alert);
    if (prev.state === 'firing') transitions.push({ kind: 'resolved', alert });
  }
  return { changed, open: stillOpen, transitions };
}

/** An alert that fired (not one dropped while pending). */
export function everFired(a: Alert): boolean {
  return a.startsAt !== null;
}

export interface Matcher {
  label: string;
  value: string;
  /** `=` equal, `!=` not equal (no regular expressions: a user's pattern would run on every evaluation). */
  op: '=' | '!=';
}

/** True when every matcher matches the alert's labels (a missing label reads as ''). */
export function matchesAll(matchers: readonly Matcher[], labels: Record<string, string>): boolean {
  return matchers.every((m) => {
    const v = labels[m.label] ?? '';
    return m.op === '=' ? v === m.value : v !== m.value;
  });
}

/**
 * The baseline to compare with (same hour last week, else the previous 24 h): last week's window
 * when it holds at least `minCount` observations, else the previous day's, else none.
 */
export function chooseBaseline<T extends { count: number }>(lastWeek: T | null, previous24h: T | null, minCount: number): { kind: 'last_week' | 'previous_24h'; stats: T } | null {
  if (lastWeek && lastWeek.count >= minCount) return { kind: 'last_week', stats: lastWeek };
  if (previous24h && previous24h.count >= minCount) return { kind: 'previous_24h', stats: previous24h };
  return null;
}
