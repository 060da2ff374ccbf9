import { RowBinaryWriter, ScopeColumns, encodeRowBinaryString, writeSpanRow, type SpanRowSource } from '../../lib/ingest/otlp';
import { RESOURCES, SCOPES, type SeedSpan } from './generate';

/**
 * Serialises seeded spans as `otel_traces` RowBinary rows through the ingest's row writer
 * (writeSpanRow), so they are the same bytes the OTLP decoders produce for such spans.
 */

function encodeMap(pairs: readonly string[]): Buffer {
  const w = new RowBinaryWriter(256);
  w.writeVarUInt(pairs.length / 2);
  for (const s of pairs) w.writeString(s);
  return w.toBuffer();
}

// Columns 8-11 of every (resource, scope), encoded once.
const SCOPE_COLUMNS: ScopeColumns[][] = RESOURCES.map((r) => {
  const resource = { serviceName: encodeRowBinaryString(r.service), attributes: encodeMap(r.attrs) };
  return SCOPES.map((s) => new ScopeColumns(resource, encodeRowBinaryString(s.name), encodeRowBinaryString(s.version)));
});
const KIND_NUMBER: Record<SeedSpan['kind'], number> = { Internal: 1, Server: 2, Client: 3 };
const STATUS_NUMBER: Record<SeedSpan['status'], number> = { Unset: 0, Ok: 1, Error: 2 };

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

/** A SeedSpan as the row writer's source (one instance, pointed at each span in turn). */
class SeedSpanRow implements SpanRowSource {
  s!: SeedSpan;

  writeTimestamp(w: RowBinaryWriter): void {
    writeEpochMsAsNs(w, this.s.startMs);
  }
  writeIds(w: RowBinaryWriter): void {
    w.writeString(this.s.traceId);
    w.writeString(this.s.spanId);
    w.writeString(this.s.parentSpanId);
  }
  writeTraceState(w: RowBinaryWriter): void {
    w.writeUInt8(0);
  }
  writeName(w: RowBinaryWriter): void {
    w.writeString(this.s.name);
  }
  spanKind(): number {
    return KIND_NUMBER[this.s.kind];
  }
  scopeColumns(): ScopeColumns {
    return SCOPE_COLUMNS[this.s.resource][this.s.scope];
  }
  writeAttributes(w: RowBinaryWriter): void {
    const ctx = this.s.context;
    const attrs = this.s.attrs;
    w.writeVarUInt(((ctx ? ctx.length : 0) + attrs.length) / 2);
    if (ctx) w.writeRaw(contextBytes(ctx));
    for (let i = 0; i < attrs.length; i++) w.writeString(attrs[i]);
  }
  writeDuration(w: RowBinaryWriter): void {
    w.writeInt64Number(Math.max(0, Math.round(this.s.durationMs * 1e6)));
  }
  statusCode(): number {
    return STATUS_NUMBER[this.s.status];
  }
  writeStatusMessage(w: RowBinaryWriter): void {
    w.writeString(this.s.statusMessage);
  }
  eventCount(): number {
    return this.s.events === null ? 0 : this.s.events.length;
  }
  writeEventTimestamp(w: RowBinaryWriter, i: number): void {
    writeEpochMsAsNs(w, this.s.events![i].timeMs);
  }
  writeEventName(w: RowBinaryWriter, i: number): void {
    w.writeString(this.s.events![i].name);
  }
  writeEventAttributes(w: RowBinaryWriter, i: number): void {
    const a = this.s.events![i].attrs;
    w.writeVarUInt(a.length / 2);
    for (let k = 0; k < a.length; k++) w.writeString(a[k]);
  }
  // seeded spans have no links
  linkCount(): number {
    return 0;
  }
  writeLinkTraceId(): void {}
  writeLinkSpanId(): void {}
  writeLinkTraceState(): void {}
  writeLinkAttributes(): void {}
}

const row = new SeedSpanRow();

/** Appends one span row. */
export function writeSeedSpan(w: RowBinaryWriter, s: SeedSpan): void {
  row.s = s;
  writeSpanRow(w, row);
}
