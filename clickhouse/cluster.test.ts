/**
 * Scale-out: the migrations rendered for a ClickHouse cluster (ON CLUSTER, Replicated engines,
 * `_local` tables and Distributed tables sharded by trace id, views on the local tables), and the
 * query layer run against that layout on the embedded engine, compared with a single node holding
 * the same spans.
 *
 * The embedded engine (chDB) defines no cluster, runs no distributed DDL queue ("Replicated DDL
 * queries are disabled") and has no Keeper for Replicated engines. It does run Distributed tables:
 * it is given a cluster in a configuration file, and the DDL is rendered with `onCluster: false,
 * replicated: false` (the same `_local` + Distributed layout, plain MergeTree, run on this node).
 * The stand-in cluster has two shards: this process (weight 1: every insert lands here) and an
 * unreachable one (weight 0, skipped by `skip_unavailable_shards`), so ClickHouse plans every query
 * as on a real two-shard cluster — double-distributed subqueries included — and the data is all here.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Session } from 'chdb';
import type { ClickHouseSettings } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLUSTER_SETTINGS, loadMigrations, localTable, migrate, migrationsTableStatement, renderStatements, SHARDED_TABLES, TTL_TARGETS, type SchemaLayout } from './migrate';
import { DEFAULT_CHECKOUT_FUNNEL, type FunnelDefinition } from '../lib/analytics/funnel';
import { RowBinaryWriter, SPAN_COLUMNS } from '../lib/ingest/otlp';
import { sql, UNSAFE_RAW_SQL } from '../lib/store/sql';
import { openStore, type Store } from '../lib/store/store';
import { getFunnel } from '../lib/queries/funnel';
import { listFunnelDropOffs } from '../lib/queries/funnel-drop-offs';
import { deleteFunnel, listFunnels, saveFunnel } from '../lib/queries/funnels';
import { getGatewayHealth } from '../lib/queries/gateway-health';
import { getImpact } from '../lib/queries/impact';
import { getSlowestHops } from '../lib/queries/hops';
import { getIngestSummary } from '../lib/queries/ingest-summary';
import { getOverview, hasAnySpans, listFilterValues, listPayments } from '../lib/queries/overview';
import { getStageLatency } from '../lib/queries/stage-latency';
import { getStorageStats, type StorageStats } from '../lib/queries/storage';
import { listInconsistentPayments, listStuckPayments } from '../lib/queries/stuck';
import { getPayment, getTrace, searchTraces } from '../lib/queries/traces';
import { insertFixture } from '../test/helpers/fixtures';
import { HAND_T0, HOPS_FIXTURE, HOPS_T0, PAYMENTS_FIXTURE } from '../test/helpers/payments-fixture';
import { writeSeedSpan } from '../sim/seed/rowbinary';
import { paymentStream, seedStore } from '../sim/seed/seed';
import { tempDataDir, testConfig } from '../test/helpers/store';

/** Tables that are not span data: saved funnels and the alerting state (rules, alerts, silences, the notification outbox, instance heartbeats). */
const CLUSTER_WIDE_TABLES = ['payscope_funnels', 'payscope_alert_rules', 'payscope_alerts', 'payscope_alert_silences', 'payscope_alert_notifications', 'payscope_instances'];

/**
 * Sharding key of each span-derived table: the trace hash for span data, so a trace's rows share a
 * shard; `rand()` for the hourly partial results and the record of inserted hours, which are read
 * whole through their Distributed tables and never joined to a trace on its shard.
 */
const SHARDING_KEYS: Record<string, string> = {
  otel_traces: 'cityHash64(TraceId)',
  otel_traces_trace_id_ts: 'cityHash64(TraceId)',
  payment_stage_events: 'cityHash64(TraceId)',
  payment_order_traces: 'cityHash64(TraceId)',
  gateway_calls: 'cityHash64(TraceId)',
  hop_spans: 'TraceKey', // = cityHash64(TraceId), computed by hop_spans_mv
  hop_sample_spans: 'TraceKey',
  hop_sample_payments: 'TraceKey',
  attribute_sample_spans: 'cityHash64(TraceId)',
  transaction_phases: 'cityHash64(TraceId)',
  payment_attempts: 'cityHash64(TraceId)',
  span_hours: 'rand()',
  partial_hours: 'rand()',
  stage_latency_partials: 'rand()',
  funnel_partials: 'rand()',
  hop_edges_partials: 'rand()',
  payment_hour_partials: 'rand()',
  stuck_candidate_partials: 'rand()',
};

