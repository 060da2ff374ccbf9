import { RowBinaryWriter, encodeRowBinaryString } from '../../lib/ingest/otlp';
import { RESOURCES, SCOPES, type SeedSpan } from './generate';

/**
 * Serialises seeded spans as `otel_traces` RowBinary rows, columns in SPAN_COLUMNS order, the same
 * bytes the OTLP decoders produce for such spans.
 */

function encodeMap(pairs: readonly string[]): Buffer {
  const w = new RowBinaryWriter(256);
  w.writeVarUInt(pairs.length / 2);
  for (const s of pairs) w.writeString(s);
  return w.toBuffer();
}

// Constant column bytes, encoded once.
const RESOURCE_BYTES = RESOURCES.map((r) => encodeMap(r.attrs));
const SCOPE_NAME_BYTES = SCOPES.map((s) => encodeRowBinaryString(s.name));
const SCOPE_VERSION_BYTES = SCOPES.map((s) => encodeRowBinaryString(s.version));
const EMPTY = encodeRowBinaryString('');
const KIND_BYTES: Record<string, Uint8Array> = { Server: encodeRowBinaryString('Server'), Client: encodeRowBinaryString('Client'), Internal: encodeRowBinaryString('Internal') };
const STATUS_BYTES: Record<string, Uint8Array> = { Unset: encodeRowBinaryString('Unset'), Ok: encodeRowBinaryString('Ok'), Error: encodeRowBinaryString('Error') };
// Four empty Links arrays.
const NO_LINKS = new Uint8Array([0, 0, 0, 0]);

/** DateTime64(9) from epoch milliseconds (fractional), exact to the nanosecond without BigInt. */
function writeEpochMsAsNs(w: RowBinaryWriter, ms: number): void {
  let msInt = Math.floor(ms);
  let ns = Math.round((ms - msInt) * 1e6);
  if (ns >= 1e6) {
    msInt += 1;
    ns -= 1e6;
  }
  // total = msInt * 1e6 + ns, split so every intermediate stays below 2^53.
  const q = Math.floor(msInt / 65536);
  const r = msInt - q * 65536;
  const a = q * 1e6;
  const b = r * 1e6 + ns;
  const aHi = Math.floor(a / 65536);
  const aLo = a - aHi * 65536;
  const l = aLo * 65536 + b;
  const carry = Math.floor(l / 4294967296);
  w.writeUInt64(l - carry * 4294967296, aHi + carry);
}

// A payment's context pairs are shared by all its spans (one array): encode them once per payment.
let lastContext: readonly string[] | null = null;
let lastContextBytes: Uint8Array = new Uint8Array(0);
const contextWriter = new RowBinaryWriter(1024);
function contextBytes(ctx: readonly string[]): Uint8Array {
  if (ctx !== lastContext) {
    contextWriter.reset();
    for (let i = 0; i < ctx.length; i++) contextWriter.writeString(ctx[i]);
    lastContextBytes = contextWriter.toBuffer();
    lastContext = ctx;
  }
  return lastContextBytes;
}

/** Appends one span row. */
export function writeSeedSpan(w: RowBinaryWriter, s: SeedSpan): void {
  writeEpochMsAsNs(w, s.startMs);
  w.writeString(s.traceId);
  w.writeString(s.spanId);
  w.writeString(s.parentSpanId);
  w.writeRaw(EMPTY); // TraceState
  w.writeString(s.name);
  w.writeRaw(KIND_BYTES[s.kind]);
  w.writeString(s.service);
  w.writeRaw(RESOURCE_BYTES[s.resource]);
  w.writeRaw(SCOPE_NAME_BYTES[s.scope]);
  w.writeRaw(SCOPE_VERSION_BYTES[s.scope]);
  const ctx = s.context;
  const attrs = s.attrs;
  w.writeVarUInt(((ctx ? ctx.length : 0) + attrs.length) / 2);
  if (ctx) w.writeRaw(contextBytes(ctx));
  for (let i = 0; i < attrs.length; i++) w.writeString(attrs[i]);
  w.writeInt64Number(Math.max(0, Math.round(s.durationMs * 1e6)));
  w.writeRaw(STATUS_BYTES[s.status]);
  w.writeString(s.statusMessage);
  const ev = s.events;
  if (ev === null || ev.length === 0) {
    w.writeVarUInt(0);
    w.writeVarUInt(0);
    w.writeVarUInt(0);
  } else {
    w.writeVarUInt(ev.length);
    for (const e of ev) writeEpochMsAsNs(w, e.timeMs);
    w.writeVarUInt(ev.length);
    for (const e of ev) w.writeString(e.name);
    w.writeVarUInt(ev.length);
    for (const e of ev) {
      w.writeVarUInt(e.attrs.length / 2);
      for (const a of e.attrs) w.writeString(a);
    }
  }
  w.writeRaw(NO_LINKS);
}
