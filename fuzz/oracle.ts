/**
 * What payscope must answer to an OTLP/HTTP request, worked out in-process with the same decoders:
 * the fuzz run compares every answer with it, and adds up the spans that 200 answers must have
 * stored. It follows lib/ingest/otlp-http.ts step by step (content type, body limit, encoding,
 * decompression limit, decode, "every span invalid" → 400).
 */
import zlib from 'node:zlib';
import { decodeTraceRequestJson, decodeTraceRequestProtobuf, OtlpDecodeError, startTimeWindow, type DecodeOptions } from '../lib/ingest/otlp';
import type { ContentKind } from './generators';

export interface Prediction {
  status: 200 | 400 | 401 | 413 | 415;
  /** spans a 200 stores */
  accepted: number;
  /** spans a 200 reports as rejected (partial success) */
  rejected: number;
}

/** The encoding a Content-Type header selects, as the receiver parses it; undefined → 415. */
export function mediaKind(contentType: string | undefined): ContentKind | undefined {
  const ct = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (ct === 'application/x-protobuf' || ct === 'application/protobuf') return 'protobuf';
  if (ct === 'application/json') return 'json';
  return undefined;
}

/**
 * The fuzz run's payscope keeps spans forever (retention 0), so it accepts span start times from
 * any past to one day ahead; the decoders get the same window here.
 */
const OPTIONS: DecodeOptions = { startTimeWindow: startTimeWindow(0) };

/**
 * Decodes as the server would. Throws whatever the decoder throws other than OtlpDecodeError: that
 * is a decoder bug, and the caller reports it as a failure.
 */
export function predictDecode(body: Uint8Array, type: ContentKind): Prediction {
  try {
    const r = type === 'protobuf' ? decodeTraceRequestProtobuf(body, OPTIONS) : decodeTraceRequestJson(body, OPTIONS);
    if (r.accepted === 0 && r.rejected > 0) return { status: 400, accepted: 0, rejected: 0 };
    return { status: 200, accepted: r.accepted, rejected: r.rejected };
  } catch (err) {
    if (err instanceof OtlpDecodeError) return { status: 400, accepted: 0, rejected: 0 };
    throw err;
  }
}

/** The full OTLP/HTTP answer for a body sent with these headers, given the server's body limit. */
export function predictHttp(body: Uint8Array, headers: { contentType?: string; contentEncoding?: string }, maxBodyBytes: number): Prediction {
  const type = mediaKind(headers.contentType);
  if (!type) return { status: 415, accepted: 0, rejected: 0 };
  if (body.length > maxBodyBytes) return { status: 413, accepted: 0, rejected: 0 };
  const enc = (headers.contentEncoding ?? '').trim().toLowerCase();
  let plain = body;
  if (enc !== '' && enc !== 'identity') {
    if (enc !== 'gzip' && enc !== 'deflate') return { status: 415, accepted: 0, rejected: 0 };
    try {
      plain = enc === 'gzip' ? zlib.gunzipSync(body, { maxOutputLength: maxBodyBytes }) : zlib.inflateSync(body, { maxOutputLength: maxBodyBytes });
    } catch (err) {
      const tooLarge = (err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError;
      return { status: tooLarge ? 413 : 400, accepted: 0, rejected: 0 };
    }
  }
  return predictDecode(plain, type);
}

/**
 * Corpus naming: `ok-*` must be answered 200 (partial success allowed), `bad-*` 400, when sent as
 * they are; other names carry no expectation (e.g. saved crashers, `crash-<sha>.pb`).
 */
export function expectedFromName(name: string): 200 | 400 | undefined {
  if (name.startsWith('ok-')) return 200;
  if (name.startsWith('bad-')) return 400;
  return undefined;
}

/** `.pb` files are protobuf, `.json` files JSON; anything else in the corpus directory is ignored. */
export function kindFromName(name: string): ContentKind | undefined {
  if (name.endsWith('.pb')) return 'protobuf';
  if (name.endsWith('.json')) return 'json';
  return undefined;
}
