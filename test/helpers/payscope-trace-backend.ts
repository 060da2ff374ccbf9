import { sql } from '../../lib/store/sql';
import type { OtelTracesRow, PayscopeTraceStore, TraceStoreOptions } from '../../instrumentation/test/helpers/trace-backend';
import { startTestServer } from './server';

/** A real payscope ingest and store in this process, as the instrumentation tests' trace backend. */
export async function startPayscopeTraceStore(options: TraceStoreOptions = {}): Promise<PayscopeTraceStore> {
  const server = await startTestServer({ ingestToken: options.ingestToken });
  return {
    otlpHttpEndpoint: `http://127.0.0.1:${server.ports.otlpHttp}`,
    otlpGrpcEndpoint: `http://127.0.0.1:${server.ports.grpc}`,
    rows: () =>
      server.store.query<OtelTracesRow>(sql`
        SELECT TraceId, SpanId, ParentSpanId, SpanName, SpanKind, ServiceName, ResourceAttributes, SpanAttributes,
               StatusCode, StatusMessage, Events.Name AS eventNames, Events.Attributes AS eventAttributes,
               Links.Attributes AS linkAttributes
        FROM otel_traces ORDER BY Timestamp`),
    close: () => server.stop(),
  };
}
