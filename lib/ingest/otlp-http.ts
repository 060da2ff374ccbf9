import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import zlib from 'node:zlib';
import { promisify } from 'node:util';
import {
  encodeExportTraceServiceResponse,
  exportTraceServiceResponseJson,
  OtlpDecodeError,
  type DecodeResult,
} from './otlp';
import { OverloadedError, SpansRejectedError, type IngestPipeline } from './pipeline';
import { decodeBody, type PoolDecodeOptions } from './decode-job';
import type { DecodePool } from './decode-pool';
import { StoreUnavailableError } from '../store/store';
import { isAuthorized } from '../access';
import type { ReceiverMetrics, RefusalReason } from '../metrics';

/**
 * OTLP/HTTP trace receiver (`POST /v1/traces`), per the OTLP specification:
 *   200  spans stored (or spooled); partial success names spans rejected for invalid ids
 *   400  body cannot be decoded, or every span in it is invalid
 *   413  body, or its decompressed size, over the limit
 *   401  ingest token configured and not presented
 *   408  the body stopped arriving (nothing for bodyIdleTimeoutMs)
 *   415  content type or encoding not supported
 *   429  ingest queue full; 503 store down and spool full, or shutting down — both with Retry-After
 * Error bodies are a google.rpc.Status in the request's encoding (protobuf or JSON), so exporters
 * log the message. Nothing of a rejected request is stored: decoding completes before anything is queued.
 * A refused request is answered at once, without reading its body, and its connection closed.
 */

const gunzip = promisify(zlib.gunzip);
const inflate = promisify(zlib.inflate);

export interface OtlpHttpOptions {
  pipeline: IngestPipeline;
  maxBodyBytes: number;
  /** Bearer token the request must present (PAYSCOPE_INGEST_TOKEN); undefined = open. */
  token?: string;
  /** Decodes large bodies off the event loop; without it every body is decoded inline. */
  decoder?: DecodePool;
  /** Forwarded to the decoder. */
  decodeOptions?: PoolDecodeOptions;
  /** A body that sends nothing for this long is refused with 408. @default 10_000 */
  bodyIdleTimeoutMs?: number;
  /** Counts accepted and refused spans and requests. */
  metrics?: ReceiverMetrics;
}

type Encoding = 'protobuf' | 'json';

export class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly headers: Record<string, string> = {}, readonly reason?: RefusalReason) {
    super(message);
  }
}

/** The metrics' reason for a refusal, where the error does not name its own. */
const REASON_OF_STATUS: Record<number, RefusalReason> = {
  400: 'invalid', 401: 'unauthenticated', 405: 'unsupported', 408: 'timeout', 413: 'too_large', 415: 'unsupported', 429: 'overload', 503: 'unavailable',
};

function mediaType(req: IncomingMessage): Encoding | undefined {
  const ct = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (ct === 'application/x-protobuf' || ct === 'application/protobuf') return 'protobuf';
  if (ct === 'application/json') return 'json';
  return undefined;
}

/** The client went away (or the server's request timeout cut it off) while its body was read. */
class ClientGone extends Error {}

function readBody(req: IncomingMessage, limit: number, idleMs: number, hold: (bytes: number) => void): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limit) {
    return Promise.reject(new HttpError(413, `request body of ${declared} bytes exceeds the limit of ${limit} bytes`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (err?: Error) => {
      clearTimeout(idle);
      req.off('data', onData).off('end', onEnd).off('close', onClose);
      if (err) {
        req.resume(); // the rest is discarded, not buffered
        reject(err);
      } else {
        resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
      }
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) return done(new HttpError(413, `request body exceeds the limit of ${limit} bytes`));
      hold(chunk.length);
      chunks.push(chunk);
      idle.refresh();
    };
    const onEnd = () => done();
    const onClose = () => done(new ClientGone('client closed the connection'));
    // A body trickled a byte at a time would otherwise hold its connection and its buffered bytes
    // until the server's request timeout.
    const idle = setTimeout(() => done(new HttpError(408, `no request body bytes for ${idleMs} ms`)), idleMs);
    req.on('data', onData).on('end', onEnd).on('close', onClose);
  });
}

