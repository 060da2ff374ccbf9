import { sql } from '../store/sql';
import type { Store } from '../store/store';

export interface StorageStats {
  /** Spans in otel_traces. */
  spans: number;
  /** Bytes on disk of otel_traces alone, and per span. */
  spanTableBytes: number;
  bytesPerSpan: number;
  /** Bytes on disk of every payscope table (rollups, lookups), and per span. */
  totalBytes: number;
  totalBytesPerSpan: number;
  oldestSpan: string | null;
  newestSpan: string | null;
  tables: { table: string; rows: number; bytesOnDisk: number; parts: number }[];
}

/**
 * What the store holds: spans, bytes on disk, bytes per span, per table. On a cluster the parts of
 * every shard are read (`cluster()`: one replica per shard, so bytes are one copy of the data;
 * replicas multiply them) and the `_local` tables are reported under their payscope names.
 */
export async function getStorageStats(store: Store): Promise<StorageStats> {
  const parts = store.cluster ? sql`cluster(${store.cluster}, system.parts)` : sql`system.parts`;
  const tables = await store.query<{ table: string; rows: string; bytes: string; parts: string }>(sql`
    SELECT replaceRegexpOne(table, '_local$', '') AS table, sum(rows) AS rows, sum(bytes_on_disk) AS bytes, count() AS parts
    FROM ${parts} WHERE active AND database = ${store.database}
    GROUP BY table ORDER BY sum(bytes_on_disk) DESC`);
  const [range] = await store.query<{ oldest: string | null; newest: string | null; n: string }>(sql`
    SELECT if(count() = 0, NULL, formatDateTime(min(Timestamp), '%Y-%m-%dT%H:%i:%SZ', 'UTC')) AS oldest,
           if(count() = 0, NULL, formatDateTime(max(Timestamp), '%Y-%m-%dT%H:%i:%SZ', 'UTC')) AS newest,
           count() AS n
    FROM otel_traces`);
  const spans = Number(range.n);
  const spanTable = tables.find((t) => t.table === 'otel_traces');
  const spanTableBytes = spanTable ? Number(spanTable.bytes) : 0;
  const totalBytes = tables.reduce((a, t) => a + Number(t.bytes), 0);
  return {
    spans,
    spanTableBytes,
    bytesPerSpan: spans ? spanTableBytes / spans : 0,
    totalBytes,
    totalBytesPerSpan: spans ? totalBytes / spans : 0,
    oldestSpan: range.oldest,
    newestSpan: range.newest,
    tables: tables.map((t) => ({ table: t.table, rows: Number(t.rows), bytesOnDisk: Number(t.bytes), parts: Number(t.parts) })),
  };
}
