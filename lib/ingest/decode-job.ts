import { decodeTraceRequestJson, decodeTraceRequestProtobuf, type DecodeOptions, type DecodeResult } from './otlp';

/** What the decode pool and its worker threads exchange (kept apart so a worker loads only the decoders). */

export type OtlpEncoding = 'protobuf' | 'json';
/** Decoder options that can cross a thread (`into` is a writer in this thread). */
export type PoolDecodeOptions = Omit<DecodeOptions, 'into'>;

/** Message to a worker: one body to decode. */
export interface DecodeJob {
  id: number;
  encoding: OtlpEncoding;
  body: Uint8Array;
  options?: PoolDecodeOptions;
}

/** Message from a worker: a result, or the decoder's error. */
export type DecodeReply =
  | { id: number; ok: true; rows: Uint8Array; accepted: number; rejected: number; errorMessage: string }
  | { id: number; ok: false; badInput: boolean; message: string };

export function decodeBody(encoding: OtlpEncoding, body: Uint8Array, options?: PoolDecodeOptions): DecodeResult {
  return encoding === 'protobuf' ? decodeTraceRequestProtobuf(body, options) : decodeTraceRequestJson(body, options);
}

/**
 * The buffer to transfer with rows a decoder wrote: its own, unless small. Node hands out buffers
 * under 4 KiB from a shared pool that other Buffers live in; those (and anything small) are copied.
 */
export function transferable(rows: Uint8Array): ArrayBuffer[] {
  return rows.byteLength >= 64 * 1024 && rows.buffer instanceof ArrayBuffer ? [rows.buffer] : [];
}

/**
 * `body` on an ArrayBuffer that may be transferred. A request body usually is one (Buffer.concat of
 * the chunks read); one chunk may be a slice of a socket's read buffer, and is copied. `whole`: the
 * caller hands over the whole ArrayBuffer body is a view of (nothing else lives in it), so a large
 * body is transferred as it is, with the bytes around it.
 */
export function ownedBody(body: Uint8Array, whole = false): Uint8Array {
  // new Uint8Array(view) copies into a fresh ArrayBuffer (Buffer#slice would not copy, Buffer.from may use the pool)
  if (!(body.buffer instanceof ArrayBuffer)) return new Uint8Array(body);
  if (body.byteOffset === 0 && body.byteLength === body.buffer.byteLength) return body;
  // Buffers under 4 KiB may come from Node's shared pool even when the caller means well.
  return whole && body.byteLength >= 64 * 1024 ? body : new Uint8Array(body);
}
