/**
 * ExportTraceServiceResponse encoders (OTLP partial success).
 *
 * protobuf: ExportTraceServiceResponse{1 partial_success ExportTracePartialSuccess{1 rejected_spans int64,
 * 2 error_message string}}; proto3 defaults are omitted, so a full success is the empty message.
 */

function varintBytes(v: number, out: number[]): void {
  // non-negative integers up to 2^53
  while (v >= 0x80) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
}

function checkRejected(rejected: number): number {
  if (!Number.isFinite(rejected) || rejected < 0) return 0;
  return Math.min(Math.floor(rejected), Number.MAX_SAFE_INTEGER);
}

export function encodeExportTraceServiceResponse(rejected: number, errorMessage: string): Uint8Array {
  const n = checkRejected(rejected);
  const msg = errorMessage ? Buffer.from(errorMessage, 'utf8') : null;
  if (n === 0 && !msg) return new Uint8Array(0);
  const inner: number[] = [];
  if (n > 0) {
    inner.push(0x08);
    varintBytes(n, inner);
  }
  if (msg) {
    inner.push(0x12);
    varintBytes(msg.length, inner);
  }
  const head: number[] = [0x0a];
  varintBytes(inner.length + (msg ? msg.length : 0), head);
  const out = new Uint8Array(head.length + inner.length + (msg ? msg.length : 0));
  out.set(head, 0);
  out.set(inner, head.length);
  if (msg) out.set(msg, head.length + inner.length);
  return out;
}

export interface ExportTraceServiceResponseJson {
  partialSuccess?: { rejectedSpans?: string; errorMessage?: string };
}

/**
 * OTLP/JSON response body. int64 `rejectedSpans` is a decimal string (proto3 JSON mapping); the
 * OpenTelemetry JS exporters JSON.parse the body and only log a non-empty partialSuccess, and Go's
 * protojson accepts both strings and numbers for int64.
 */
export function exportTraceServiceResponseJson(rejected: number, errorMessage: string): ExportTraceServiceResponseJson {
  const n = checkRejected(rejected);
  if (n === 0 && !errorMessage) return {};
  const partialSuccess: { rejectedSpans?: string; errorMessage?: string } = {};
  if (n > 0) partialSuccess.rejectedSpans = String(n);
  if (errorMessage) partialSuccess.errorMessage = errorMessage;
  return { partialSuccess };
}
