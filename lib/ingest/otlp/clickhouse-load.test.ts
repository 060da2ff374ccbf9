/**
 * The rows load into payscope's `otel_traces` (the Collector clickhouseexporter's columns, Events / Links
 * as Nested columns) in the embedded ClickHouse (chDB), through file(..., RowBinary, SPAN_STRUCTURE),
 * and read back equal to what the independent RowBinary reader sees.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import { migrate } from '../../../clickhouse/migrate';
import { openTempStore } from '../../../test/helpers/store';
import { av, eventMsg, hex, kv, linkMsg, requestMsg, resourceSpansMsg, scopeSpansMsg, simpleSpan } from './testing/pb';
import { readRows } from './testing/rowbinary-reader';
import { decodeTraceRequestProtobuf, SPAN_COLUMN_LIST, SPAN_STRUCTURE } from './index';

describe('rows load into otel_traces (chDB)', () => {
  let client: ClickHouseClient;
  let cleanup: () => Promise<void>;

  // payscope's own migrated table (Collector columns, payscope's sort key, materialized columns, views).
  beforeAll(async () => {
    const temp = await openTempStore();
    cleanup = temp.cleanup;
    await migrate(temp.store, { retentionDays: 0 });
    client = temp.store.client;
  });

  afterAll(async () => cleanup?.());

  it('inserts through file(RowBinary) and reads back every column', async () => {
    const spans = [
      simpleSpan(
        [kv('s', av.str('é<>&"')), kv('i', av.int(-9223372036854775808n)), kv('d', av.double(1e-7)), kv('m', av.kvlist(kv('b', av.int(1)), kv('a', av.bool(true))))],
        {
          name: 'one',
          traceState: 'k=v',
          parentSpanId: hex('0102030405060708'),
          start: 1_700_000_000_123_456_789n,
          end: 1_700_000_001_000_000_000n,
          events: [eventMsg(1_700_000_000_500_000_001n, 'e1', [kv('x', av.str('y'))]), eventMsg(1_700_000_000_600_000_000n, 'e2')],
          links: [linkMsg(hex('a1a2a3a4a5a6a7a8a9aaabacadaeafb0'), hex('b1b2b3b4b5b6b7b8'), 'ts', [kv('l', av.int(7))])],
          status: { code: 2, message: 'failed' },
        },
      ),
      simpleSpan([], { name: 'two', kind: 5, spanId: hex('2122232425262728') }),
    ];
    const req = requestMsg([resourceSpansMsg([kv('service.name', av.str('pay')), kv('region', av.str('eu'))], [scopeSpansMsg({ name: 'sc', version: '1.0' }, spans)])]);
    const res = decodeTraceRequestProtobuf(req);
    expect(res.accepted).toBe(2);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'payscope-otlp-')), 'rows.bin');
    fs.writeFileSync(file, res.rows);
    await client.command({
      query: `INSERT INTO otel_traces (${SPAN_COLUMN_LIST}) SELECT * FROM file('${file}', RowBinary, '${SPAN_STRUCTURE}')`,
      clickhouse_settings: { async_insert: 0 },
    });
    const q = await client.query({
      query: `SELECT toString(Timestamp, 'UTC') AS Timestamp, TraceId, SpanId, ParentSpanId, TraceState, SpanName, SpanKind, ServiceName,
                ResourceAttributes, ScopeName, ScopeVersion, SpanAttributes, toString(Duration) AS Duration, StatusCode, StatusMessage,
                arrayMap(t -> toString(t, 'UTC'), Events.Timestamp) AS EventsTimestamp, Events.Name AS EventsName, Events.Attributes AS EventsAttributes,
                Links.TraceId AS LinksTraceId, Links.SpanId AS LinksSpanId, Links.TraceState AS LinksTraceState, Links.Attributes AS LinksAttributes
              FROM otel_traces ORDER BY SpanName`,
      format: 'JSONEachRow',
    });
    const got = (await q.json()) as Array<Record<string, unknown>>;
    const rows = readRows(res.rows);
    expect(got).toHaveLength(2);
    expect(got[0]).toEqual({
      Timestamp: '2023-11-14 22:13:20.123456789',
      TraceId: rows[0].TraceId,
      SpanId: rows[0].SpanId,
      ParentSpanId: '0102030405060708',
      TraceState: 'k=v',
      SpanName: 'one',
      SpanKind: 'Server',
      ServiceName: 'pay',
      ResourceAttributes: { 'service.name': 'pay', region: 'eu' },
      ScopeName: 'sc',
      ScopeVersion: '1.0',
      SpanAttributes: { s: 'é<>&"', i: '-9223372036854775808', d: '1e-7', m: '{"a":true,"b":1}' },
      Duration: '876543211',
      StatusCode: 'Error',
      StatusMessage: 'failed',
      EventsTimestamp: ['2023-11-14 22:13:20.500000001', '2023-11-14 22:13:20.600000000'],
      EventsName: ['e1', 'e2'],
      EventsAttributes: [{ x: 'y' }, {}],
      LinksTraceId: ['a1a2a3a4a5a6a7a8a9aaabacadaeafb0'],
      LinksSpanId: ['b1b2b3b4b5b6b7b8'],
      LinksTraceState: ['ts'],
      LinksAttributes: [{ l: '7' }],
    });
    expect(got[1]).toMatchObject({ SpanName: 'two', SpanKind: 'Consumer', SpanId: '2122232425262728', EventsName: [], LinksTraceId: [], StatusCode: 'Unset' });
  });
});
