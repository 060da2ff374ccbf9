import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from './migrate';
import { ident, sql } from '../lib/store/sql';
import type { Store } from '../lib/store/store';
import { openTempStore } from '../test/helpers/store';
import { decodeTraceRequestProtobuf, SPAN_COLUMNS } from '../lib/ingest/otlp';
import { buildPayloads } from '../bench/payloads';

const COPIES = ['otel_traces_now', 'otel_traces_size_stream'];

let store: Store;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ store, cleanup } = await openTempStore());
  await migrate(store, { retentionDays: 0 });
});
afterAll(async () => cleanup?.());

describe("the span table's storage (0073, 0074) and the derived tables' merges (0075)", () => {
  it("merges the tables the span table's views fill about ten parts at a time (0075), as the span table (0010)", async () => {
    const views = await store.query<{ target: string }>(sql`
      SELECT DISTINCT arrayJoin(extractAll(create_table_query, ' TO [a-z_]+[.]([a-z_]+) ')) AS target
      FROM system.tables WHERE database = currentDatabase() AND engine = 'MaterializedView' ORDER BY target`);
    expect(views.length).toBeGreaterThan(5);
    const tables = await store.query<{ name: string; q: string }>(sql`
      SELECT name, create_table_query AS q FROM system.tables WHERE database = currentDatabase()
        AND name IN (${views.map((v) => v.target)})`);
    expect(tables.map((t) => t.name).sort()).toEqual(views.map((v) => v.target));
    for (const t of tables) expect(t.q, t.name).toMatch(/merge_selector_base = 10\b/);
  });

  it('stores map and array strings with inline lengths: the same spans in fewer bytes, read back unchanged', async () => {
    // Real OTLP requests built by the OpenTelemetry SDK, decoded and inserted as ingest does.
    const { bodies } = buildPayloads(8, 1000, 11);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'payscope-span-storage-'));
    try {
      const file = path.join(dir, 'spans.rowbinary');
      fs.writeFileSync(file, Buffer.concat(bodies.map((b) => decodeTraceRequestProtobuf(b).rows)));
      await store.insertRowBinaryFile('otel_traces', SPAN_COLUMNS, file, 'span-storage-test');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    // A span with links and events, as a Collector may write it.
    await store.command(sql`
      INSERT INTO otel_traces (Timestamp, TraceId, SpanId, SpanAttributes, Events.Timestamp, Events.Name, Events.Attributes,
        Links.TraceId, Links.SpanId, Links.TraceState, Links.Attributes)
      VALUES (now64(9), '4af7651916cd43dd8448eb211c80319c', 'c7ad6b7169203331', map('payment.order_id', 'ord-links', 'empty', ''),
        [now64(9)], ['exception'], [map('exception.message', 'declined: ünïcode ✓', 'exception.type', '')],
        ['5af7651916cd43dd8448eb211c80319c', ''], ['d7ad6b7169203331', ''], ['k=v', ''], [map('a', 'b'), map()])`);

    // The same rows in a copy of the span table (its settings and codecs) and in one with the map
    // strings' separate size stream (this engine's default, the table before 0073); wide parts
    // both (a small compact part does not count bytes per column), one part each.
    await store.command(sql`DROP TABLE IF EXISTS otel_traces_now`);
    await store.command(sql`CREATE TABLE otel_traces_now AS otel_traces`);
    await store.command(sql`ALTER TABLE otel_traces_now MODIFY SETTING min_bytes_for_wide_part = 0`);
    await store.command(sql`DROP TABLE IF EXISTS otel_traces_size_stream`);
    await store.command(sql`CREATE TABLE otel_traces_size_stream AS otel_traces`);
    await store.command(sql`ALTER TABLE otel_traces_size_stream MODIFY SETTING min_bytes_for_wide_part = 0, propagate_types_serialization_versions_to_nested_types = 1`);
    for (const t of COPIES) {
      await store.command(sql`INSERT INTO ${ident(t, COPIES)} SELECT * FROM otel_traces`);
      await store.command(sql`OPTIMIZE TABLE ${ident(t, COPIES)} FINAL`);
    }

    // What each table wrote on disk for the maps: lengths inline (no `.values.size` stream) only with 0073.
    const streams = await store.query<{ table: string; column: string; s: string[] }>(sql`
      SELECT table, column, substreams AS s FROM system.parts_columns
      WHERE active AND database = currentDatabase() AND table IN ('otel_traces_now', 'otel_traces_size_stream')
        AND column IN ('SpanAttributes', 'ResourceAttributes', 'TraceId')`);
    const streamsOf = (table: string, column: string) => streams.find((r) => r.table === table && r.column === column)!.s;
    // (Substream names escape the dot inside a map's name: `SpanAttributes%2Evalues`.)
    expect(streamsOf('otel_traces_size_stream', 'SpanAttributes')).toEqual(expect.arrayContaining(['SpanAttributes%2Evalues', 'SpanAttributes%2Evalues.size']));
    expect(streamsOf('otel_traces_now', 'SpanAttributes')).toContain('SpanAttributes%2Evalues');
    expect(streamsOf('otel_traces_now', 'SpanAttributes')).not.toContain('SpanAttributes%2Evalues.size');
    // Top-level ids keep their size stream: random hex compresses better without a length byte in it.
    expect(streamsOf('otel_traces_now', 'TraceId')).toContain('TraceId.size');

    const bytes = await store.query<{ table: string; name: string; b: string }>(sql`
      SELECT table, name, toString(data_compressed_bytes) AS b FROM system.columns
      WHERE database = currentDatabase() AND table IN ('otel_traces_now', 'otel_traces_size_stream')
        AND name IN ('SpanAttributes', 'ResourceAttributes')`);
    const of = (table: string, name: string) => Number(bytes.find((r) => r.table === table && r.name === name)!.b);
    for (const name of ['SpanAttributes', 'ResourceAttributes']) {
      expect(of('otel_traces_now', name), name).toBeLessThan(of('otel_traces_size_stream', name));
    }

    // 0074: the scope columns and TraceId take fewer bytes than under their codecs before it.
    await store.command(sql`DROP TABLE IF EXISTS otel_traces_earlier_codecs`);
    await store.command(sql`
      CREATE TABLE otel_traces_earlier_codecs (
        Timestamp DateTime64(9), TraceId String CODEC(ZSTD(3)), ScopeName String CODEC(ZSTD(3)), ScopeVersion String CODEC(ZSTD(3))
      ) ENGINE = MergeTree ORDER BY (toStartOfHour(Timestamp), TraceId, Timestamp) SETTINGS min_bytes_for_wide_part = 0`);
    await store.command(sql`INSERT INTO otel_traces_earlier_codecs SELECT Timestamp, TraceId, ScopeName, ScopeVersion FROM otel_traces`);
    await store.command(sql`OPTIMIZE TABLE otel_traces_earlier_codecs FINAL`);
    const scope = await store.query<{ table: string; name: string; b: string }>(sql`
      SELECT table, name, toString(data_compressed_bytes) AS b FROM system.columns
      WHERE database = currentDatabase() AND table IN ('otel_traces_now', 'otel_traces_earlier_codecs')
        AND name IN ('TraceId', 'ScopeName', 'ScopeVersion')`);
    const scopeOf = (table: string, name: string) => Number(scope.find((r) => r.table === table && r.name === name)!.b);
    for (const name of ['TraceId', 'ScopeName', 'ScopeVersion']) {
      expect(scopeOf('otel_traces_now', name), name).toBeLessThan(scopeOf('otel_traces_earlier_codecs', name));
    }
    await store.command(sql`DROP TABLE otel_traces_earlier_codecs`);

    // Every stored value reads back the same from all three tables.
    const [{ n }] = await store.query<{ n: string }>(sql`SELECT count() AS n FROM otel_traces`);
    expect(Number(n)).toBeGreaterThan(8000);
    for (const t of COPIES) {
      const [d] = await store.query<{ missing: string; extra: string }>(sql`
        SELECT (SELECT count() FROM (SELECT * FROM otel_traces EXCEPT ALL SELECT * FROM ${ident(t, COPIES)})) AS missing,
               (SELECT count() FROM (SELECT * FROM ${ident(t, COPIES)} EXCEPT ALL SELECT * FROM otel_traces)) AS extra`);
      expect(d, t).toEqual({ missing: '0', extra: '0' });
    }
    const [linked] = await store.query(sql`
      SELECT SpanAttributes, Events.Attributes AS ea, Links.TraceId AS lt, Links.TraceState AS ls, Links.Attributes AS la
      FROM otel_traces_now WHERE TraceId = '4af7651916cd43dd8448eb211c80319c'`);
    expect(linked).toEqual({
      SpanAttributes: { empty: '', 'payment.order_id': 'ord-links' },
      ea: [{ 'exception.message': 'declined: ünïcode ✓', 'exception.type': '' }],
      lt: ['5af7651916cd43dd8448eb211c80319c', ''], ls: ['k=v', ''], la: [{ a: 'b' }, {}],
    });
    await store.command(sql`DROP TABLE otel_traces_now`);
    await store.command(sql`DROP TABLE otel_traces_size_stream`);
  });
});
