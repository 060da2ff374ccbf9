/**
 * `npm run seed -- --payments N --days D [--scenario S] [--seed X] [--truth FILE] [--data-dir DIR]`
 * writes realistic historical payment traces straight into the store (sim/README.md describes
 * their shape). Embedded by default (payscope must not be running on that data directory), or the
 * ClickHouse server named by CLICKHOUSE_URL.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { migrate } from '../clickhouse/migrate';
import { loadConfig } from '../lib/config';
import { openStore } from '../lib/store/store';
import { SCENARIO_NAMES, SCENARIOS, type ScenarioName } from '../sim/model/scenarios';
import { seedStore } from '../sim/seed/seed';

const HELP = `Usage: npm run seed -- --payments N --days D [options]

Writes N simulated payments (about 21 spans each: checkout trace + callback trace) spread over the
last D days into payscope's store, with a daily traffic curve, mixed channels, gateways and
currencies, provider errors of every class, timeouts, retries and failover, double charges, late,
lost and duplicate callbacks, and distributed transactions with their anomalies.

Options:
  --payments N      number of payments (required; 520000 ≈ 11 million spans)
  --days D          history length in days, ending now (required; fractions allowed)
  --scenario S      ${SCENARIO_NAMES.join(' | ')} (default baseline);
                    the fault applies to the last --window-hours of the range
  --window-hours H  length of the scenario window (default 2)
  --seed X          PRNG seed: same seed, counts and end time give the same spans (default payscope)
  --end T           end of the range, ISO 8601 or epoch ms (default now)
  --truth FILE      write the ground truth (affected orders, lost/late/duplicate callbacks, failures
                    per class, double charges, retry chains, transaction anomalies, ...) as JSON
  --data-dir DIR    payscope's data directory, as PAYSCOPE_DATA_DIR (the store is DIR/store;
                    default PAYSCOPE_DATA_DIR or .payscope-data); ignored when CLICKHOUSE_URL is set
  --help            this text

Scenarios:
${SCENARIO_NAMES.map((n) => `  ${n.padEnd(18)} ${SCENARIOS[n].description}`).join('\n')}
`;

function fail(message: string): never {
  process.stderr.write(`seed: ${message}\n\n${HELP}`);
  process.exit(2);
}

let args;
try {
  args = parseArgs({
    options: {
      payments: { type: 'string' }, days: { type: 'string' }, scenario: { type: 'string' }, 'window-hours': { type: 'string' },
      seed: { type: 'string' }, end: { type: 'string' }, truth: { type: 'string' }, 'data-dir': { type: 'string' }, help: { type: 'boolean' },
    },
    strict: true,
  }).values;
} catch (err) {
  fail((err as Error).message);
}
if (args.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
const payments = Number(args.payments);
const days = Number(args.days);
if (!Number.isInteger(payments) || payments < 1) fail('--payments must be a positive integer');
if (!Number.isFinite(days) || days <= 0) fail('--days must be a positive number');
const scenario = (args.scenario ?? 'baseline') as ScenarioName;
if (!SCENARIO_NAMES.includes(scenario)) fail(`unknown scenario ${JSON.stringify(args.scenario)}`);
const windowHours = args['window-hours'] !== undefined ? Number(args['window-hours']) : 2;
if (!Number.isFinite(windowHours) || windowHours <= 0) fail('--window-hours must be a positive number');
const endMs = args.end === undefined ? Date.now() : /^\d+$/.test(args.end) ? Number(args.end) : Date.parse(args.end);
if (!Number.isFinite(endMs)) fail(`--end: not a time: ${JSON.stringify(args.end)}`);

const env = { ...process.env };
if (args['data-dir'] && !env.CLICKHOUSE_URL) env.PAYSCOPE_DATA_DIR = path.resolve(args['data-dir']);
const config = loadConfig(env);
if (config.storeKind === 'embedded' && config.retentionDays > 0 && days > config.retentionDays) {
  process.stderr.write(`seed: note: retention is ${config.retentionDays} days (PAYSCOPE_RETENTION_DAYS); older seeded days will be dropped by TTL\n`);
}

const where = config.storeKind === 'embedded' ? config.dataDir : config.clickhouseUrl;
process.stderr.write(`seed: ${payments.toLocaleString('en')} payments over ${days} days, scenario ${scenario}, into ${where}\n`);
const store = await openStore(config);
try {
  await migrate(store, { retentionDays: config.retentionDays });
  const started = performance.now();
  const tty = process.stderr.isTTY;
  let lastDraw = 0;
  const r = await seedStore(store, {
    payments, days, scenario, seed: args.seed, endMs, truth: args.truth !== undefined, windowMs: windowHours * 3_600_000,
    onProgress: (p) => {
      const now = performance.now();
      if (now - lastDraw < 200 && p.payments < p.totalPayments) return;
      lastDraw = now;
      const frac = p.payments / p.totalPayments;
      const width = 30;
      const bar = '█'.repeat(Math.round(frac * width)).padEnd(width, '░');
      const secs = (now - started) / 1000;
      const line = `${bar} ${(frac * 100).toFixed(0).padStart(3)}%  ${p.spans.toLocaleString('en')} spans generated, ${p.storedSpans.toLocaleString('en')} stored  ${(p.storedSpans / Math.max(secs, 0.001)).toFixed(0)} spans/s`;
      process.stderr.write(tty ? `\r${line}` : `${line}\n`);
    },
  });
  process.stderr.write(`${tty ? '\n' : ''}seed: stored ${r.spans.toLocaleString('en')} spans in ${r.traces.toLocaleString('en')} traces (${r.payments.toLocaleString('en')} payments) in ${r.seconds.toFixed(1)} s, ${(r.spans / r.seconds).toFixed(0)} spans/s\n`);
  if (args.truth !== undefined) {
    fs.writeFileSync(args.truth, JSON.stringify(r.truth, null, 2));
    process.stderr.write(`seed: ground truth written to ${args.truth}\n`);
  }
} finally {
  await store.close();
}
