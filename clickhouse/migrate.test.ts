import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, renderStatements, TTL_TARGETS } from './migrate';
import { sql } from '../lib/store/sql';
import type { Store } from '../lib/store/store';
import { openTempStore } from '../test/helpers/store';

let store: Store;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ store, cleanup } = await openTempStore());
});
afterAll(async () => cleanup?.());

async function snapshot() {
  const tables = await store.query(sql`SELECT name, engine, create_table_query FROM system.tables WHERE database = currentDatabase() ORDER BY name`);
  const columns = await store.query(sql`SELECT table, name, type, default_kind, default_expression FROM system.columns WHERE database = currentDatabase() ORDER BY table, position`);
  const applied = await store.query(sql`SELECT version, name, checksum, applied_at FROM payscope_schema_migrations ORDER BY version`);
  return { tables, columns, applied };
}

describe('migrations', () => {
  it('apply every migration once, and a second run changes nothing', async () => {
    const first = await migrate(store, { retentionDays: 30 });
    expect(first.applied).toEqual([
      '0001_otel_traces', '0002_trace_id_ts', '0003_payment_columns', '0004_payment_stage_events',
      '0005_payment_order_traces', '0006_gateway_calls', '0007_hop_spans', '0008_funnels',
      '0009_otel_traces_storage', '0010_otel_traces_merges',
      '0020_payment_money_and_http_status',
      '0030_payment_attempts',
      '0035_transaction_phases',
      '0040_alert_rules', '0041_alerts', '0042_alert_silences', '0043_alert_notifications', '0044_instances',
      '0050_span_hours', '0051_stage_latency_partials',
      '0052_funnel_partials', '0054_hop_edges_partials', '0055_hop_sample_spans', '0056_hop_edges_partials_bucket',
      '0057_payment_hour_partials', '0058_stuck_candidate_partials', '0060_search_attribute_columns',
      '0064_attribute_sample_spans', '0068_hop_sample_payments',
      '0073_otel_traces_map_strings', '0074_otel_traces_scope_codecs', '0075_derived_tables_merges',
    ]);
    const before = await snapshot();
    expect(before.tables.map((t) => t.name)).toEqual(
      expect.arrayContaining(['otel_traces', 'otel_traces_trace_id_ts', 'otel_traces_trace_id_ts_mv', 'payscope_schema_migrations']),
    );
    const second = await migrate(store, { retentionDays: 30 });
    expect(second).toEqual({ applied: [], ttlChanged: [] });
    expect(await snapshot()).toEqual(before);
  });

  it('reconcile the retention TTL with the configuration, idempotently', async () => {
    const ttlOf = async (table: string) =>
      /\bTTL\s+(.+?)\s+SETTINGS\b/.exec(
        (await store.query<{ q: string }>(sql`SELECT create_table_query AS q FROM system.tables WHERE database = currentDatabase() AND name = ${table}`))[0].q,
      )?.[1] ?? '';
    expect(await ttlOf('otel_traces')).toBe('toDateTime(Timestamp) + toIntervalDay(30)');
    expect((await migrate(store, { retentionDays: 7 })).ttlChanged).toEqual(TTL_TARGETS.map((t) => t.table));
    expect(await ttlOf('otel_traces')).toBe('toDateTime(Timestamp) + toIntervalDay(7)');
    expect(await ttlOf('otel_traces_trace_id_ts')).toBe('toDateTime(Start) + toIntervalDay(7)');
    expect((await migrate(store, { retentionDays: 7 })).ttlChanged).toEqual([]);
    expect(await ttlOf('hop_spans')).toBe('toDateTime(Timestamp) + toIntervalDay(7)');
    expect((await migrate(store, { retentionDays: 0 })).ttlChanged).toEqual(TTL_TARGETS.map((t) => t.table));
    expect(await ttlOf('otel_traces')).toBe('');
  });
});

describe('renderStatements', () => {
  it('targets a single node without cluster clauses', () => {
    const [s] = renderStatements('CREATE TABLE t {{ON_CLUSTER}} (a UInt8) ENGINE = {{MERGE_TREE:t}} ORDER BY a;', '');
    expect(s).toBe('CREATE TABLE t  (a UInt8) ENGINE = MergeTree() ORDER BY a');
  });
  it('targets a cluster with ON CLUSTER and a Replicated engine', () => {
    const [s] = renderStatements('CREATE TABLE t {{ON_CLUSTER}} (a UInt8) ENGINE = {{MERGE_TREE:t}} ORDER BY a;', 'prod');
    expect(s).toBe("CREATE TABLE t ON CLUSTER `prod` (a UInt8) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/t', '{replica}') ORDER BY a");
  });
  it('refuses an unknown placeholder', () => {
    expect(() => renderStatements('SELECT {{NOPE}}', '')).toThrow(/unknown migration placeholder/);
  });
});
