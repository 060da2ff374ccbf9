import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from './migrate';
import { sql, typed } from '../lib/store/sql';
import type { Store } from '../lib/store/store';
import { openTempStore } from '../test/helpers/store';
import { decodeTraceRequestProtobuf, SPAN_COLUMNS } from '../lib/ingest/otlp';
import { buildPayloads } from '../bench/payloads';

/**
 * The OpenTelemetry Collector clickhouseexporter's `otel_traces` columns, copied from its DDL
 * (exporter/clickhouseexporter, traces table): payscope's span table must have exactly these ordinary
 * columns, in this order, so a Collector can write into it and payscope can read a Collector's table.
 */
const COLLECTOR_COLUMNS: [string, string][] = [
  ['Timestamp', "DateTime64(9)"],
  ['TraceId', 'String'],
  ['SpanId', 'String'],
  ['ParentSpanId', 'String'],
  ['TraceState', 'String'],
  ['SpanName', 'LowCardinality(String)'],
  ['SpanKind', 'LowCardinality(String)'],
  ['ServiceName', 'LowCardinality(String)'],
  ['ResourceAttributes', 'Map(LowCardinality(String), String)'],
  ['ScopeName', 'String'],
  ['ScopeVersion', 'String'],
  ['SpanAttributes', 'Map(LowCardinality(String), String)'],
  ['Duration', 'UInt64'],
  ['StatusCode', 'LowCardinality(String)'],
  ['StatusMessage', 'String'],
  ['Events.Timestamp', 'Array(DateTime64(9))'],
  ['Events.Name', 'Array(LowCardinality(String))'],
  ['Events.Attributes', 'Array(Map(LowCardinality(String), String))'],
  ['Links.TraceId', 'Array(String)'],
  ['Links.SpanId', 'Array(String)'],
  ['Links.TraceState', 'Array(String)'],
  ['Links.Attributes', 'Array(Map(LowCardinality(String), String))'],
];

let store: Store;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ store, cleanup } = await openTempStore());
  await migrate(store, { retentionDays: 0 });
});
afterAll(async () => cleanup?.());

describe('the span table is the Collector schema', () => {
  it('has exactly the Collector columns and types; everything payscope adds is computed', async () => {
    const cols = await store.query<{ name: string; type: string; default_kind: string }>(
      sql`SELECT name, type, default_kind FROM system.columns WHERE database = currentDatabase() AND table = 'otel_traces' ORDER BY position`,
    );
    expect(cols.filter((c) => c.default_kind === '').map((c) => [c.name, c.type])).toEqual(COLLECTOR_COLUMNS);
    const added = cols.filter((c) => c.default_kind !== '');
    expect(added.length).toBeGreaterThan(0);
    for (const c of added) expect(c.default_kind, c.name).toBe('MATERIALIZED');
  });

  it('reads payment columns, errors and kinds from a row inserted the way the Collector inserts it', async () => {
    // The Collector's INSERT names its columns; older Collector versions spell status and kind
    // STATUS_CODE_ERROR / SPAN_KIND_CLIENT, newer ones Error / Client. Both must read the same.
    const insert = (traceId: string, kind: string, status: string, attrs: Record<string, string>) => store.command(sql`
      INSERT INTO otel_traces (Timestamp, TraceId, SpanId, ParentSpanId, TraceState, SpanName, SpanKind, ServiceName,
        ResourceAttributes, ScopeName, ScopeVersion, SpanAttributes, Duration, StatusCode, StatusMessage,
        Events.Timestamp, Events.Name, Events.Attributes, Links.TraceId, Links.SpanId, Links.TraceState, Links.Attributes)
      VALUES (now64(9), ${traceId}, 'b7ad6b7169203331', '', '', 'POST /charge', ${kind}, 'payment',
        map('service.name', 'payment'), 'collector', '0.1', ${typed(attrs, 'Map(String, String)')}, 1500000, ${status}, 'declined',
        [], [], [], [], [], [], [])`);
    await insert('0af7651916cd43dd8448eb211c80319c', 'SPAN_KIND_CLIENT', 'STATUS_CODE_ERROR', {
      'payment.order_id': 'ord-1', 'payment.stage': 'gateway.request', 'payment.channel': 'card',
      'payment.gateway': 'stripe', 'payment.outcome': 'failed', 'payment.error_code': 'card_declined',
      'url.full': 'https://API.stripe.com/v1/charges?x=1',
    });
    await insert('1af7651916cd43dd8448eb211c80319c', 'Client', 'Error', { 'payment.order_id': 'ord-2', 'server.address': 'openapi.alipay.com' });
    await insert('2af7651916cd43dd8448eb211c80319c', 'Server', 'Ok', { 'net.peer.name': 'db.internal' });
    const rows = await store.query(sql`
      SELECT TraceId, PaymentOrderId, PaymentStage, PaymentChannel, PaymentGateway, PaymentOutcome, PaymentErrorCode, PeerHost, IsError, Kind
      FROM otel_traces ORDER BY TraceId`);
    expect(rows).toEqual([
      { TraceId: '0af7651916cd43dd8448eb211c80319c', PaymentOrderId: 'ord-1', PaymentStage: 'gateway.request', PaymentChannel: 'card', PaymentGateway: 'stripe', PaymentOutcome: 'failed', PaymentErrorCode: 'card_declined', PeerHost: 'api.stripe.com', IsError: 1, Kind: 'client' },
      { TraceId: '1af7651916cd43dd8448eb211c80319c', PaymentOrderId: 'ord-2', PaymentStage: '', PaymentChannel: '', PaymentGateway: '', PaymentOutcome: '', PaymentErrorCode: '', PeerHost: 'openapi.alipay.com', IsError: 1, Kind: 'client' },
      { TraceId: '2af7651916cd43dd8448eb211c80319c', PaymentOrderId: '', PaymentStage: '', PaymentChannel: '', PaymentGateway: '', PaymentOutcome: '', PaymentErrorCode: '', PeerHost: 'db.internal', IsError: 0, Kind: 'server' },
    ]);
    // The trace-id lookup table is filled by its materialized view for rows the Collector wrote.
    const ids = await store.query<{ TraceId: string }>(sql`SELECT TraceId FROM otel_traces_trace_id_ts ORDER BY TraceId`);
    expect(ids.map((r) => r.TraceId)).toEqual(rows.map((r) => r.TraceId));
  });
});

