import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import protobuf from 'protobufjs';

/** One span as the payscope store gives it back: attribute values are strings, as in `otel_traces`. */
export interface StoredSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  service: string;
  resource: Record<string, string>;
  name: string;
  kind: 'UNSPECIFIED' | 'INTERNAL' | 'SERVER' | 'CLIENT' | 'PRODUCER' | 'CONSUMER';
  attributes: Record<string, string>;
  status: { code: 'UNSET' | 'OK' | 'ERROR'; message: string };
  events: Array<{ name: string; attributes: Record<string, string> }>;
  links: Array<{ attributes: Record<string, string> }>;
}

export interface TraceBackend {
  /** Base OTLP/HTTP URL, for OTEL_EXPORTER_OTLP_ENDPOINT (`/v1/traces` is appended by the SDK). */
  endpoint: string;
  /** OTLP/gRPC URL; only the real payscope backend has one. */
  grpcEndpoint?: string;
  /** Every span stored so far. */
  spans(): Promise<StoredSpan[]>;
  /** Polls the store until `done(spans)` holds; rejects after `timeoutMs` with what it saw. */
  waitForSpans(done: (spans: StoredSpan[]) => boolean, timeoutMs?: number): Promise<StoredSpan[]>;
  close(): Promise<void>;
}

const KINDS: StoredSpan['kind'][] = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];
const STATUS: StoredSpan['status']['code'][] = ['UNSET', 'OK', 'ERROR'];

const root = protobuf.loadSync(fileURLToPath(new URL('./otlp-trace.proto', import.meta.url)));
const ExportTraceServiceRequest = root.lookupType('otlp.ExportTraceServiceRequest');

interface AnyValueObject {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string;
  doubleValue?: number;
  arrayValue?: { values?: AnyValueObject[] };
}
interface KeyValueObject {
  key: string;
  value?: AnyValueObject;
}

function anyValue(value: AnyValueObject | undefined): unknown {
  if (value === undefined) return undefined;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map(anyValue);
  return undefined;
}

function attributeMap(list: KeyValueObject[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of list ?? []) {
    const value = anyValue(kv.value);
    out[kv.key] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  return out;
}

/** Decodes one OTLP/HTTP protobuf ExportTraceServiceRequest body into stored spans. */
export function decodeTraceRequest(body: Uint8Array): StoredSpan[] {
  const message = ExportTraceServiceRequest.decode(body);
  const request = ExportTraceServiceRequest.toObject(message, { longs: String, enums: Number, bytes: String }) as {
    resourceSpans?: Array<{
      resource?: { attributes?: KeyValueObject[] };
      scopeSpans?: Array<{
        spans?: Array<{
          traceId?: string;
          spanId?: string;
          parentSpanId?: string;
          name: string;
          kind?: number;
          attributes?: KeyValueObject[];
          status?: { code?: number; message?: string };
          events?: Array<{ name: string; attributes?: KeyValueObject[] }>;
          links?: Array<{ attributes?: KeyValueObject[] }>;
        }>;
      }>;
    }>;
  };
  const hex = (b64: string | undefined): string => Buffer.from(b64 ?? '', 'base64').toString('hex');
  const spans: StoredSpan[] = [];
  for (const rs of request.resourceSpans ?? []) {
    const resource = attributeMap(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        spans.push({
          traceId: hex(s.traceId),
          spanId: hex(s.spanId),
          parentSpanId: hex(s.parentSpanId),
          service: String(resource['service.name'] ?? ''),
          resource,
          name: s.name,
          kind: KINDS[s.kind ?? 0],
          attributes: attributeMap(s.attributes),
          status: { code: STATUS[s.status?.code ?? 0], message: s.status?.message ?? '' },
          events: (s.events ?? []).map((e) => ({ name: e.name, attributes: attributeMap(e.attributes) })),
          links: (s.links ?? []).map((l) => ({ attributes: attributeMap(l.attributes) })),
        });
      }
    }
  }
  return spans;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

function closeServer(server: Server, sockets: Set<Socket>): Promise<void> {
  for (const socket of sockets) socket.destroy();
  return new Promise((resolve) => server.close(() => resolve()));
}

function trackSockets(server: Server): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  return sockets;
}

/**
 * The trace backend the subprocess fixtures export to and read back from — the one function the
 * tests get a backend from; they use only the TraceBackend interface.
 * - default: the real payscope ingest (OTLP/HTTP receiver, pipeline, embedded ClickHouse) on a
 *   free port, spans read back from `otel_traces`;
 * - `PAYSCOPE_TEST_TRACE_BACKEND=receiver`: a small in-memory OTLP/HTTP receiver that decodes the
 *   protobuf itself, for a quick loop on the instrumentation without the store.
 */
export async function startTraceBackend(options: TraceStoreOptions = {}): Promise<TraceBackend> {
  return process.env.PAYSCOPE_TEST_TRACE_BACKEND === 'receiver' ? startOtlpReceiver() : startPayscopeIngest(options);
}

