// How inputs go out over OTLP/HTTP and OTLP/gRPC, and how an HTTP answer is checked.
import http from 'node:http';
import zlib from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import { SpanKind } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { ContentKind } from '../generators';
import { int, pick, type Rng } from '../mutate';
import { mediaKind, type Prediction } from '../oracle';
import { MAX_RESPONSE_BYTES, type Input, type Sent } from './model';

const GRPC_EXPORT = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

/** How an input goes out: transport, headers, encoding. */
export function dress(rand: Rng, input: Input, grpcOn: boolean): Sent {
  if (input.gzipped) return { transport: 'http', variant: 'gzip', contentType: ctFor(input.type), contentEncoding: 'gzip', body: input.body };
  if (input.asIs) return { transport: 'http', variant: 'plain', contentType: ctFor(input.type), body: input.body };
  if (grpcOn && input.type === 'protobuf' && rand() < 0.15) return { transport: 'grpc', variant: 'grpc', body: input.body };
  const contentType = input.type === 'protobuf' ? pick(rand, ['application/x-protobuf', 'application/x-protobuf', 'application/protobuf']) : pick(rand, ['application/json', 'application/json', 'application/json; charset=utf-8']);
  const v = rand();
  if (v < 0.22) return { transport: 'http', variant: 'gzip', contentType, contentEncoding: 'gzip', body: zlib.gzipSync(input.body, { level: 1 }) };
  if (v < 0.25) {
    // a corrupted gzip stream: bit flips, or cut short
    const gz = Uint8Array.from(zlib.gzipSync(input.body, { level: 1 }));
    if (rand() < 0.5) for (let i = 0; i < 3; i++) gz[int(rand, gz.length)] ^= 1 << int(rand, 8);
    return { transport: 'http', variant: 'gzip-corrupt', contentType, contentEncoding: 'gzip', body: rand() < 0.5 ? gz : gz.subarray(0, int(rand, gz.length)) };
  }
  if (v < 0.28) return { transport: 'http', variant: 'deflate', contentType, contentEncoding: pick(rand, ['deflate', 'DEFLATE']), body: zlib.deflateSync(input.body, { level: 1 }) };
  if (v < 0.3) return { transport: 'http', variant: 'bad-encoding', contentType, contentEncoding: pick(rand, ['br', 'zstd', 'gzip, gzip', 'x-gzip']), body: input.body };
  if (v < 0.33) return { transport: 'http', variant: 'cross-type', contentType: ctFor(input.type === 'protobuf' ? 'json' : 'protobuf'), body: input.body };
  if (v < 0.35) return { transport: 'http', variant: 'bad-type', contentType: pick(rand, [undefined, '', 'text/plain', 'application/grpc', 'application/x-protobuf-ish', 'application/jsonl', 'multipart/form-data']), body: input.body };
  return { transport: 'http', variant: 'plain', contentType, body: input.body };
}

export function ctFor(type: ContentKind): string {
  return type === 'protobuf' ? 'application/x-protobuf' : 'application/json';
}

export type Outcome =
  | { answered: true; status: number; headers: http.IncomingHttpHeaders; body: Buffer; size: number; ms: number }
  | { answered: false; error: string; ms: number };

/** The Authorization value a request carries, by its `auth`. */
function authorization(sent: Sent, token: string | undefined): string | undefined {
  if (!token || sent.auth === 'missing') return undefined;
  return `Bearer ${sent.auth === 'wrong' ? token.slice(1) + 'x' : token}`;
}

export function postHttp(agent: http.Agent, port: number, sent: Sent, timeoutMs: number, token?: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    let done = false;
    const finish = (o: Outcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(o);
    };
    const headers: Record<string, string | number> = { 'content-length': sent.body.length };
    if (sent.contentType !== undefined) headers['content-type'] = sent.contentType;
    if (sent.contentEncoding !== undefined) headers['content-encoding'] = sent.contentEncoding;
    const auth = authorization(sent, token);
    if (auth) headers.authorization = auth;
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/v1/traces', agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= MAX_RESPONSE_BYTES + 1) chunks.push(c);
      });
      res.on('end', () => finish({ answered: true, status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks), size, ms: performance.now() - t0 }));
      res.on('error', (e: NodeJS.ErrnoException) => finish({ answered: false, error: `response cut: ${e.code ?? e.message}`, ms: performance.now() - t0 }));
    });
    const timer = setTimeout(() => {
      finish({ answered: false, error: `no answer within ${timeoutMs} ms`, ms: performance.now() - t0 });
      req.destroy();
    }, timeoutMs);
    req.on('error', (e: NodeJS.ErrnoException) => finish({ answered: false, error: `connection error: ${e.code ?? e.message}`, ms: performance.now() - t0 }));
    req.end(sent.body);
  });
}

export function callGrpc(client: grpc.Client, sent: Sent, timeoutMs: number, token?: string): Promise<{ code: number; details: string; ms: number }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const buf = Buffer.from(sent.body.buffer, sent.body.byteOffset, sent.body.byteLength);
    const metadata = new grpc.Metadata();
    const auth = authorization(sent, token);
    if (auth) metadata.set('authorization', auth);
    client.makeUnaryRequest(GRPC_EXPORT, (b: Buffer) => b, (b: Buffer) => b, buf, metadata, { deadline: Date.now() + timeoutMs },
      (err) => resolve(err ? { code: err.code, details: err.details ?? '', ms: performance.now() - t0 } : { code: 0, details: '', ms: performance.now() - t0 }));
  });
}

export const GRPC_AS_HTTP: Record<number, number> = { 0: 200, 3: 400, 8: 413, 16: 401 };

/** Checks one HTTP answer against the prediction; returns the failure reason or ''. */
export function checkHttp(o: Outcome & { answered: true }, sent: Sent, want: Prediction): string {
  if (o.status === 429 || o.status === 503) return o.headers['retry-after'] ? '' : `${o.status} without Retry-After`;
  if (o.status !== want.status) return `answered ${o.status}, expected ${want.status}${o.body.length ? `: ${o.body.toString('utf8', 0, 200)}` : ''}`;
  if (o.size > MAX_RESPONSE_BYTES) return `answer of ${o.size} bytes (an error message should be short)`;
  const json = mediaKind(sent.contentType) !== 'protobuf'; // unsupported types are answered in JSON
  const ct = String(o.headers['content-type'] ?? '');
  if (ct !== (json ? 'application/json' : 'application/x-protobuf')) return `answer content type ${JSON.stringify(ct)} for a ${json ? 'JSON' : 'protobuf'} request`;
  if (json) {
    let doc: { partialSuccess?: { rejectedSpans?: string | number }; message?: string };
    try {
      doc = JSON.parse(o.body.toString('utf8'));
    } catch {
      return `answer is not JSON: ${o.body.toString('utf8', 0, 200)}`;
    }
    if (o.status !== 200 && typeof doc.message !== 'string') return 'error answer without a message';
    if (o.status === 200 && Number(doc.partialSuccess?.rejectedSpans ?? 0) !== want.rejected) {
      return `partial success reports ${doc.partialSuccess?.rejectedSpans ?? 0} rejected spans, expected ${want.rejected}`;
    }
  }
  return '';
}

/** Valid requests made by the SDK, sent at the end: they must be accepted and stored. */
export function canarySpans(service: string, n: number): ReadableSpan[] {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': service }), spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracer = provider.getTracer('fuzz-canary');
  for (let i = 0; i < n; i++) tracer.startSpan(`canary ${i}`, { kind: SpanKind.SERVER, attributes: { i } }).end();
  return exporter.getFinishedSpans();
}
