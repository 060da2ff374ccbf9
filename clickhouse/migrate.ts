import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClickHouseSettings } from '@clickhouse/client';
import { sql, UNSAFE_RAW_SQL } from '../lib/store/sql';
import type { Store } from '../lib/store/store';

/**
 * Versioned, idempotent schema migrations. Each file in clickhouse/migrations is applied once, in
 * order, and recorded in `payscope_schema_migrations`; every statement is also written to be a no-op
 * when re-run (IF NOT EXISTS), so a migration interrupted half-way is simply applied again.
 *
 * The same files target one node or a cluster (docs/deploy.md). On a cluster every table that holds
 * span-derived data (SHARDED_TABLES) is `<name>_local`, a Replicated*MergeTree on each shard, plus
 * `<name>`, a Distributed table over them; queries and inserts use the plain names, so the query
 * layer reads the same SQL either way. Materialized views read and write the `_local` tables: each
 * shard rolls up its own spans. Placeholders:
 *   {{ON_CLUSTER}}                      → `ON CLUSTER name` or nothing
 *   {{TABLE:name}}                      → `name`, or `name_local` on a cluster (sharded tables only)
 *   {{LOCAL_AND_DISTRIBUTED:name}}      the statement is emitted for `name` on one node; on a cluster
 *                                       once for `name_local` and once for the Distributed `name`
 *                                       (ADD COLUMN: a Distributed table needs the columns too)
 *   {{DISTRIBUTED:name:sharding key}}   a whole statement: on a cluster it creates the Distributed
 *                                       `name` over `name_local`; on one node it is dropped
 *   {{MERGE_TREE:table}}                → `MergeTree()`, or on a cluster `ReplicatedMergeTree(path,
 *                                       replica)`, one replica set per shard: the path has `{shard}`
 *   {{MERGE_TREE:table:all_shards}}     → likewise, but one replica set across the whole cluster
 *                                       (small tables every node reads locally: saved funnels)
 *   {{REPLACING_MERGE_TREE:table[:all_shards]}} likewise.
 */

export interface Migration {
  version: number;
  name: string;
  checksum: string;
  statements: string[];
}

/** Where the schema goes: one node, or a cluster and how its DDL is emitted. */
export interface SchemaLayout {
  /** ClickHouse cluster (`remote_servers`) name; '' for one node: plain tables, no ON CLUSTER. */
  cluster: string;
  /** Database the Distributed tables point at. @default `currentDatabase()` */
  database?: string;
  /**
   * Emit `ON CLUSTER`. @default true. false runs each statement on the connected node only: the
   * embedded engine's stand-in cluster in tests (it has no distributed DDL queue).
   */
  onCluster?: boolean;
  /**
   * Replicated engines (need ClickHouse Keeper or ZooKeeper). @default true. false: plain MergeTree
   * under the same `_local` + Distributed layout, for the embedded test stand-in, which has no Keeper.
   */
  replicated?: boolean;
}

export interface MigrateOptions {
  /** Span retention in days (0 = forever), reconciled on every run. */
  retentionDays: number;
  log?: (line: string) => void;
  /** @default `{ cluster: store.cluster, database: store.database }` */
  layout?: SchemaLayout;
}

export interface MigrateResult {
  applied: string[];
  ttlChanged: string[];
}

const here = path.dirname(fileURLToPath(import.meta.url));
export const MIGRATIONS_DIR = path.join(here, 'migrations');
export const MIGRATIONS_TABLE = 'payscope_schema_migrations';

/** Every table that holds span-derived data, with the time column its retention counts from. */
export const TTL_TARGETS = [
  { table: 'otel_traces', column: 'Timestamp' },
  { table: 'otel_traces_trace_id_ts', column: 'Start' },
  { table: 'payment_stage_events', column: 'Timestamp' },
  { table: 'payment_order_traces', column: 'Start' },
  { table: 'gateway_calls', column: 'Timestamp' },
  { table: 'hop_spans', column: 'Timestamp' },
  { table: 'hop_sample_spans', column: 'Timestamp' },
  { table: 'hop_sample_payments', column: 'Timestamp' },
  { table: 'payment_attempts', column: 'Timestamp' },
  { table: 'transaction_phases', column: 'Timestamp' },
  { table: 'attribute_sample_spans', column: 'Timestamp' },
  { table: 'span_hours', column: 'Hour' },
  { table: 'partial_hours', column: 'Hour' },
  { table: 'stage_latency_partials', column: 'Hour' },
  { table: 'funnel_partials', column: 'Hour' },
  { table: 'hop_edges_partials', column: 'Hour' },
  { table: 'payment_hour_partials', column: 'Hour' },
  { table: 'stuck_candidate_partials', column: 'Hour' },
] as const;