const INGEST_KINDS: Record<string, StoredSpan['kind']> = {
  Internal: 'INTERNAL', Server: 'SERVER', Client: 'CLIENT', Producer: 'PRODUCER', Consumer: 'CONSUMER',
  SPAN_KIND_INTERNAL: 'INTERNAL', SPAN_KIND_SERVER: 'SERVER', SPAN_KIND_CLIENT: 'CLIENT', SPAN_KIND_PRODUCER: 'PRODUCER', SPAN_KIND_CONSUMER: 'CONSUMER',
};
const INGEST_STATUS: Record<string, StoredSpan['status']['code']> = {
  Ok: 'OK', Error: 'ERROR', STATUS_CODE_OK: 'OK', STATUS_CODE_ERROR: 'ERROR',
};

/** The otel_traces row the repository's payscope store gives back (test/helpers/payscope-trace-backend.ts). */
export interface OtelTracesRow {
  TraceId: string;
  SpanId: string;
  ParentSpanId: string;
  SpanName: string;
  SpanKind: string;
  ServiceName: string;
  ResourceAttributes: Record<string, string>;
  SpanAttributes: Record<string, string>;
  StatusCode: string;
  StatusMessage: string;
  eventNames: string[];
  eventAttributes: Array<Record<string, string>>;
  linkAttributes: Array<Record<string, string>>;
}
export interface TraceStoreOptions {
  /** The bearer token payscope's receivers require (PAYSCOPE_INGEST_TOKEN); the in-memory receiver ignores it. */
  ingestToken?: string;
}
export interface PayscopeTraceStore {
  otlpHttpEndpoint: string;
  otlpGrpcEndpoint: string;
  rows(): Promise<OtelTracesRow[]>;
  close(): Promise<void>;
}

/**
 * payscope's own ingest and store (embedded ClickHouse), started in this process. The package
 * imports nothing of the app: the repository's vitest setup (test/helpers/vitest-setup.ts)
 * registers the factory under this key.
 */
async function startPayscopeIngest(options: TraceStoreOptions): Promise<TraceBackend> {
  const factory = (globalThis as Record<symbol, unknown>)[Symbol.for('payscope.test.traceStore')] as
    | ((options: TraceStoreOptions) => Promise<PayscopeTraceStore>)
    | undefined;
  if (factory === undefined) {
    throw new Error("no payscope trace store registered: run through the repository's vitest config, or set PAYSCOPE_TEST_TRACE_BACKEND=receiver");
  }
  const store = await factory(options);
  const backend: TraceBackend = {
    endpoint: store.otlpHttpEndpoint,
    grpcEndpoint: store.otlpGrpcEndpoint,
    async spans() {
      const rows = await store.rows();
      return rows.map((r) => ({
        traceId: r.TraceId,
        spanId: r.SpanId,
        parentSpanId: r.ParentSpanId,
        service: r.ServiceName,
        resource: r.ResourceAttributes,
        name: r.SpanName,
        kind: INGEST_KINDS[r.SpanKind] ?? 'UNSPECIFIED',
        attributes: r.SpanAttributes,
        status: { code: INGEST_STATUS[r.StatusCode] ?? 'UNSET', message: r.StatusMessage },
        events: r.eventNames.map((name, i) => ({ name, attributes: r.eventAttributes[i] ?? {} })),
        links: r.linkAttributes.map((attributes) => ({ attributes })),
      }));
    },
    waitForSpans: (done, timeoutMs) => pollSpans(backend, done, timeoutMs),
    close: () => store.close(),
  };
  return backend;
}

async function pollSpans(backend: TraceBackend, done: (spans: StoredSpan[]) => boolean, timeoutMs = 15_000): Promise<StoredSpan[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const spans = await backend.spans();
    if (done(spans)) return spans;
    if (Date.now() > deadline) {
      throw new Error(`spans not stored within ${timeoutMs} ms; got ${JSON.stringify(spans.map((s) => [s.service, s.kind, s.name]))}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** An in-memory OTLP/HTTP protobuf receiver. */
async function startOtlpReceiver(): Promise<TraceBackend> {
  const stored: StoredSpan[] = [];
  const server = createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/v1/traces') {
      res.writeHead(404).end();
      return;
    }
    readBody(req).then(
      (raw) => {
        try {
          const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
          stored.push(...decodeTraceRequest(body));
          res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
        } catch (error) {
          res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: String(error) }));
        }
      },
      () => res.writeHead(400).end(),
    );
  });
  const sockets = trackSockets(server);
  const port = await listen(server);
  const backend: TraceBackend = {
    endpoint: `http://127.0.0.1:${port}`,
    spans: async () => [...stored],
    waitForSpans: (done, timeoutMs) => pollSpans(backend, done, timeoutMs),
    close: () => closeServer(server, sockets),
  };
  return backend;
}

/** A backend that accepts connections and requests but never answers. */
export async function startHangingBackend(): Promise<{ endpoint: string; requests: () => number; close(): Promise<void> }> {
  let requests = 0;
  const server = createServer(() => {
    requests++;
  });
  const sockets = trackSockets(server);
  const port = await listen(server);
  return { endpoint: `http://127.0.0.1:${port}`, requests: () => requests, close: () => closeServer(server, sockets) };
}

/** An endpoint whose port refuses connections (a port that was free a moment ago). */
export async function refusedEndpoint(): Promise<string> {
  const server = createServer();
  const port = await listen(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
