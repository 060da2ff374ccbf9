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
 * `body` on an ArrayBuffer of its own, ready to transfer. A request body usually is one (Buffer.concat
 * of the chunks read); one chunk may be a slice of a socket's read buffer, which is copied instead.
 */
export function ownedBody(body: Uint8Array): Uint8Array {
  return body.byteOffset === 0 && body.byteLength === body.buffer.byteLength && body.buffer instanceof ArrayBuffer ? body : body.slice();
}