/**
 * The tables sharded on a cluster: the span table and everything its materialized views derive from
 * it, sharded by trace id (a trace's spans, lookups and hop rows live on one shard), and the hourly
 * partial results and the record of inserted hours, sharded at random (read whole, never per trace).
 */
export const SHARDED_TABLES: readonly string[] = TTL_TARGETS.map((t) => t.table);
export const LOCAL_SUFFIX = '_local';

export { CLUSTER_SETTINGS } from '../lib/store/store';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

interface Layout {
  cluster: string;
  database: string;
  onCluster: boolean;
  replicated: boolean;
}

function resolveLayout(target: string | SchemaLayout): Layout {
  const l = typeof target === 'string' ? { cluster: target } : target;
  for (const [what, v] of [['cluster', l.cluster], ['database', l.database ?? '']]) {
    if (v && !IDENTIFIER.test(v)) throw new Error(`${what} must be a plain identifier, got ${JSON.stringify(v)}`);
  }
  return { cluster: l.cluster, database: l.database ?? '', onCluster: l.onCluster ?? true, replicated: l.replicated ?? true };
}

/** The table that holds the rows of `name` on this node: `name`, or `name_local` for a sharded table on a cluster. */
export function localTable(name: string, target: string | SchemaLayout): string {
  const layout = resolveLayout(target);
  return layout.cluster && SHARDED_TABLES.includes(name) ? name + LOCAL_SUFFIX : name;
}

function onClusterClause(layout: Layout): string {
  return layout.cluster && layout.onCluster ? `ON CLUSTER \`${layout.cluster}\`` : '';
}

function engine(kind: 'MergeTree' | 'ReplacingMergeTree', table: string, layout: Layout, scope = ''): string {
  if (scope && scope !== 'all_shards') throw new Error(`unknown replication scope ${JSON.stringify(scope)} (all_shards or none)`);
  if (!layout.cluster || !layout.replicated) return `${kind}()`;
  if (scope === 'all_shards') return `Replicated${kind}('/clickhouse/tables/all/{database}/${table}', '{shard}-{replica}')`;
  return `Replicated${kind}('/clickhouse/tables/{shard}/{database}/${table}', '{replica}')`;
}

function shardedName(name: string): string {
  if (!SHARDED_TABLES.includes(name)) throw new Error(`${name} is not a sharded table (SHARDED_TABLES)`);
  return name;
}

function distributedStatement(name: string, key: string, layout: Layout): string {
  const local = localTable(shardedName(name), layout);
  const db = layout.database ? `'${layout.database}'` : 'currentDatabase()';
  return `CREATE TABLE IF NOT EXISTS ${name} ${onClusterClause(layout)} AS ${local}\n` +
    `ENGINE = Distributed('${layout.cluster}', ${db}, '${local}', ${key})`;
}

const DISTRIBUTED = /^\{\{DISTRIBUTED:([A-Za-z0-9_]+):(.+?)\}\}$/s;
const BOTH = /\{\{LOCAL_AND_DISTRIBUTED:([A-Za-z0-9_]+)\}\}/g;

function fill(statement: string, layout: Layout): string {
  const filled = statement
    .replace(/\{\{ON_CLUSTER\}\}/g, onClusterClause(layout))
    .replace(/\{\{TABLE:([A-Za-z0-9_]+)\}\}/g, (_, t) => localTable(shardedName(t), layout))
    .replace(/\{\{MERGE_TREE:([A-Za-z0-9_]+)(?::([a-z_]+))?\}\}/g, (_, t, s) => engine('MergeTree', localTable(t, layout), layout, s))
    .replace(/\{\{REPLACING_MERGE_TREE:([A-Za-z0-9_]+)(?::([a-z_]+))?\}\}/g, (_, t, s) => engine('ReplacingMergeTree', localTable(t, layout), layout, s));
  const leftover = filled.match(/\{\{[^}]*\}\}/);
  if (leftover) throw new Error(`unknown migration placeholder ${leftover[0]}`);
  return filled;
}