async function decompress(body: Buffer, encoding: string, limit: number): Promise<Buffer> {
  const enc = encoding.trim().toLowerCase();
  if (enc === '' || enc === 'identity') return body;
  if (enc !== 'gzip' && enc !== 'deflate') {
    throw new HttpError(415, `unsupported Content-Encoding ${JSON.stringify(encoding)}; use gzip or none`);
  }
  try {
    return enc === 'gzip' ? await gunzip(body, { maxOutputLength: limit }) : await inflate(body, { maxOutputLength: limit });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
      throw new HttpError(413, `decompressed request body exceeds the limit of ${limit} bytes`);
    }
    throw new HttpError(400, `invalid ${enc} body: ${(err as Error).message}`);
  }
}

/** google.rpc.Status { int32 code = 1; string message = 2; } */
function encodeStatus(code: number, message: string): Buffer {
  const msg = Buffer.from(message, 'utf8');
  const out: number[] = [0x08, code, 0x12];
  let n = msg.length;
  while (n > 0x7f) { out.push((n & 0x7f) | 0x80); n >>>= 7; }
  out.push(n);
  return Buffer.concat([Buffer.from(out), msg]);
}

// gRPC status codes carried in the Status body: INVALID_ARGUMENT, RESOURCE_EXHAUSTED, UNAVAILABLE...
const GRPC_CODE: Record<number, number> = { 400: 3, 401: 16, 404: 5, 405: 12, 413: 8, 415: 3, 429: 8, 500: 13, 503: 14 };

function send(res: ServerResponse, status: number, encoding: Encoding, body: Buffer | string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    'content-type': encoding === 'protobuf' ? 'application/x-protobuf' : 'application/json',
    'content-length': String(Buffer.byteLength(body)),
    ...headers,
  });
  res.end(body);
}

export function sendError(res: ServerResponse, encoding: Encoding, err: HttpError): void {
  const body = encoding === 'protobuf'
    ? encodeStatus(GRPC_CODE[err.status] ?? 2, err.message)
    : JSON.stringify({ code: GRPC_CODE[err.status] ?? 2, message: err.message });
  send(res, err.status, encoding, body, err.headers);
}

/** 429 when the queue is full (retry soon), 503 when the store is down or payscope is stopping. */
function overloaded(err: OverloadedError): HttpError {
  return new HttpError(err.status, err.message, { 'retry-after': String(err.retryAfterSec) });
}

/** How long a refused request's connection may go on delivering bytes after its answer (see closeAfterAnswer). */
const LINGER_MS = 5_000;

/**
 * Closes the connection once the answer is out, without reading the rest of a refused body.
 * Node ends a `Connection: close` response with socket.destroySoon(), which closes the socket as
 * soon as the answer is flushed; bytes the client is still sending then draw a reset, and a client
 * that has not read the answer yet sees only EPIPE/ECONNRESET (found by fuzz/). So it lingers, as
 * web servers do: half-close, discard what still arrives, close when the client does or after
 * LINGER_MS.
 */
function closeAfterAnswer(res: ServerResponse, socket: Socket): void {
  res.setHeader('connection', 'close');
  socket.destroySoon = () => {
    socket.end();
    const timer = setTimeout(() => socket.destroy(), LINGER_MS);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
    socket.once('end', () => socket.destroy());
    socket.resume();
  };
}

/** Answers that refuse the client rather than its data: the connection is closed after them. */
const REFUSALS = new Set([401, 405, 408, 413, 415, 429, 503]);

