import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../clickhouse/migrate';
import { sql } from '../store/sql';
import type { Store } from '../store/store';
import { openTempStore } from '../../test/helpers/store';
import { getStorageStats } from './storage';

let store: Store;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ store, cleanup } = await openTempStore());
  await migrate(store, { retentionDays: 0 });
});
afterAll(async () => cleanup?.());

describe('getStorageStats', () => {
  it('reports nothing stored on an empty store', async () => {
    const s = await getStorageStats(store);
    expect(s).toMatchObject({ spans: 0, spanTableBytes: 0, bytesPerSpan: 0, oldestSpan: null, newestSpan: null });
  });

  it('counts spans, their time span and bytes on disk', async () => {
    await store.command(sql`
      INSERT INTO otel_traces (Timestamp, TraceId, SpanId, SpanName, ServiceName, Duration)
      SELECT toDateTime64('2026-11-20 10:00:00', 9, 'UTC') + toIntervalSecond(number), lower(hex(number + 1)), lower(hex(number)), 'op', 'svc', 1000
      FROM numbers(1000)`);
    const s = await getStorageStats(store);
    expect(s.spans).toBe(1000);
    expect(s.oldestSpan).toBe('2026-11-20T10:00:00Z');
    expect(s.newestSpan).toBe('2026-11-20T10:16:39Z');
    const table = s.tables.find((t) => t.table === 'otel_traces')!;
    expect(table.rows).toBe(1000);
    expect(s.spanTableBytes).toBe(table.bytesOnDisk);
    expect(s.bytesPerSpan).toBeCloseTo(table.bytesOnDisk / 1000, 6);
    expect(s.totalBytes).toBeGreaterThan(s.spanTableBytes); // the trace-id lookup and hop rollup hold rows too
  });
});
