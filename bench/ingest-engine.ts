/**
 * Where the embedded engine's share of ingest goes: the same spool files (real OTLP requests
 * decoded by payscope's decoder, 32k-span batches as group commit makes under load) inserted into a
 * fresh store per variant of the schema or the insert settings, each variant in its own process.
 * Counted in CPU time, not wall time, so a busy machine moves the figures less: CPU per stored span
 * of the insert (the query's threads) and of the merges it causes (the merge threads, until the
 * engine is idle again), and bytes per span on disk.
 *
 *   node --import tsx bench/ingest-engine.ts [--batches 8] [--batch-spans 32000] [--variants base,no-views,'without hop_spans_mv','maps ZSTD(6) & analyzer off',...]
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../lib/config';
import { openStore, embeddedInsertSql, STORE_SETTINGS, type Store } from '../lib/store/store';
import { sql } from '../lib/store/sql';
import { migrate } from '../clickhouse/migrate';
import { decodeTraceRequestProtobuf, SPAN_COLUMNS } from '../lib/ingest/otlp';
import { buildPayloads } from './payloads';

/** Stands for every materialized view the migrations made (listed from system.tables in the child). */
const ALL_VIEWS = '<all views>';
/** `EACH_TABLE + 'MODIFY SETTING …'`: that ALTER on every MergeTree table (the span table and the views' tables). */
const EACH_TABLE = '<each table> ';
const IDS_AND_MAPS = (codec: string) => `ALTER TABLE otel_traces
  MODIFY COLUMN TraceId String CODEC(${codec}), MODIFY COLUMN SpanId String CODEC(${codec}), MODIFY COLUMN ParentSpanId String CODEC(${codec}),
  MODIFY COLUMN ResourceAttributes Map(LowCardinality(String), String) CODEC(${codec}),
  MODIFY COLUMN SpanAttributes Map(LowCardinality(String), String) CODEC(${codec})`;

/** Each variant: statements run after the migrations, and settings of the insert. */
export interface EngineVariant { ddl?: string[]; settings?: Record<string, string | number>; viaStore?: boolean }