/** Decodes and stores one OTLP/HTTP export request. Never throws; always answers while the client listens. */
export async function handleOtlpTraces(req: IncomingMessage, res: ServerResponse, opts: OtlpHttpOptions): Promise<void> {
  const encoding = mediaType(req);
  let held = 0;
  const hold = (bytes: number) => { held += bytes; opts.pipeline.holdBytes(bytes); };
  /** Spans of the request known to be refused if it fails from here. */
  let spans = 0;
  try {
    if (req.method !== 'POST') throw new HttpError(405, 'use POST for /v1/traces', { allow: 'POST' });
    if (!isAuthorized(opts.token, req.headers)) {
      throw new HttpError(401, 'missing or wrong ingest token: send Authorization: Bearer <PAYSCOPE_INGEST_TOKEN>', { 'www-authenticate': 'Bearer' });
    }
    if (!encoding) {
      throw new HttpError(415, `unsupported Content-Type ${JSON.stringify(req.headers['content-type'] ?? '')}; use application/x-protobuf or application/json`);
    }
    const early = opts.pipeline.refusal(0);
    if (early) throw overloaded(early);
    const raw = await readBody(req, opts.maxBodyBytes, opts.bodyIdleTimeoutMs ?? 10_000, hold);
    const body = await decompress(raw, String(req.headers['content-encoding'] ?? ''), opts.maxBodyBytes);
    let decoded: DecodeResult;
    try {
      decoded = opts.decoder
        ? await opts.decoder.decode(encoding, body, opts.decodeOptions)
        : decodeBody(encoding, body, opts.decodeOptions);
    } catch (err) {
      if (err instanceof OverloadedError) throw overloaded(err);
      if (err instanceof OtlpDecodeError) throw new HttpError(400, err.message);
      throw err;
    }
    spans = decoded.rejected;
    if (decoded.accepted === 0 && decoded.rejected > 0) throw new HttpError(400, decoded.errorMessage);
    // The exporter gave up (timeout) while this was read or decoded: it will retry; storing this
    // copy too would only store it twice.
    if (req.socket.destroyed) return;
    // From here the rows count in the queue instead.
    opts.pipeline.holdBytes(-held);
    held = 0;
    spans = decoded.accepted + decoded.rejected;
    try {
      await opts.pipeline.submit(decoded.rows, decoded.accepted, () => req.socket.destroyed);
    } catch (err) {
      if (err instanceof OverloadedError) throw overloaded(err);
      if (err instanceof StoreUnavailableError) throw new HttpError(503, err.message, { 'retry-after': '5' });
      // the store refused these spans for what they are: sending them again would not help
      if (err instanceof SpansRejectedError) throw new HttpError(400, err.message, {}, 'rejected');
      throw err;
    }
    // The client gave up while its spans waited: they were left out, and its exporter sends them again.
    if (req.socket.destroyed) return;
    opts.metrics?.accepted('http', decoded.accepted);
    if (decoded.rejected > 0) opts.metrics?.refused('http', 'invalid', decoded.rejected, false);
    const payload = encoding === 'protobuf'
      ? Buffer.from(encodeExportTraceServiceResponse(decoded.rejected, decoded.errorMessage))
      : JSON.stringify(exportTraceServiceResponseJson(decoded.rejected, decoded.errorMessage));
    send(res, 200, encoding, payload);
  } catch (err) {
    // Nobody to answer: the client left, or the server's request timeout cut it off.
    if (err instanceof ClientGone || req.socket.destroyed) return;
    const httpErr = err instanceof HttpError ? err : new HttpError(500, `internal error: ${(err as Error)?.message ?? err}`);
    if (httpErr.status === 500) console.error('ingest error', err);
    opts.metrics?.refused('http', httpErr.reason ?? REASON_OF_STATUS[httpErr.status] ?? 'internal', spans);
    // A refused client gets no further requests on this connection; nor does one whose body was
    // not read to its end (the rest of it is not worth reading).
    if (REFUSALS.has(httpErr.status) || !req.complete) closeAfterAnswer(res, req.socket);
    if (!res.headersSent) sendError(res, encoding ?? 'json', httpErr);
  } finally {
    opts.pipeline.holdBytes(-held);
  }
}