describe("payscope's storage of the span table (0009, 0010)", () => {
  it('keeps only the trace-id skip index: no query filters otel_traces on the order id or the duration in WHERE', async () => {
    const indexes = await store.query<{ name: string }>(sql`
      SELECT name FROM system.data_skipping_indices WHERE database = currentDatabase() AND table = 'otel_traces' ORDER BY name`);
    expect(indexes.map((i) => i.name)).toEqual(['idx_trace_id']);
  });

  it('merges about ten parts at a time (0010), not five', async () => {
    const [t] = await store.query<{ q: string }>(sql`
      SELECT create_table_query AS q FROM system.tables WHERE database = currentDatabase() AND name = 'otel_traces'`);
    expect(t.q).toMatch(/merge_selector_base = 10\b/);
  });

  it('stores the same spans in fewer bytes than with the codecs of 0001 and 0003, and reads UInt64 durations exactly', async () => {
    await store.command(sql`TRUNCATE TABLE otel_traces`);
    const { bodies } = buildPayloads(8, 1000, 7);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'payscope-storage-'));
    try {
      const file = path.join(dir, 'spans.rowbinary');
      fs.writeFileSync(file, Buffer.concat(bodies.map((b) => decodeTraceRequestProtobuf(b).rows)));
      await store.insertRowBinaryFile('otel_traces', SPAN_COLUMNS, file, 'storage-test');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    // The values a Collector may write at the edges of UInt64 (a wrapped negative duration) as well.
    await store.command(sql`
      INSERT INTO otel_traces (Timestamp, TraceId, SpanId, ScopeName, ScopeVersion, Duration, SpanAttributes)
      VALUES (now64(9), '3af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203331', 'collector', '0.1', 18446744073709551615, map('payment.order_id', 'ord-max'))`);
    // The spans in a copy of the span table (its codecs) and in a table with the earlier codecs, wide
    // parts both (a small compact part does not count bytes per column), one part each.
    await store.command(sql`DROP TABLE IF EXISTS otel_traces_codecs`);
    await store.command(sql`CREATE TABLE otel_traces_codecs AS otel_traces`);
    await store.command(sql`ALTER TABLE otel_traces_codecs MODIFY SETTING min_bytes_for_wide_part = 0`);
    await store.command(sql`INSERT INTO otel_traces_codecs SELECT * FROM otel_traces`);
    await store.command(sql`DROP TABLE IF EXISTS otel_traces_earlier_codecs`);
    await store.command(sql`
      CREATE TABLE otel_traces_earlier_codecs (
        Timestamp DateTime64(9), TraceId String,
        Duration UInt64 CODEC(ZSTD(1)), ScopeName String CODEC(ZSTD(1)), ScopeVersion String CODEC(ZSTD(1)), PaymentOrderId String CODEC(ZSTD(1))
      ) ENGINE = MergeTree ORDER BY (toStartOfHour(Timestamp), TraceId, Timestamp) SETTINGS min_bytes_for_wide_part = 0`);
    await store.command(sql`
      INSERT INTO otel_traces_earlier_codecs SELECT Timestamp, TraceId, Duration, ScopeName, ScopeVersion, PaymentOrderId FROM otel_traces`);
    await store.command(sql`OPTIMIZE TABLE otel_traces_codecs FINAL`);
    await store.command(sql`OPTIMIZE TABLE otel_traces_earlier_codecs FINAL`);
    const [{ n }] = await store.query<{ n: string }>(sql`SELECT count() AS n FROM otel_traces_earlier_codecs`);
    expect(Number(n)).toBeGreaterThan(8000);
    const [max] = await store.query<{ d: string; o: string }>(sql`SELECT toString(Duration) AS d, PaymentOrderId AS o FROM otel_traces WHERE TraceId = '3af7651916cd43dd8448eb211c80319c'`);
    expect(max).toEqual({ d: '18446744073709551615', o: 'ord-max' });

    const bytes = await store.query<{ table: string; name: string; b: string }>(sql`
      SELECT table, name, toString(data_compressed_bytes) AS b FROM system.columns
      WHERE database = currentDatabase() AND table IN ('otel_traces_codecs', 'otel_traces_earlier_codecs')
        AND name IN ('Duration', 'ScopeName', 'ScopeVersion', 'PaymentOrderId')`);
    const of = (table: string, name: string) => Number(bytes.find((r) => r.table === table && r.name === name)!.b);
    for (const name of ['Duration', 'ScopeName', 'ScopeVersion', 'PaymentOrderId']) {
      expect(of('otel_traces_codecs', name), name).toBeLessThan(of('otel_traces_earlier_codecs', name));
    }
    await store.command(sql`DROP TABLE otel_traces_codecs`);
    await store.command(sql`DROP TABLE otel_traces_earlier_codecs`);
  });
});