export const ENGINE_VARIANTS: Record<string, EngineVariant> = {
  base: {},
  // The ingest's own call: the embedded store inserts on a connection of its own.
  'insert connection': { viaStore: true },
  'parallel-views': { settings: { parallel_view_processing: 1 } },
  'no-views': { ddl: [ALL_VIEWS] },
  'ids+maps ZSTD(1)': { ddl: [IDS_AND_MAPS('ZSTD(1)')] },
  'ids+maps LZ4': { ddl: [IDS_AND_MAPS('LZ4')] },
  'compact parts up to 64 MiB': { ddl: ['ALTER TABLE otel_traces MODIFY SETTING min_bytes_for_wide_part = 67108864'] },
  'no trace-id bloom filter': { ddl: ['ALTER TABLE otel_traces DROP INDEX idx_trace_id'] },
  // Whether analysing the views' queries is part of each insert's fixed cost.
  'analyzer off': { settings: { enable_analyzer: 0 } },
  // Fewer, larger merges (the default base is 5): less rewriting per span, more parts alive.
  'merge_selector_base 10': { ddl: [`${EACH_TABLE}MODIFY SETTING merge_selector_base = 10`] },
  'merge_selector_base 20': { ddl: [`${EACH_TABLE}MODIFY SETTING merge_selector_base = 20`] },
  'otel_traces merge_selector_base 10': { ddl: ['ALTER TABLE otel_traces MODIFY SETTING merge_selector_base = 10'] },
  // The span table's codecs and skip indexes as before 0009_otel_traces_storage.
  'before 0009': { ddl: [`ALTER TABLE otel_traces ADD INDEX IF NOT EXISTS idx_duration Duration TYPE minmax GRANULARITY 1,
    ADD INDEX IF NOT EXISTS idx_payment_order_id PaymentOrderId TYPE bloom_filter(0.001) GRANULARITY 1,
    MODIFY COLUMN Duration UInt64 CODEC(ZSTD(1)), MODIFY COLUMN ScopeName String CODEC(ZSTD(1)), MODIFY COLUMN ScopeVersion String CODEC(ZSTD(1)),
    MODIFY COLUMN PaymentOrderId String MATERIALIZED SpanAttributes['payment.order_id'] CODEC(ZSTD(1))`] },
  // Not stored but computed on read; no migration can do this idempotently (docs/schema.md).
  'IsError and Kind as ALIAS': { ddl: ['ALTER TABLE otel_traces MODIFY COLUMN IsError REMOVE CODEC, MODIFY COLUMN Kind REMOVE CODEC', `ALTER TABLE otel_traces MODIFY COLUMN IsError UInt8 ALIAS StatusCode IN ('Error', 'STATUS_CODE_ERROR'),
    MODIFY COLUMN Kind LowCardinality(String) ALIAS multiIf(SpanKind IN ('Server', 'SPAN_KIND_SERVER'), 'server', SpanKind IN ('Client', 'SPAN_KIND_CLIENT'), 'client',
      SpanKind IN ('Producer', 'SPAN_KIND_PRODUCER'), 'producer', SpanKind IN ('Consumer', 'SPAN_KIND_CONSUMER'), 'consumer', SpanKind IN ('Internal', 'SPAN_KIND_INTERNAL'), 'internal', 'unspecified')`] },
  // Fewer bytes for more CPU at every write of the maps (docs/schema.md).
  'maps ZSTD(6)': { ddl: ['ALTER TABLE otel_traces MODIFY COLUMN ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(6)), MODIFY COLUMN SpanAttributes Map(LowCardinality(String), String) CODEC(ZSTD(6))'] },
  // The span table as before 0073: the strings inside its maps and arrays with their lengths in a size stream of their own.
  'before 0073': { ddl: ['ALTER TABLE otel_traces MODIFY SETTING propagate_types_serialization_versions_to_nested_types = 1'] },
  // The tables the span views fill merging at the default base (5), as before 0075.
  'before 0075': { ddl: ['payment_stage_events', 'payment_order_traces', 'gateway_calls', 'hop_spans', 'hop_sample_spans', 'payment_attempts',
    'transaction_phases', 'otel_traces_trace_id_ts', 'span_hours', 'attribute_sample_spans', 'hop_sample_payments']
    .map((t) => `ALTER TABLE ${t} MODIFY SETTING merge_selector_base = 5`) },
  'no views+indexes': { ddl: [ALL_VIEWS, 'ALTER TABLE otel_traces DROP INDEX idx_trace_id'] },
  'no views+indexes+payment columns': { ddl: [ALL_VIEWS, 'ALTER TABLE otel_traces DROP INDEX idx_trace_id',
    `ALTER TABLE otel_traces ${['PaymentOrderId', 'PaymentStage', 'PaymentChannel', 'PaymentGateway', 'PaymentOutcome', 'PaymentErrorCode', 'PeerHost', 'IsError', 'Kind'].map((c) => `DROP COLUMN ${c}`).join(', ')}`] },
};

export interface EngineResult {
  variant: string; spans: number;
  insertMsP50: number; insertCpuUsPerSpan: number; mergeCpuUsPerSpan: number; totalCpuUsPerSpan: number;
  threadCpuSec: Record<string, number>; bytesPerSpan: number; bytesPerSpanAllTables: number; partsOtelTraces: number; partsAllTables: number;
  events: Record<string, number>;
}

function threadTicks(): Map<string, { name: string; ticks: number }> {
  const out = new Map<string, { name: string; ticks: number }>();
  for (const tid of fs.readdirSync('/proc/self/task')) {
    try {
      const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const name = tid === String(process.pid) ? 'node main' : stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replace(/[\d:]+$/, '');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(tid, { name, ticks: Number(f[11]) + Number(f[12]) });
    } catch { /* the thread ended */ }
  }
  return out;
}

async function events(store: Store): Promise<Map<string, number>> {
  return new Map((await store.query<{ event: string; value: string }>(sql`SELECT event, value FROM system.events`)).map((e) => [e.event, Number(e.value)]));
}