/** Engine of a sharded table other than MergeTree: span_hours keeps the last insert per hour. */
const ENGINE_KINDS: Record<string, string> = { span_hours: 'ReplacingMergeTree' };

/**
 * The local table each materialized view reads, by the table it writes. The span table is the
 * source of all but the critical-path sample, which takes a sixteenth of hop_spans' traces, and its
 * stage spans, taken from payment_stage_events; the partial tables (not listed) are written by the
 * partials job, not by a view.
 */
const VIEW_SOURCES: Record<string, string> = {
  otel_traces_trace_id_ts: 'otel_traces_local',
  payment_stage_events: 'otel_traces_local',
  payment_order_traces: 'otel_traces_local',
  gateway_calls: 'otel_traces_local',
  hop_spans: 'otel_traces_local',
  hop_sample_spans: 'hop_spans_local',
  hop_sample_payments: 'payment_stage_events_local',
  attribute_sample_spans: 'otel_traces_local',
  transaction_phases: 'otel_traces_local',
  payment_attempts: 'otel_traces_local',
  span_hours: 'otel_traces_local',
};

const PROD: SchemaLayout = { cluster: 'prod', database: 'payscope' };
const firstLine = (s: string) => s.split('\n')[0];
const engineOf = (s: string) => /\bENGINE = (.+?)\n|\bENGINE = (.+)$/s.exec(s)?.slice(1).find(Boolean)?.trim() ?? '';
const plainName = (name: string) => new RegExp(`(?<![\\w'.])${name}(?![\\w'])`);