/** Splits a migration file into statements and fills the placeholders for this store. */
export function renderStatements(text: string, target: string | SchemaLayout): string[] {
  const layout = resolveLayout(target);
  const out: string[] = [];
  const statements = text
    .split('\n')
    .filter((line) => !line.trim().startsWith('--'))
    .join('\n')
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.trim())
    .filter(Boolean);
  for (const statement of statements) {
    const dist = DISTRIBUTED.exec(statement);
    if (dist) {
      shardedName(dist[1]);
      if (layout.cluster) out.push(distributedStatement(dist[1], dist[2].trim(), layout));
      continue;
    }
    const both = [...statement.matchAll(BOTH)].map((m) => m[1]);
    if (new Set(both).size > 1) throw new Error('one {{LOCAL_AND_DISTRIBUTED:…}} table per statement');
    if (both.length === 0) {
      out.push(fill(statement, layout));
      continue;
    }
    const name = shardedName(both[0]);
    out.push(fill(statement.replace(BOTH, localTable(name, layout)), layout));
    if (layout.cluster) out.push(fill(statement.replace(BOTH, name), layout));
  }
  return out;
}

export function loadMigrations(target: string | SchemaLayout, dir = MIGRATIONS_DIR): Migration[] {
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
        statements: renderStatements(text, target),
      };
    });
}

/** The TTL clause ClickHouse shows in SHOW CREATE for `days` of retention, or '' for none. */
export function ttlExpression(column: string, days: number): string {
  return days > 0 ? `toDateTime(${column}) + toIntervalDay(${days})` : '';
}

/**
 * The table recording applied migrations. On a cluster it is replicated to every node (one replica
 * set across all shards), so a migrate run through any node sees what a run through another applied.
 */
export function migrationsTableStatement(target: string | SchemaLayout): string {
  const layout = resolveLayout(target);
  return `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} ${onClusterClause(layout)} (
      version UInt32, name String, checksum String, applied_at DateTime64(3) DEFAULT now64(3)
    ) ENGINE = ${engine('ReplacingMergeTree', MIGRATIONS_TABLE, layout, 'all_shards')} ORDER BY version`;
}

/** Retention applies where the rows are: the `_local` tables on a cluster (a Distributed table stores nothing). */
async function reconcileTtl(store: Store, days: number, layout: Layout, log: (l: string) => void): Promise<string[]> {
  const changed: string[] = [];
  const onCluster = UNSAFE_RAW_SQL(onClusterClause(layout));
  for (const { table: name, column } of TTL_TARGETS) {
    const table = localTable(name, layout);
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
  const layout = resolveLayout(opts.layout ?? { cluster: store.cluster, database: store.database });
  if (layout.cluster) {
    const [{ n }] = await store.query<{ n: string }>(sql`SELECT count() AS n FROM system.clusters WHERE cluster = ${layout.cluster}`);
    if (Number(n) === 0) {
      throw new Error(
        `ClickHouse cluster ${JSON.stringify(layout.cluster)} (PAYSCOPE_CLICKHOUSE_CLUSTER) is not defined on this server: ` +
          'see `SELECT cluster FROM system.clusters` and remote_servers in its configuration',
      );
    }
  }
  // Checked first so that a start with nothing to apply runs no DDL (on a cluster, no distributed DDL
  // that would wait for every host).
  const [{ n: hasRecord }] = await store.query<{ n: string }>(
    sql`SELECT count() AS n FROM system.tables WHERE database = currentDatabase() AND name = ${MIGRATIONS_TABLE}`,
  );
  if (Number(hasRecord) === 0) await store.command(sql`${UNSAFE_RAW_SQL(migrationsTableStatement(layout))}`);
  const done = new Map(
    (await store.query<{ version: number; checksum: string }>(
      sql`SELECT version, argMax(checksum, applied_at) AS checksum FROM ${UNSAFE_RAW_SQL(MIGRATIONS_TABLE)} GROUP BY version`,
    )).map((r) => [Number(r.version), r.checksum]),
  );
  const applied: string[] = [];
  for (const m of loadMigrations(layout)) {
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
  const ttlChanged = await reconcileTtl(store, opts.retentionDays, layout, log);
  return { applied, ttlChanged };
}