/** Waits until no merge has run for a while: the merges the inserts caused are done. */
async function settle(store: Store): Promise<void> {
  let quiet = 0;
  for (let i = 0; i < 600 && quiet < 10; i++) {
    const [{ n }] = await store.query<{ n: string }>(sql`SELECT count() AS n FROM system.merges`);
    quiet = Number(n) === 0 ? quiet + 1 : 0;
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function child(variantName: string, filesDir: string): Promise<EngineResult> {
  // `without <view>`: the schema minus that one materialized view.
  // `a & b`: the variants' statements and settings together.
  const parts = variantName.split(' & ').map((name) => {
    const without = /^without ([A-Za-z0-9_]+)$/.exec(name);
    const v: EngineVariant | undefined = without ? { ddl: [`DROP VIEW ${without[1]}`] } : ENGINE_VARIANTS[name];
    if (!v) throw new Error(`unknown variant ${name}`);
    return v;
  });
  const variant: EngineVariant = {
    ddl: parts.flatMap((v) => v.ddl ?? []),
    settings: Object.assign({}, ...parts.map((v) => v.settings)),
    viaStore: parts.some((v) => v.viaStore),
  };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'payscope-engine-'));
  const store = await openStore({ ...loadConfig({ ...process.env, PAYSCOPE_DATA_DIR: dir, CLICKHOUSE_URL: '' }) });
  try {
    await migrate(store, { retentionDays: 0, log: () => {} });
    const views = await store.query<{ name: string }>(sql`SELECT name FROM system.tables WHERE database = currentDatabase() AND engine = 'MaterializedView'`);
    const tables = await store.query<{ name: string }>(sql`SELECT name FROM system.tables WHERE database = currentDatabase() AND engine LIKE '%MergeTree'`);
    const expand = (d: string) => d === ALL_VIEWS ? views.map((v) => `DROP VIEW ${v.name}`)
      : d.startsWith(EACH_TABLE) ? tables.map((t) => `ALTER TABLE ${t.name} ${d.slice(EACH_TABLE.length)}`)
        : [d];
    for (const ddl of (variant.ddl ?? []).flatMap(expand)) {
      await store.client.command({ query: ddl });
    }
    const files = fs.readdirSync(filesDir).filter((f) => f.endsWith('.rowbinary')).sort().map((f) => path.join(filesDir, f));
    await settle(store);
    const e0 = await events(store);
    const t0 = threadTicks();
    const times: number[] = [];
    for (const [i, file] of files.entries()) {
      const t = performance.now();
      if (variant.viaStore) await store.insertRowBinaryFile('otel_traces', SPAN_COLUMNS, file, `bench-${i}`);
      else await store.client.command({ query: embeddedInsertSql('otel_traces', SPAN_COLUMNS, file, `bench-${i}`), clickhouse_settings: { ...STORE_SETTINGS, ...variant.settings } });
      times.push(performance.now() - t);
    }
    await settle(store);
    const t1 = threadTicks();
    const e1 = await events(store);
    const threadCpuSec: Record<string, number> = {};
    for (const [tid, t] of t1) threadCpuSec[t.name] = (threadCpuSec[t.name] ?? 0) + (t.ticks - (t0.get(tid)?.ticks ?? 0)) / 100;
    const total = Object.values(threadCpuSec).reduce((a, b) => a + b, 0);
    const merge = threadCpuSec.MergeMutate ?? 0;
    const parts = await store.query<{ table: string; parts: string; rows: string; bytes: string }>(sql`
      SELECT table, count() AS parts, sum(rows) AS rows, sum(bytes_on_disk) AS bytes FROM system.parts
      WHERE active AND database = currentDatabase() GROUP BY table`);
    const ot = parts.find((p) => p.table === 'otel_traces')!;
    const stored = Number(ot.rows);
    const evs: Record<string, number> = {};
    for (const [k, v] of e1) if (v - (e0.get(k) ?? 0) > 0) evs[k] = v - (e0.get(k) ?? 0);
    times.sort((a, b) => a - b);
    return {
      variant: variantName,
      spans: stored,
      insertMsP50: times[Math.floor(times.length / 2)],
      insertCpuUsPerSpan: ((total - merge) * 1e6) / stored,
      mergeCpuUsPerSpan: (merge * 1e6) / stored,
      totalCpuUsPerSpan: (total * 1e6) / stored,
      threadCpuSec: Object.fromEntries(Object.entries(threadCpuSec).filter(([, s]) => s > 0).sort((a, b) => b[1] - a[1])),
      bytesPerSpan: Number(ot.bytes) / stored,
      bytesPerSpanAllTables: parts.filter((p) => p.table !== 'payscope_schema_migrations').reduce((a, p) => a + Number(p.bytes), 0) / stored,
      partsOtelTraces: Number(ot.parts),
      partsAllTables: parts.filter((p) => p.table !== 'payscope_schema_migrations').reduce((a, p) => a + Number(p.parts), 0),
      events: evs,
    };
  } finally {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Writes `batches` spool-like RowBinary files of ~batchSpans spans each, from distinct SDK-built requests. */
function writeBatches(dir: string, batches: number, batchSpans: number): number {
  const perRequest = 1000;
  let spans = 0;
  for (let b = 0; b < batches; b++) {
    const { bodies } = buildPayloads(Math.ceil(batchSpans / perRequest), perRequest, b + 1);
    const rows = bodies.map((body) => decodeTraceRequestProtobuf(body));
    for (const r of rows) spans += r.accepted;
    fs.writeFileSync(path.join(dir, `batch-${String(b).padStart(3, '0')}.rowbinary`), Buffer.concat(rows.map((r) => r.rows)));
  }
  return spans;
}

export async function benchIngestEngine(opts: { batches: number; batchSpans: number; variants: string[]; log?: (l: string) => void }): Promise<EngineResult[]> {
  const log = opts.log ?? ((l) => console.error(l));
  const filesDir = fs.mkdtempSync(path.join(os.tmpdir(), 'payscope-engine-files-'));
  try {
    const spans = writeBatches(filesDir, opts.batches, opts.batchSpans);
    log(`  ${opts.batches} batches, ${spans} spans`);
    const results: EngineResult[] = [];
    for (const variant of opts.variants) {
      const out = await new Promise<string>((resolve, reject) => {
        const c = spawn(process.execPath, ['--import', 'tsx', import.meta.filename, '--child', variant, filesDir], { stdio: ['ignore', 'pipe', 'inherit'] });
        let s = '';
        c.stdout!.on('data', (d) => (s += d));
        c.on('exit', (code) => (code === 0 ? resolve(s) : reject(new Error(`${variant}: exit ${code}`))));
      });
      const r = JSON.parse(out.trim().split('\n').pop()!) as EngineResult;
      log(`  ${variant}: insert ${r.insertCpuUsPerSpan.toFixed(2)} µs/span, merges ${r.mergeCpuUsPerSpan.toFixed(2)} µs/span, insert p50 ${r.insertMsP50.toFixed(0)} ms, ${r.bytesPerSpan.toFixed(1)} B/span, parts left ${r.partsOtelTraces} (all tables ${r.partsAllTables})`);
      results.push(r);
    }
    return results;
  } finally {
    fs.rmSync(filesDir, { recursive: true, force: true });
  }
}

const args = process.argv.slice(2);
if (args[0] === '--child') {
  console.log(JSON.stringify(await child(args[1], args[2])));
  process.exit(0);
} else if (import.meta.filename === path.resolve(process.argv[1] ?? '')) {
  const arg = (name: string, dflt: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
  const results = await benchIngestEngine({
    batches: Number(arg('--batches', '8')),
    batchSpans: Number(arg('--batch-spans', '32000')),
    variants: arg('--variants', Object.keys(ENGINE_VARIANTS).join(',')).split(','),
  });
  console.table(results.map((r) => ({
    variant: r.variant,
    'insert µs/span': r.insertCpuUsPerSpan.toFixed(2),
    'merge µs/span': r.mergeCpuUsPerSpan.toFixed(2),
    'total µs/span': r.totalCpuUsPerSpan.toFixed(2),
    'insert p50 ms': r.insertMsP50.toFixed(0),
    'B/span otel_traces': r.bytesPerSpan.toFixed(1),
    'B/span all': r.bytesPerSpanAllTables.toFixed(1),
    'parts otel_traces; all': `${r.partsOtelTraces}; ${r.partsAllTables}`,
  })));
  fs.mkdirSync(path.join(import.meta.dirname, 'results'), { recursive: true });
  fs.writeFileSync(path.join(import.meta.dirname, 'results', 'ingest-engine.json'), JSON.stringify({ date: new Date().toISOString(), results }, null, 2));
}