describe('migrations rendered for a cluster', () => {
  const migrations = loadMigrations(PROD);
  const statements = migrations.flatMap((m) => m.statements);
  const creates = statements.filter((s) => s.startsWith('CREATE TABLE'));
  const views = statements.filter((s) => s.startsWith('CREATE MATERIALIZED VIEW'));
  const createOf = (table: string) => {
    const found = creates.filter((s) => s.startsWith(`CREATE TABLE IF NOT EXISTS ${table} `));
    expect(found, table).toHaveLength(1);
    return found[0];
  };

  it('are the reviewed DDL (clickhouse/__snapshots__/cluster-prod.sql)', async () => {
    const text = migrations.map((m) => `-- ${m.name}\n${m.statements.map((s) => s + ';\n').join('\n')}`).join('\n');
    await expect(text).toMatchFileSnapshot('./__snapshots__/cluster-prod.sql');
  });

  it('run every statement ON CLUSTER prod', () => {
    expect(statements.length).toBeGreaterThan(20);
    // Except a migration's copy of history into a new table: an INSERT runs on the node that
    // migrates, local table to local table (docs/deploy.md: each other shard runs it once).
    const local = (s: string) => /^INSERT INTO \w+_local\nSELECT [^;]*\nFROM \w+_local(\n|$)/.test(s);
    expect(statements.filter(local).map(firstLine)).toEqual(['INSERT INTO hop_sample_spans_local', 'INSERT INTO attribute_sample_spans_local', 'INSERT INTO hop_sample_payments_local']);
    for (const s of statements.filter((x) => !local(x))) expect(firstLine(s), s).toMatch(/^(CREATE (TABLE|MATERIALIZED VIEW) IF NOT EXISTS|ALTER TABLE) \w+ ON CLUSTER `prod`( |$)/);
  });

  it('use Replicated engines: per shard for span data, one replica set across the cluster for saved funnels and alert state', () => {
    const engines = creates.map(engineOf).filter((e) => !e.startsWith('Distributed'));
    expect(engines).toHaveLength(SHARDED_TABLES.length + CLUSTER_WIDE_TABLES.length);
    for (const e of engines) expect(e).toMatch(/^Replicated(Replacing)?MergeTree\('/);
    expect(statements.join('\n')).not.toMatch(/(?<!Replicated|Replacing)MergeTree\(/);
    for (const t of SHARDED_TABLES) {
      expect(engineOf(createOf(`${t}_local`))).toBe(`Replicated${ENGINE_KINDS[t] ?? 'MergeTree'}('/clickhouse/tables/{shard}/{database}/${t}_local', '{replica}')`);
    }
    // Small tables every node reads whole: one replica set across the cluster, not sharded.
    for (const t of CLUSTER_WIDE_TABLES) {
      expect(engineOf(createOf(t))).toBe(`ReplicatedReplacingMergeTree('/clickhouse/tables/all/{database}/${t}', '{shard}-{replica}')`);
    }
    // The record of applied migrations, created by migrate() itself, likewise on every node.
    const record = migrationsTableStatement(PROD);
    expect(firstLine(record)).toBe('CREATE TABLE IF NOT EXISTS payscope_schema_migrations ON CLUSTER `prod` (');
    expect(record).toContain("ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/all/{database}/payscope_schema_migrations', '{shard}-{replica}') ORDER BY version");
    expect(migrationsTableStatement('')).toContain('ENGINE = ReplacingMergeTree() ORDER BY version');
  });

  it('create each span-derived table as <name>_local plus a Distributed <name> sharded by its key', () => {
    expect([...SHARDED_TABLES].sort()).toEqual(Object.keys(SHARDING_KEYS).sort());
    expect(SHARDED_TABLES).toEqual(TTL_TARGETS.map((t) => t.table));
    for (const t of SHARDED_TABLES) {
      const local = createOf(`${t}_local`);
      const dist = createOf(t);
      expect(dist).toBe(
        `CREATE TABLE IF NOT EXISTS ${t} ON CLUSTER \`prod\` AS ${t}_local\n` +
          `ENGINE = Distributed('prod', 'payscope', '${t}_local', ${SHARDING_KEYS[t]})`,
      );
      // The Distributed table comes right after its local table, before anything reads it.
      expect(statements.indexOf(dist)).toBe(statements.indexOf(local) + 1);
    }
    // The span table's payment columns are added to both: a Distributed table only reads the columns it declares.
    const addColumns = statements.filter((s) => /ADD COLUMN IF NOT EXISTS PaymentOrderId/.test(s)).map(firstLine);
    expect(addColumns).toEqual(['ALTER TABLE otel_traces_local ON CLUSTER `prod`', 'ALTER TABLE otel_traces ON CLUSTER `prod`']);
  });

  it('attach every materialized view to a local table and write the local rollup', () => {
    expect(views).toHaveLength(Object.keys(VIEW_SOURCES).length);
    const targets = views.map((v) => {
      const to = /\nTO (\w+)\n/.exec(v)?.[1] ?? '';
      const from = /\nFROM (\w+)(\n|$)/.exec(v)?.[1];
      expect(from, v).toBe(VIEW_SOURCES[to.replace(/_local$/, '')]);
      return to;
    });
    expect(targets.sort()).toEqual(Object.keys(VIEW_SOURCES).map((t) => `${t}_local`).sort());
  });

  it('name a plain span-derived table only where a Distributed table is meant', () => {
    for (const s of statements) {
      for (const t of SHARDED_TABLES) {
        if (!plainName(t).test(s)) continue;
        // Columns are added to the Distributed table too (it reads them from the shards).
        const allowed = s === createOf(t) || (firstLine(s) === `ALTER TABLE ${t} ON CLUSTER \`prod\`` && /ADD COLUMN/.test(s));
        expect(allowed, `${t} in:\n${s}`).toBe(true);
      }
    }
  });

  it('render nothing of it for one node', () => {
    const single = loadMigrations('').flatMap((m) => m.statements).join('\n');
    expect(single).not.toMatch(/ON CLUSTER|Replicated|Distributed|_local\b|\{\{/);
    for (const t of SHARDED_TABLES) expect(single).toContain(`CREATE TABLE IF NOT EXISTS ${t}  (`);
  });

  it('point Distributed tables at the current database unless one is given, and check names', () => {
    const [d] = renderStatements('{{DISTRIBUTED:hop_spans:TraceKey}};', 'c1');
    expect(d).toBe("CREATE TABLE IF NOT EXISTS hop_spans ON CLUSTER `c1` AS hop_spans_local\nENGINE = Distributed('c1', currentDatabase(), 'hop_spans_local', TraceKey)");
    expect(renderStatements('{{DISTRIBUTED:hop_spans:TraceKey}};', '')).toEqual([]);
    expect(() => renderStatements('SELECT 1 FROM {{TABLE:payscope_funnels}}', 'c1')).toThrow(/not a sharded table/);
    expect(() => renderStatements('{{DISTRIBUTED:payscope_funnels:Id}}', 'c1')).toThrow(/not a sharded table/);
    expect(() => renderStatements('{{DISTRIBUTED:payscope_funnels:Id}}', '')).toThrow(/not a sharded table/);
    expect(() => renderStatements('ALTER TABLE {{LOCAL_AND_DISTRIBUTED:otel_traces}} ADD COLUMN x UInt8', '')).not.toThrow();
    expect(renderStatements('ALTER TABLE {{LOCAL_AND_DISTRIBUTED:otel_traces}} ADD COLUMN x UInt8', 'c1')).toEqual([
      'ALTER TABLE otel_traces_local ADD COLUMN x UInt8', 'ALTER TABLE otel_traces ADD COLUMN x UInt8',
    ]);
    expect(() => renderStatements('SELECT 1', "c1`; DROP TABLE x; --")).toThrow(/plain identifier/);
    expect(() => renderStatements('CREATE TABLE t (a UInt8) ENGINE = {{MERGE_TREE:t:everywhere}}', 'c1')).toThrow(/replication scope/);
    expect(localTable('otel_traces', 'c1')).toBe('otel_traces_local');
    expect(localTable('otel_traces', '')).toBe('otel_traces');
    expect(localTable('payscope_funnels', 'c1')).toBe('payscope_funnels');
  });

  it('render the embedded stand-in: same tables, no ON CLUSTER, plain MergeTree', () => {
    const s = loadMigrations({ cluster: 'x', onCluster: false, replicated: false }).flatMap((m) => m.statements).join('\n');
    expect(s).not.toMatch(/ON CLUSTER|Replicated/);
    expect(s).toContain("ENGINE = Distributed('x', currentDatabase(), 'otel_traces_local', cityHash64(TraceId))");
    expect(s).toContain('CREATE TABLE IF NOT EXISTS otel_traces_local  (');
  });
});

// ---------------------------------------------------------------------------------------------------

const CLUSTER = 'payscope_test';
const STAND_IN: SchemaLayout = { cluster: CLUSTER, database: 'default', onCluster: false, replicated: false };
/** chDB listens on no port; a replica at this host and `tcp_port` is this process, queried in-process. */
const STAND_IN_CONFIG = `<clickhouse>
  <tcp_port>9000</tcp_port>
  <remote_servers>
    <${CLUSTER}>
      <shard><weight>1</weight><replica><host>localhost</host><port>9000</port></replica></shard>
      <shard><weight>0</weight><replica><host>127.0.0.1</host><port>1</port></replica></shard>
    </${CLUSTER}>
  </remote_servers>
</clickhouse>
`;
/** Only for the stand-in's unreachable second shard. */
const STAND_IN_SETTINGS: ClickHouseSettings = { skip_unavailable_shards: 1 };

/** The store with extra settings on every query and command (what the store does on a cluster). */
function withSettings(store: Store, extra: ClickHouseSettings): Store {
  const wrapped = Object.create(store) as Store;
  return Object.assign(wrapped, {
    query: (q: Parameters<Store['query']>[0], s?: ClickHouseSettings) => store.query(q, { ...extra, ...s }),
    command: (q: Parameters<Store['command']>[0], s?: ClickHouseSettings) => store.command(q, { ...extra, ...s }),
  });
}

const END = Date.parse('2025-04-10T12:00:00Z');
const SEED = { payments: 250, seed: 'cluster', days: 6 / 24, endMs: END, scenario: 'gateway-degraded' as const, chunkSpans: 1500 };
const SEEDED = { from: new Date(END - 6 * 3_600_000), to: new Date(END + 3_600_000) };
const PART = { from: new Date(END - 3 * 3_600_000), to: new Date(END - 1_800_000) };
const HAND = { from: new Date(HAND_T0 - 60_000), to: new Date(HAND_T0 + 3 * 3_600_000) };
const REPLAY = { fromMs: END - 30 * 86_400_000, toMs: END - 29 * 86_400_000 };
const BY_SPAN: FunnelDefinition = {
  name: 'by service', flowKey: 'payment.order_id', windowSec: 3600,
  steps: [{ name: 'created', service: 'order', stage: 'order.create' }, { name: 'requested', stage: 'gateway.request' }, { name: 'called back', stage: 'gateway.callback' }],
};

let tmp: { dir: string; cleanup(): void };
let session: Session;
let store: Store;

beforeAll(async () => {
  tmp = tempDataDir('payscope-cluster-');
  const config = path.join(tmp.dir, 'stand-in.xml');
  fs.writeFileSync(config, STAND_IN_CONFIG);
  const dataDir = path.join(tmp.dir, 'store');
  fs.mkdirSync(dataDir);
  // The first connection to a data directory starts the engine with its configuration; the store's
  // own connection to the same directory then shares it.
  session = new Session(dataDir, { connectionArgs: [`--config-file=${config}`] });
  store = await openStore({ ...testConfig(tmp.dir), dataDir });
});
afterAll(async () => {
  await store?.close();
  session?.close();
  tmp?.cleanup();
});

/** Writes the same spans: seeded traffic through the RowBinary insert, the hand fixtures as JSON, and one replayed batch. */
async function loadSpans(s: Store): Promise<{ spans: number }> {
  const seeded = await seedStore(s, SEED);
  // The embedded connection applies per-statement settings with SET, so they outlive the statement:
  // without this the fixtures' JSON inserts would carry the last spool insert's deduplication token.
  const noToken = () => s.command(sql`SELECT 1`, { insert_deduplication_token: '' });
  await noToken();
  await insertFixture(s, PAYMENTS_FIXTURE, HAND_T0);
  await noToken();
  await insertFixture(s, HOPS_FIXTURE, HOPS_T0);
  // A spool batch inserted twice with its token (a replay after a crash) is stored once.
  const w = new RowBinaryWriter(1 << 20);
  const stream = paymentStream({ payments: 20, seed: 'replay', scenario: 'baseline', ...REPLAY });
  let replayed = 0;
  for (let i = 0; i < 20; i++) replayed += stream.next((span) => writeSeedSpan(w, span)).spans;
  const file = path.join(tmp.dir, 'replay.rowbinary');
  fs.writeFileSync(file, w.buf.subarray(0, w.pos));
  const count = async () => Number((await s.query<{ n: string }>(sql`SELECT count() AS n FROM otel_traces`))[0].n);
  const before = await count();
  await s.insertRowBinaryFile('otel_traces', SPAN_COLUMNS, file, 'replayed-batch-1');
  await s.insertRowBinaryFile('otel_traces', SPAN_COLUMNS, file, 'replayed-batch-1');
  expect(await count()).toBe(before + replayed);
  expect(before).toBe(seeded.spans + PAYMENTS_FIXTURE.length + HOPS_FIXTURE.length);
  return { spans: before + replayed };
}

/** Every query function of lib/queries over the loaded spans; ids to look up come from `pick` (the single node's results). */
async function runQueries(s: Store, pick?: { traceIds: string[]; orderIds: string[] }) {
  const r: Record<string, unknown> = {};
  for (const [name, range] of [['seeded', SEEDED], ['part', PART], ['hand', HAND]] as const) {
    r[`${name}.funnel`] = await getFunnel(s, { ...range, funnel: DEFAULT_CHECKOUT_FUNNEL, split: 'channel', compare: { from: new Date(range.from.getTime() - 3_600_000), to: range.from } });
    r[`${name}.funnel.gateway`] = await getFunnel(s, { ...range, funnel: DEFAULT_CHECKOUT_FUNNEL, split: 'gateway', channel: 'card' });
    r[`${name}.funnel.bySpan`] = await getFunnel(s, { ...range, funnel: BY_SPAN });
    r[`${name}.dropOffs`] = await listFunnelDropOffs(s, { ...range, funnel: DEFAULT_CHECKOUT_FUNNEL, step: 3 });
    r[`${name}.dropOffs.bySpan`] = await listFunnelDropOffs(s, { ...range, funnel: BY_SPAN, step: 2 });
    r[`${name}.gateways`] = await getGatewayHealth(s, { ...range });
    r[`${name}.gateways.byChannel`] = await getGatewayHealth(s, { ...range, splitByChannel: true });
    r[`${name}.hops`] = await getSlowestHops(s, { ...range });
    r[`${name}.hops.card`] = await getSlowestHops(s, { ...range, channel: 'card' });
    r[`${name}.hops.stripe`] = await getSlowestHops(s, { ...range, gateway: 'stripe', sampleTraces: 20 });
    r[`${name}.stages`] = await getStageLatency(s, { ...range });
    r[`${name}.stuck`] = await listStuckPayments(s, { ...range });
    r[`${name}.inconsistent`] = await listInconsistentPayments(s, { ...range });
    r[`${name}.impact`] = await getImpact(s, { ...range });
    r[`${name}.traces`] = await searchTraces(s, { ...range, limit: 40 });
    r[`${name}.traces.slow`] = await searchTraces(s, { ...range, sort: 'duration', status: 'error', limit: 20 });
    r[`${name}.traces.filtered`] = await searchTraces(s, { ...range, service: 'payment', stage: 'gateway.request', gateway: 'stripe', minDurationMs: 1 });
    r[`${name}.overview`] = await getOverview(s, { ...range });
    r[`${name}.payments`] = await listPayments(s, { ...range, sort: 'slowest', limit: 30 });
    r[`${name}.filters`] = await listFilterValues(s, { ...range });
    r[`${name}.ingest`] = await getIngestSummary(s, range);
  }
  r.anySpans = await hasAnySpans(s);
  const ids = pick ?? {
    traceIds: [...(r['seeded.traces'] as Awaited<ReturnType<typeof searchTraces>>).traces.slice(0, 5).map((t) => t.traceId), '0'.repeat(32)],
    orderIds: ['ord_A', 'ord_B', 'ord_D', 'ord_E', 'no-such-order', ...(r['seeded.payments'] as Awaited<ReturnType<typeof listPayments>>).payments.slice(0, 5).map((p) => p.orderId)],
  };
  for (const id of ids.traceIds) r[`trace.${id}`] = await getTrace(s, id);
  for (const id of ids.orderIds) {
    r[`payment.${id}`] = await getPayment(s, id);
    r[`traces.order.${id}`] = await searchTraces(s, { ...SEEDED, from: HAND.from, orderId: id });
  }
  // Saved funnels: a table every node holds (not sharded), versions read by argMax.
  await saveFunnel(s, { ...BY_SPAN, id: 'f1' });
  await saveFunnel(s, { ...BY_SPAN, id: 'f1', name: 'renamed' });
  await saveFunnel(s, { ...BY_SPAN, id: 'f2' });
  await deleteFunnel(s, 'f2');
  r.funnels = (await listFunnels(s)).map((f) => ({ ...f, updatedAt: f.updatedAt === null ? null : 'set' }));
  return { results: r, ids };
}

async function dropAll(s: Store): Promise<void> {
  const tables = await s.query<{ name: string; engine: string }>(sql`SELECT name, engine FROM system.tables WHERE database = currentDatabase()`);
  const rank = (e: string) => (e === 'MaterializedView' ? 0 : e === 'Distributed' ? 1 : 2);
  for (const t of tables.sort((a, b) => rank(a.engine) - rank(b.engine))) {
    await s.command(sql`DROP TABLE IF EXISTS ${UNSAFE_RAW_SQL('`' + t.name + '`')} SYNC`);
  }
}

describe('queries on the Distributed tables (embedded stand-in cluster)', () => {
  let single: Awaited<ReturnType<typeof runQueries>>;
  let singleSpans: number;
  let singleStorage: StorageStats;

  it('the stand-in cluster exists, with a local shard and an unreachable one', async () => {
    const rows = await store.query<{ shard_num: number; shard_weight: number; is_local: number }>(
      sql`SELECT shard_num, shard_weight, is_local FROM system.clusters WHERE cluster = ${CLUSTER} ORDER BY shard_num`,
    );
    expect(rows.map((r) => [Number(r.shard_num), Number(r.shard_weight), Number(r.is_local)])).toEqual([[1, 1, 1], [2, 0, 0]]);
  });

  it('on a single node: the reference results', async () => {
    await migrate(store, { retentionDays: 0 });
    singleSpans = (await loadSpans(store)).spans;
    single = await runQueries(store);
    singleStorage = await getStorageStats(store);
    expect(singleStorage.spans).toBe(singleSpans);
    expect((single.results['seeded.funnel'] as { steps: { reached: number }[] }).steps[0].reached).toBeGreaterThan(100);
    expect((single.results['hand.stuck'] as { payments: unknown[] }).payments.length).toBeGreaterThan(0);
    expect(single.results['payment.ord_A']).not.toBeNull();
  }, 180_000);

  it('migrations build the cluster layout: Distributed tables over the _local ones, views on the local span table', async () => {
    await dropAll(store);
    const r = await migrate(store, { retentionDays: 0, layout: STAND_IN });
    expect(r.applied).toHaveLength(loadMigrations('').length);
    const tables = new Map(
      (await store.query<{ name: string; engine: string; full: string }>(sql`
        SELECT name, engine, engine_full AS full FROM system.tables WHERE database = currentDatabase()`)).map((t) => [t.name, t]),
    );
    for (const t of SHARDED_TABLES) {
      expect(tables.get(`${t}_local`)?.engine, t).toBe(ENGINE_KINDS[t] ?? 'MergeTree');
      expect(tables.get(t)?.full).toBe(`Distributed('${CLUSTER}', 'default', '${t}_local', ${SHARDING_KEYS[t]})`);
    }
    expect(tables.get('payscope_funnels')?.engine).toBe('ReplacingMergeTree');
    const views = await store.query<{ name: string; q: string }>(sql`
      SELECT name, create_table_query AS q FROM system.tables WHERE database = currentDatabase() AND engine = 'MaterializedView'`);
    expect(views).toHaveLength(Object.keys(VIEW_SOURCES).length);
    for (const v of views) {
      const to = / TO default\.(\w+)_local /.exec(v.q)?.[1] ?? '';
      expect(v.q).toMatch(new RegExp(` FROM default\\.${VIEW_SOURCES[to]}( |$)`, 's'));
    }
    // The Distributed span table has the payment columns too, computed (not stored) as on the shards.
    const cols = await store.query<{ name: string; default_kind: string }>(sql`
      SELECT name, default_kind FROM system.columns WHERE database = currentDatabase() AND table = 'otel_traces' AND name IN ('PaymentOrderId', 'Kind', 'IsError')`);
    expect(cols.map((c) => c.default_kind)).toEqual(['MATERIALIZED', 'MATERIALIZED', 'MATERIALIZED']);
    // Idempotent, like on one node.
    expect(await migrate(store, { retentionDays: 0, layout: STAND_IN })).toEqual({ applied: [], ttlChanged: [] });
  });

  it('retention is set on the _local tables, where the rows are', async () => {
    const r = await migrate(store, { retentionDays: 7, layout: STAND_IN });
    expect(r.ttlChanged).toEqual(TTL_TARGETS.map((t) => `${t.table}_local`));
    const [q] = await store.query<{ q: string }>(sql`SELECT create_table_query AS q FROM system.tables WHERE database = currentDatabase() AND name = 'otel_traces_local'`);
    expect(q.q).toContain('TTL toDateTime(Timestamp) + toIntervalDay(7)');
    expect((await migrate(store, { retentionDays: 0, layout: STAND_IN })).ttlChanged).toHaveLength(TTL_TARGETS.length);
  });

  it('refuses a cluster the server does not define', async () => {
    await expect(migrate(store, { retentionDays: 0, layout: { ...STAND_IN, cluster: 'nope' } })).rejects.toThrow(/cluster "nope" .* not defined/);
  });

  it('spans inserted through the Distributed otel_traces fill every local table, and a replayed batch is stored once', async () => {
    const cluster = withSettings(store, { ...STAND_IN_SETTINGS, ...CLUSTER_SETTINGS });
    expect((await loadSpans(cluster)).spans).toBe(singleSpans);
    const counts = await store.query<{ t: string; n: string }>(sql`
      SELECT 'local' AS t, count() AS n FROM otel_traces_local UNION ALL SELECT 'distributed', count() FROM otel_traces SETTINGS skip_unavailable_shards = 1`);
    expect(Object.fromEntries(counts.map((c) => [c.t, Number(c.n)]))).toEqual({ local: singleSpans, distributed: singleSpans });
  }, 120_000);

  it('every query returns what it returns on a single node', async () => {
    const cluster = withSettings(store, { ...STAND_IN_SETTINGS, ...CLUSTER_SETTINGS });
    const got = await runQueries(cluster, single.ids);
    for (const key of Object.keys(single.results)) expect(got.results[key], key).toEqual(single.results[key]);
    expect(Object.keys(got.results)).toEqual(Object.keys(single.results));
  }, 180_000);

  it('storage stats read every shard\'s parts and name the _local tables as payscope\'s', async () => {
    const cluster = Object.assign(withSettings(store, { ...STAND_IN_SETTINGS, ...CLUSTER_SETTINGS }), { cluster: CLUSTER });
    const got = await getStorageStats(cluster);
    expect(got.spans).toBe(singleSpans);
    const rows = (s: StorageStats) => Object.fromEntries(s.tables.map((t) => [t.table, t.rows]));
    expect(rows(got)).toEqual(rows(singleStorage));
    expect(got.tables.some((t) => t.table.endsWith('_local'))).toBe(false);
    expect(got.bytesPerSpan).toBeGreaterThan(0);
    // Read through cluster(): a query on the unreachable second shard is skipped, not an error, and
    // without skip_unavailable_shards it is tried (proving the parts come from the cluster, not this node).
    await expect(getStorageStats(Object.assign(withSettings(store, { ...CLUSTER_SETTINGS, skip_unavailable_shards: 0 }), { cluster: CLUSTER }))).rejects.toThrow(/127\.0\.0\.1:1|Connection refused|ALL_CONNECTION_TRIES_FAILED/);
  });

  it('without the cluster settings, ClickHouse refuses the queries with IN subqueries on two shards (why CLUSTER_SETTINGS)', async () => {
    const bare = withSettings(store, { ...STAND_IN_SETTINGS, distributed_product_mode: 'deny' });
    await expect(searchTraces(bare, { ...HAND, orderId: 'ord_A' })).rejects.toThrow(/Double-distributed IN\/JOIN subqueries is denied/);
    await expect(getPayment(bare, 'ord_A')).rejects.toThrow(/Double-distributed/);
    await expect(getSlowestHops(bare, { ...HAND })).rejects.toThrow(/Double-distributed/);
    // Queries without such subqueries run as they are.
    expect((await getFunnel(bare, { ...HAND, funnel: DEFAULT_CHECKOUT_FUNNEL })).steps[0].reached).toBe(5);
  });
});
