import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { migrate } from '../clickhouse/migrate';
import { evaluateAlerts } from '../lib/alerts/engine';
import { defaultRules } from '../lib/alerts/rules';
import { measure } from '../lib/alerts/sources';
import { loadConfig } from '../lib/config';
import { sql } from '../lib/store/sql';
import { openStore } from '../lib/store/store';
import { seedStore } from '../sim/seed/seed';
import { SCALES } from './scale';

/**
 * Alert evaluation on ~10M seeded spans (7 days, the `gateway-degraded` scenario in the last 2 h):
 * every enabled default rule evaluated as the job does, at 15 s steps of logical time ending at the
 * seeded range's end. The first evaluation computes the hour's baselines (cold); the next ones reuse
 * them (warm), as every evaluation but one an hour does. Goal: ≤ 1 s per evaluation. Also each
 * rule's measurement alone, cold and warm.
 */

export interface BenchAlertsOptions {
  payments?: number;
  days?: number;
  evaluations?: number;
  /** A store kept in (or reused from) this directory. */
  dataDir?: string;
  onProgress?: (line: string) => void;
}

export interface BenchAlertsResult {
  spans: number;
  goalMs: number;
  coldMs: number;
  warm: { evaluations: number; p50Ms: number; p95Ms: number; maxMs: number };
  rules: { rule: string; coldMs: number; warmMs: number; samples: number }[];
  transitions: string[];
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
};

export async function benchAlerts(opts: BenchAlertsOptions = {}): Promise<BenchAlertsResult> {
  const log = opts.onProgress ?? (() => {});
  const base = opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'payscope-bench-alerts-'));
  const config = { ...loadConfig({ ...process.env, PAYSCOPE_DATA_DIR: base, CLICKHOUSE_URL: '' }), host: '127.0.0.1' };
  const store = await openStore(config);
  try {
    await migrate(store, { retentionDays: 0 });
    const [existing] = await store.query<{ n: string; hi: string }>(sql`SELECT count() AS n, toUnixTimestamp64Milli(max(Timestamp)) AS hi FROM otel_traces`);
    let endMs: number;
    if (Number(existing.n) > 0) {
      endMs = Number(existing.hi) + 1;
      log(`alerts: reusing ${Number(existing.n).toLocaleString('en')} spans in ${base}`);
    } else {
      endMs = Date.now();
      log(`alerts: seeding ${(opts.payments ?? SCALES['10m'].payments).toLocaleString('en')} payments...`);
      await seedStore(store, {
        payments: opts.payments ?? SCALES['10m'].payments, days: opts.days ?? SCALES['10m'].days, endMs, seed: 'bench', scenario: 'gateway-degraded',
        onProgress: (p) => log(`alerts: seeded ${p.storedSpans.toLocaleString('en')} spans`),
      });
    }
    const [{ n }] = await store.query<{ n: string }>(sql`SELECT count() AS n FROM otel_traces`);
    const alertConfig = { ...config.alerts, webhookUrls: [], slackUrl: undefined };

    // Each rule alone, cold (its baselines computed) then warm, three hours before the end (another
    // hour than the job's evaluations below, so theirs start cold; no alert state involved).
    const rules: BenchAlertsResult['rules'] = [];
    const probe = endMs - 3 * 3_600_000;
    for (const rule of defaultRules(alertConfig).filter((r) => r.enabled)) {
      const ctx = { store, now: probe, publicUrl: alertConfig.publicUrl, sla: config.callbackSla };
      let t = performance.now();
      const samples = await measure(ctx, rule);
      const coldMs = performance.now() - t;
      t = performance.now();
      await measure({ ...ctx, now: probe + 15_000 }, rule);
      rules.push({ rule: rule.id, coldMs, warmMs: performance.now() - t, samples: samples.length });
    }

    // The job: every enabled default rule, from the first evaluation of the last hour on.
    const evaluations = opts.evaluations ?? 40;
    const start = Math.floor(endMs / 3_600_000) * 3_600_000;
    const times: number[] = [];
    const transitions: string[] = [];
    for (let i = 0; i <= evaluations; i++) {
      const now = start + i * 15_000;
      const t = performance.now();
      const r = await evaluateAlerts(store, { config: alertConfig, now, sla: config.callbackSla });
      times.push(performance.now() - t);
      for (const x of r.transitions) transitions.push(`${new Date(now).toISOString()} ${x.kind} ${x.alert.name} ${JSON.stringify(x.alert.labels)}`);
      log(`alerts: evaluation ${i}: ${times[i].toFixed(0)} ms`);
    }
    const warm = times.slice(1);
    return {
      spans: Number(n), goalMs: 1000, coldMs: times[0],
      warm: { evaluations: warm.length, p50Ms: pct(warm, 0.5), p95Ms: pct(warm, 0.95), maxMs: Math.max(...warm) },
      rules, transitions,
    };
  } finally {
    await store.close();
    if (opts.dataDir === undefined) fs.rmSync(base, { recursive: true, force: true });
  }
}
