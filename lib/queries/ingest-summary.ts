import { sql } from '../store/sql';
import type { Store } from '../store/store';

export interface ServiceSummary {
  service: string;
  spans: number;
  errors: number;
  lastSeen: string;
}

/** Spans per service in a time range: what has arrived, and from whom. */
export async function getIngestSummary(store: Store, range: { from: Date; to: Date }): Promise<ServiceSummary[]> {
  const rows = await store.query<{ service: string; spans: string; errors: string; lastSeen: string }>(sql`
    SELECT ServiceName AS service, count() AS spans, countIf(IsError) AS errors,
           formatDateTime(max(Timestamp), '%Y-%m-%dT%H:%i:%S.%fZ', 'UTC') AS lastSeen
    FROM otel_traces
    WHERE Timestamp >= ${range.from} AND Timestamp < ${range.to}
    GROUP BY service
    ORDER BY spans DESC
    LIMIT 100`);
  return rows.map((r) => ({ service: r.service, spans: Number(r.spans), errors: Number(r.errors), lastSeen: r.lastSeen }));
}
