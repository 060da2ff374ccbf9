/**
 * Test-only: an independent RowBinary reader for otel_traces rows (does not share code with the
 * writer). Throws on overrun and reports trailing bytes.
 */
export type Pairs = Array<[string, string]>;

export interface SpanRow {
  Timestamp: bigint;
  TraceId: string;
  SpanId: string;
  ParentSpanId: string;
  TraceState: string;
  SpanName: string;
  SpanKind: string;
  ServiceName: string;
  ResourceAttributes: Pairs;
  ScopeName: string;
  ScopeVersion: string;
  SpanAttributes: Pairs;
  Duration: bigint;
  StatusCode: string;
  StatusMessage: string;
  EventsTimestamp: bigint[];
  EventsName: string[];
  EventsAttributes: Pairs[];
  LinksTraceId: string[];
  LinksSpanId: string[];
  LinksTraceState: string[];
  LinksAttributes: Pairs[];
}

export class RowBinaryReader {
  pos = 0;
  constructor(readonly buf: Buffer) {}

  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new Error(`RowBinary overrun: need ${n} bytes at ${this.pos}, have ${this.buf.length - this.pos}`);
  }

  varUInt(): number {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      this.need(1);
      const c = this.buf[this.pos++];
      result |= BigInt(c & 0x7f) << shift;
      if (c < 0x80) break;
      shift += 7n;
      if (shift > 63n) throw new Error('varint too long');
    }
    return Number(result);
  }

  bytes(): Buffer {
    const n = this.varUInt();
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  string(): string {
    return this.bytes().toString('utf8');
  }

  int64(): bigint {
    this.need(8);
    const v = this.buf.readBigInt64LE(this.pos);
    this.pos += 8;
    return v;
  }

  uint64(): bigint {
    this.need(8);
    const v = this.buf.readBigUInt64LE(this.pos);
    this.pos += 8;
    return v;
  }

  array<T>(f: () => T): T[] {
    const n = this.varUInt();
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(f());
    return out;
  }

  map(): Pairs {
    const n = this.varUInt();
    const out: Pairs = [];
    for (let i = 0; i < n; i++) {
      const k = this.string();
      const v = this.string();
      out.push([k, v]);
    }
    return out;
  }

  row(): SpanRow {
    return {
      Timestamp: this.int64(),
      TraceId: this.string(),
      SpanId: this.string(),
      ParentSpanId: this.string(),
      TraceState: this.string(),
      SpanName: this.string(),
      SpanKind: this.string(),
      ServiceName: this.string(),
      ResourceAttributes: this.map(),
      ScopeName: this.string(),
      ScopeVersion: this.string(),
      SpanAttributes: this.map(),
      Duration: this.uint64(),
      StatusCode: this.string(),
      StatusMessage: this.string(),
      EventsTimestamp: this.array(() => this.int64()),
      EventsName: this.array(() => this.string()),
      EventsAttributes: this.array(() => this.map()),
      LinksTraceId: this.array(() => this.string()),
      LinksSpanId: this.array(() => this.string()),
      LinksTraceState: this.array(() => this.string()),
      LinksAttributes: this.array(() => this.map()),
    };
  }
}

/** Parses all rows; throws if the buffer does not end exactly after the last row. */
export function readRows(buf: Buffer): SpanRow[] {
  const r = new RowBinaryReader(buf);
  const rows: SpanRow[] = [];
  while (r.pos < buf.length) rows.push(r.row());
  if (r.pos !== buf.length) throw new Error('trailing bytes');
  // the three Events arrays and the four Links arrays must have equal lengths
  for (const row of rows) {
    if (row.EventsName.length !== row.EventsTimestamp.length || row.EventsAttributes.length !== row.EventsTimestamp.length) throw new Error('Events arrays differ in length');
    const n = row.LinksTraceId.length;
    if (row.LinksSpanId.length !== n || row.LinksTraceState.length !== n || row.LinksAttributes.length !== n) throw new Error('Links arrays differ in length');
  }
  return rows;
}

export function attrs(p: Pairs): Record<string, string> {
  return Object.fromEntries(p);
}
