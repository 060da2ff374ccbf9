import { migrate } from '../../../clickhouse/migrate';
import { seedStore } from '../../../sim/seed/seed';
import type { ScenarioName } from '../../../sim/model/scenarios';
import { openTempStore } from '../../../test/helpers/store';
import type { AlertConfig } from '../../config';
import type { Store } from '../../store/store';
import { evaluateAlerts } from '../engine';
import { saveAlertRule, getAlertRule } from '../rules';

/**
 * A simulated fault for the alert tests: 3 hours of seeded payments (sim/seed) whose last 30
 * minutes run `scenario`, then the default rules evaluated every 15 s of logical time from 5 minutes
 * before the fault to `minutes` into it. Nothing depends on the machine's speed: each evaluation is
 * given its `now`.
 */

export const INTERVAL = 15_000;
const MIN = 60_000;
const FAULT_MS = 30 * MIN;

export const SCENARIO_ALERT_CONFIG: AlertConfig = {
  intervalSec: 15, webhookUrls: [], publicUrl: 'http://payscope.example', gatewayWindowSec: 120, gatewayForSec: 150, windowSec: 900, forSec: 300,
};

export interface ReplayedTransition {
  /** Evaluations after the first one at or after the fault's start (0 = that one). */
  afterFault: number;
  kind: string;
  rule: string;
  labels: Record<string, string>;
  severity: string;
  summary: string;
}

export async function replayScenario(o: { scenario: ScenarioName; minutes: number; enable?: string[]; endMs?: number }): Promise<{ transitions: ReplayedTransition[]; failed: string[]; evaluations: number; store: Store; cleanup(): Promise<void> }> {
  const { store, cleanup } = await openTempStore();
  await migrate(store, { retentionDays: 30 });
  const end = Math.floor((o.endMs ?? Date.now() - 10 * MIN) / MIN) * MIN;
  await seedStore(store, { payments: 40_000, days: 3 / 24, endMs: end, scenario: o.scenario, windowMs: FAULT_MS, seed: 'alerts' });
  for (const id of o.enable ?? []) {
    const { id: _id, builtIn: _b, updatedAt: _u, ...def } = (await getAlertRule(store, SCENARIO_ALERT_CONFIG, id))!;
    await saveAlertRule(store, SCENARIO_ALERT_CONFIG, { ...def, enabled: true }, id);
  }
  const faultStart = end - FAULT_MS;
  const transitions: ReplayedTransition[] = [];
  const failed: string[] = [];
  let evaluations = 0;
  for (let now = faultStart - 5 * MIN; now <= faultStart + o.minutes * MIN; now += INTERVAL) {
    const r = await evaluateAlerts(store, { config: SCENARIO_ALERT_CONFIG, now });
    evaluations++;
    failed.push(...r.failed.map((f) => `${f.rule}: ${f.error}`));
    for (const t of r.transitions) {
      transitions.push({ afterFault: Math.floor((now - faultStart) / INTERVAL), kind: t.kind, rule: t.alert.rule, labels: t.alert.labels, severity: t.alert.severity, summary: t.alert.annotations.summary ?? '' });
    }
  }
  return { transitions, failed, evaluations, store, cleanup };
}
