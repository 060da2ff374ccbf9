import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql, UNSAFE_RAW_SQL } from '../lib/store/sql';
import type { Store } from '../lib/store/store';

/**
 * Versioned, idempotent schema migrations. Each file in clickhouse/migrations is applied once, in
 * order, and recorded in `payscope_schema_migrations`; every statement is also written to be a no-op
 * when re-run (IF NOT EXISTS), so a migration interrupted half-way is simply applied again.
 * Placeholders let the same files target one node or a cluster:
 *   {{ON_CLUSTER}}            → `ON CLUSTER name` or nothing
 *   {{MERGE_TREE:table}}      → `MergeTree` or `ReplicatedMergeTree(path, replica)`
 *   {{REPLACING_MERGE_TREE:table}} likewise.
 */

export interface Migration {
  version: number;
  name: string;
  checksum: string;
  statements: string[];
}

export interface MigrateOptions {
  /** Span retention in days (0 = forever), reconciled on every run. */
  retentionDays: number;
  log?: (line: string) => void;
}

export interface MigrateResult {
  applied: string[];
  ttlChanged: string[];
}

const here = path.dirname(fileURLToPath(import.meta.url));
export const MIGRATIONS_DIR = path.join(here, 'migrations');
export const MIGRATIONS_TABLE = 'payscope_schema_migrations';

function engine(kind: 'MergeTree' | 'ReplacingMergeTree', table: string, cluster: string): string {
  if (!cluster) return `${kind}()`;
  return `Replicated${kind}('/clickhouse/tables/{shard}/{database}/${table}', '{replica}')`;
}

/** Splits a migration file into statements and fills the placeholders for this store. */
export function renderStatements(text: string, cluster: string): string[] {
  const filled = text
    .replace(/\{\{ON_CLUSTER\}\}/g, cluster ? `ON CLUSTER \`${cluster}\`` : '')
    .replace(/\{\{MERGE_TREE:([A-Za-z0-9_]+)\}\}/g, (_, t) => engine('MergeTree', t, cluster))
    .replace(/\{\{REPLACING_MERGE_TREE:([A-Za-z0-9_]+)\}\}/g, (_, t) => engine('ReplacingMergeTree', t, cluster));
  const leftover = filled.match(/\{\{[^}]*\}\}/);
  if (leftover) throw new Error(`unknown migration placeholder ${leftover[0]}`);
  return filled
    .split('\n')
    .filter((line) => !line.trim().startsWith('--'))
    .join('\n')
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.trim())
    .filter(Boolean);
}

export function loadMigrations(cluster: string, dir = MIGRATIONS_DIR): Migration[] {
  return fs
    .readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((file) => {
      const text = fs.readFileSync(path.join(dir, file), 'utf8');
      return {
        version: Number(file.slice(0, 4)),
        name: file.replace(/\.sql$/, ''),
        checksum: crypto.createHash('sha256').update(text).digest('hex').slice(0, 16),
        statements: renderStatements(text, cluster),
      };
    });
}

/** Every table that holds span-derived data, with the time column its retention counts from. */
export const TTL_TARGETS = [
  { table: 'otel_traces', column: 'Timestamp' },
  { table: 'otel_traces_trace_id_ts', column: 'Start' },
  { table: 'payment_stage_events', column: 'Timestamp' },
  { table: 'payment_order_traces', column: 'Start' },
  { table: 'gateway_calls', column: 'Timestamp' },
  { table: 'hop_spans', column: 'Timestamp' },
] as const;

/** The TTL clause ClickHouse shows in SHOW CREATE for `days` of retention, or '' for none. */
export function ttlExpression(column: string, days: number): string {
  return days > 0 ? `toDateTime(${column}) + toIntervalDay(${days})` : '';
}

async function reconcileTtl(store: Store, days: number, log: (l: string) => void): Promise<string[]> {
  const changed: string[] = [];
  const onCluster = store.cluster ? UNSAFE_RAW_SQL(`ON CLUSTER \`${store.cluster}\``) : UNSAFE_RAW_SQL('');
  for (const { table, column } of TTL_TARGETS) {
    const rows = await store.query<{ q: string }>(
      sql`SELECT create_table_query AS q FROM system.tables WHERE database = currentDatabase() AND name = ${table}`,
    );
    if (rows.length === 0) continue;
    const current = /\bTTL\s+(.+?)\s+SETTINGS\b/.exec(rows[0].q)?.[1]?.trim() ?? '';
    const wanted = ttlExpression(column, days);
    if (current === wanted) continue;
    const t = UNSAFE_RAW_SQL(table);
    if (wanted) await store.command(sql`ALTER TABLE ${t} ${onCluster} MODIFY TTL ${UNSAFE_RAW_SQL(wanted)}`);
    else await store.command(sql`ALTER TABLE ${t} ${onCluster} REMOVE TTL`);
    log(`retention of ${table}: ${current || 'forever'} → ${wanted || 'forever'}`);
    changed.push(table);
  }
  return changed;
}

/** Brings the store's schema up to date. Safe to run at every start and from several processes in turn. */
export async function migrate(store: Store, opts: MigrateOptions): Promise<MigrateResult> {
  const log = opts.log ?? (() => {});
  const onCluster = store.cluster ? UNSAFE_RAW_SQL(`ON CLUSTER \`${store.cluster}\``) : UNSAFE_RAW_SQL('');
  await store.command(sql`
    CREATE TABLE IF NOT EXISTS ${UNSAFE_RAW_SQL(MIGRATIONS_TABLE)} ${onCluster} (
      version UInt32, name String, checksum String, applied_at DateTime64(3) DEFAULT now64(3)
    ) ENGINE = ${UNSAFE_RAW_SQL(engine('ReplacingMergeTree', MIGRATIONS_TABLE, store.cluster))} ORDER BY version`);
  const done = new Map(
    (await store.query<{ version: number; checksum: string }>(
      sql`SELECT version, argMax(checksum, applied_at) AS checksum FROM ${UNSAFE_RAW_SQL(MIGRATIONS_TABLE)} GROUP BY version`,
    )).map((r) => [Number(r.version), r.checksum]),
  );
  const applied: string[] = [];
  for (const m of loadMigrations(store.cluster)) {
    if (done.has(m.version)) {
      if (done.get(m.version) !== m.checksum) log(`warning: migration ${m.name} changed after it was applied; not re-applied`);
      continue;
    }
    for (const statement of m.statements) await store.command(sql`${UNSAFE_RAW_SQL(statement)}`);
    await store.command(
      sql`INSERT INTO ${UNSAFE_RAW_SQL(MIGRATIONS_TABLE)} (version, name, checksum) VALUES (${m.version}, ${m.name}, ${m.checksum})`,
    );
    log(`applied migration ${m.name}`);
    applied.push(m.name);
  }
  const ttlChanged = await reconcileTtl(store, opts.retentionDays, log);
  return { applied, ttlChanged };
}
