import crypto from 'node:crypto';
import type { AlertConfig } from '../config';
import { sql } from '../store/sql';
import type { Store } from '../store/store';
import type { RuleCondition, Severity } from './evaluate';

/**
 * Alert rules: the defaults (built in, on from the first start) and the ones users add. Stored like
 * funnels (payscope_alert_rules, a version per save); a stored row with a default rule's id
 * overrides the default (changed or disabled), a deleted one brings the default back.
 */

/**
 * What a rule measures; each kind measures one value per label set, higher = worse (docs/alerts.md):
 * - `gateway_health`: 0 healthy, 1 degraded, 2 failing (lib/analytics/gateway-health.ts), per gateway;
 * - `stuck_payments`: % of the gateway's accepted requests whose callback SLA passed without a callback, per gateway;
 * - `inconsistent_payments`: % of the gateway's paid payments whose order then failed, per gateway;
 * - `double_charges`: orders charged more than once at the provider, per gateway that charged first;
 * - `transaction_anomalies`: % of distributed transactions (TCC/Saga) with an anomaly of a kind, points
 *   above the previous 24 h, per kind;
 * - `funnel_conversion_drop`: a funnel step's conversion, points below its baseline, per funnel and step;
 * - `stage_wait_p95`: a stage's p95 wait before it, as a multiple of its baseline, per stage;
 * - `acceptance_rate_drop`: payments accepted (not declined), points below baseline, per channel —
 *   declines are the payer's answer, not a provider fault.
 */
export const RULE_KINDS = [
  'gateway_health', 'stuck_payments', 'inconsistent_payments', 'double_charges', 'transaction_anomalies', 'funnel_conversion_drop', 'stage_wait_p95', 'acceptance_rate_drop',
] as const;
export type RuleKind = (typeof RULE_KINDS)[number];

/** The unit of each kind's value and threshold, as the page and the notifications show it. */
export const KIND_UNITS: Record<RuleKind, string> = {
  gateway_health: 'level (1 degraded, 2 failing)',
  stuck_payments: '% of requests past SLA',
  inconsistent_payments: '% of paid payments',
  double_charges: 'orders charged twice',
  transaction_anomalies: 'points of transactions above baseline',
  funnel_conversion_drop: 'points below baseline',
  stage_wait_p95: '× baseline p95',
  acceptance_rate_drop: 'points below baseline',
};

export interface AlertRuleDefinition {
  name: string;
  kind: RuleKind;
  severity: Severity;
  enabled: boolean;
  /** Seconds of data each evaluation judges (up to now). */
  windowSec: number;
  forSec: number;
  threshold: number;
  resolveThreshold: number;
  criticalThreshold?: number;
  /** Fewest events in the window (payments, requests, entrants) for a label set to be judged. */
  minCount: number;
  /** Only this gateway / channel. */
  gateway?: string;
  channel?: string;
}

export interface AlertRule extends AlertRuleDefinition {
  id: string;
  /** A default rule (may be changed or disabled; deleting it restores the default). */
  builtIn: boolean;
  /** ISO 8601 of the last save; null for an unchanged default. */
  updatedAt: string | null;
}

export function condition(rule: AlertRule): RuleCondition {
  return {
    id: rule.id, name: rule.name, severity: rule.severity, threshold: rule.threshold,
    resolveThreshold: Math.min(rule.resolveThreshold, rule.threshold), criticalThreshold: rule.criticalThreshold, forSec: rule.forSec,
  };
}

/** The default rules, their windows and `for` from the configuration. */
export function defaultRules(c: Pick<AlertConfig, 'gatewayWindowSec' | 'gatewayForSec' | 'windowSec' | 'forSec'>): AlertRule[] {
  const d = (id: string, def: AlertRuleDefinition): AlertRule => ({ id, ...def, builtIn: true, updatedAt: null });
  return [
    d('gateway-health', {
      name: 'PaymentGatewayUnhealthy', kind: 'gateway_health', severity: 'warning', enabled: true,
      windowSec: c.gatewayWindowSec, forSec: c.gatewayForSec, threshold: 1, resolveThreshold: 1, criticalThreshold: 2, minCount: 20,
    }),
    d('stuck-payments', {
      name: 'PaymentsStuckPastCallbackSla', kind: 'stuck_payments', severity: 'critical', enabled: true,
      windowSec: Math.max(3600, c.windowSec), forSec: c.forSec, threshold: 5, resolveThreshold: 3, minCount: 5,
    }),
    d('inconsistent-payments', {
      name: 'PaymentsPaidButOrderFailed', kind: 'inconsistent_payments', severity: 'critical', enabled: true,
      windowSec: Math.max(3600, c.windowSec), forSec: c.forSec, threshold: 2, resolveThreshold: 1, minCount: 3,
    }),
    d('double-charges', {
      name: 'PaymentsChargedTwice', kind: 'double_charges', severity: 'critical', enabled: true,
      windowSec: c.windowSec, forSec: 0, threshold: 5, resolveThreshold: 1, minCount: 0,
    }),
    d('transaction-anomalies', {
      name: 'DistributedTransactionAnomalies', kind: 'transaction_anomalies', severity: 'warning', enabled: true,
      windowSec: c.windowSec, forSec: c.forSec, threshold: 3, resolveThreshold: 1.5, minCount: 5,
    }),
    d('funnel-conversion-drop', {
      name: 'FunnelStepConversionDrop', kind: 'funnel_conversion_drop', severity: 'warning', enabled: true,
      windowSec: c.windowSec, forSec: c.forSec, threshold: 10, resolveThreshold: 5, minCount: 100,
    }),
    d('stage-wait-p95', {
      name: 'PaymentStageWaitOverBaseline', kind: 'stage_wait_p95', severity: 'warning', enabled: true,
      windowSec: c.windowSec, forSec: c.forSec, threshold: 2, resolveThreshold: 1.5, minCount: 50,
    }),
    d('acceptance-rate-drop', {
      name: 'AcceptanceRateDropPayerDeclinesNotProviderFault', kind: 'acceptance_rate_drop', severity: 'info', enabled: false,
      windowSec: c.windowSec, forSec: c.forSec, threshold: 10, resolveThreshold: 5, minCount: 100,
    }),
  ];
}

export class RuleNotFoundError extends Error {}

interface Row {
  id: string;
  definition: string;
  updatedAt: string;
  deleted: number;
}

// Versions are ordered by UpdatedAt: never hand out the same millisecond twice in this process.
let lastStamp = 0;
function stamp(): Date {
  lastStamp = Math.max(Date.now(), lastStamp + 1);
  return new Date(lastStamp);
}

const latest = sql`
  SELECT Id AS id, argMax(Definition, UpdatedAt) AS definition,
         formatDateTime(max(UpdatedAt), '%Y-%m-%dT%H:%i:%S.%fZ', 'UTC') AS updatedAt, argMax(Deleted, UpdatedAt) AS deleted
  FROM payscope_alert_rules GROUP BY Id`;

/** Every rule: the defaults (as changed, if changed) first, then the users' by name. */
export async function listAlertRules(store: Store, c: AlertConfig): Promise<AlertRule[]> {
  const rows = await store.query<Row>(sql`SELECT * FROM (${latest}) ORDER BY id`);
  const stored = new Map(rows.map((r) => [r.id, r]));
  const out: AlertRule[] = [];
  for (const def of defaultRules(c)) {
    const r = stored.get(def.id);
    out.push(r && !Number(r.deleted) ? { ...def, ...(JSON.parse(r.definition) as AlertRuleDefinition), updatedAt: r.updatedAt } : def);
    stored.delete(def.id);
  }
  const users = [...stored.values()]
    .filter((r) => !Number(r.deleted))
    .map((r): AlertRule => ({ ...(JSON.parse(r.definition) as AlertRuleDefinition), id: r.id, builtIn: false, updatedAt: r.updatedAt }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id < b.id ? -1 : 1));
  return [...out, ...users];
}

export async function getAlertRule(store: Store, c: AlertConfig, id: string): Promise<AlertRule | null> {
  return (await listAlertRules(store, c)).find((r) => r.id === id) ?? null;
}

/** Adds a rule (no id) or replaces one (a default one included); returns it as stored. */
export async function saveAlertRule(store: Store, c: AlertConfig, def: AlertRuleDefinition, id?: string): Promise<AlertRule> {
  const ruleId = id ?? `r_${crypto.randomBytes(8).toString('hex')}`;
  const builtIn = defaultRules(c).some((r) => r.id === ruleId);
  const at = stamp();
  await store.command(sql`INSERT INTO payscope_alert_rules (Id, Definition, UpdatedAt, Deleted) VALUES (${ruleId}, ${JSON.stringify(def)}, ${at}, 0)`);
  return { ...def, id: ruleId, builtIn, updatedAt: at.toISOString() };
}

/** Deletes a user's rule, or restores a default one; false when there is no such rule. */
export async function deleteAlertRule(store: Store, c: AlertConfig, id: string): Promise<boolean> {
  if (!(await getAlertRule(store, c, id))) return false;
  await store.command(sql`INSERT INTO payscope_alert_rules (Id, Definition, UpdatedAt, Deleted) VALUES (${id}, '', ${stamp()}, 1)`);
  return true;
}
