/**
 * Group commit: the batch being gathered in memory, and when it is worth an insert. An insert has a
 * fixed cost, so a few milliseconds spent gathering the requests that arrive together buys much
 * larger batches; under load each insert takes everything that arrived during the previous one.
 */

/** A request waiting for its rows to be stored (or spooled). */
export interface PendingRequest {
  resolve(): void;
  reject(err: Error): void;
  /** Its rows, in batch order: bytes and spans. */
  bytes: number;
  spans: number;
  /** True once the client gave up waiting (its exporter will send the spans again). */
  abandoned?: () => boolean;
  /** Answered (acknowledged or refused): its client no longer waits. */
  answered?: boolean;
}

export interface Batch {
  /** One buffer of rows per request, in order. */
  rows: Buffer[];
  requests: PendingRequest[];
  bytes: number;
  spans: number;
}

export interface GroupCommitOptions {
  /** Sealed at once at this size. */
  batchMaxBytes: number;
  /** Sealed, once an insert slot is free, at this size... */
  batchMinBytes: number;
  /** ...or once its first request has waited this long. */
  batchWaitMs: number;
}

/** A batch waits at most this many times batchWaitMs for requests still arriving or being decoded. */
export const MAX_WAIT_FACTOR = 4;

export class GroupCommit {
  private batch: Batch = emptyBatch();
  private since = 0;
  private slotFreedAt = -Infinity;
  private lastArrival = 0;
  private timer: NodeJS.Timeout | undefined;

  /**
   * `onDue` is called when the batch has waited `batchWaitMs` since `ready()` said not yet. `now`
   * is the clock (tests give their own).
   */
  constructor(private readonly opts: GroupCommitOptions, private readonly onDue: () => void, private readonly now: () => number = () => performance.now()) {}

  get requests(): number {
    return this.batch.requests.length;
  }

  get bytes(): number {
    return this.batch.bytes;
  }

  /** Adds a request's rows; true when the batch is full and should be sealed now. */
  add(rows: Buffer, request: PendingRequest): boolean {
    const b = this.batch;
    b.rows.push(rows);
    b.bytes += rows.length;
    b.spans += request.spans;
    b.requests.push(request);
    this.lastArrival = this.now();
    if (b.requests.length === 1) this.since = this.lastArrival;
    return b.bytes >= this.opts.batchMaxBytes;
  }

  /**
   * An insert finished. Its acknowledgements release many clients at once, whose next requests
   * arrive over the next tens of milliseconds: the wait counts from here, so a batch whose first
   * request came during the insert is not sealed with only the few that came early (measured:
   * under 32-64 clients, inserts alternated between ~30k spans and 1-3k; an insert costs ~33 ms of CPU and its
   * parts' merges ~22 ms more whatever its size, ~27 µs per span of a 2,000-span batch against ~2 µs
   * of a 32,000-span one; docs/ingest.md).
   */
  slotFreed(): void {
    this.slotFreedAt = this.now();
  }

  /**
   * Asked when an insert slot is free: true when the batch is worth an insert now. Otherwise it waits
   * `batchWaitMs` since its first request came or, if later, since the last insert finished; then,
   * while requests are still coming (one came in the last quarter of that, or bodies are being read
   * and decoded: `decoding`), up to `MAX_WAIT_FACTOR` times as long. A timer calls `onDue` when the
   * wait may be over; each request that arrives asks again.
   */
  ready(decoding = false): boolean {
    if (this.batch.requests.length === 0) return false;
    if (this.batch.bytes >= this.opts.batchMinBytes) return true;
    const now = this.now();
    const wait = this.opts.batchWaitMs;
    const waited = now - Math.max(this.since, this.slotFreedAt);
    const quiet = now - this.lastArrival;
    const arriving = decoding || quiet < wait / 4;
    if (waited >= wait * MAX_WAIT_FACTOR || (waited >= wait && !arriving)) return true;
    const due = waited < wait ? wait - waited : decoding ? wait * MAX_WAIT_FACTOR - waited : wait / 4 - quiet;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => { this.timer = undefined; this.onDue(); }, Math.max(1, due));
    return false;
  }

  /** Takes the batch gathered so far, leaving an empty one. */
  take(): Batch {
    clearTimeout(this.timer);
    this.timer = undefined;
    const b = this.batch;
    this.batch = emptyBatch();
    return b;
  }
}

function emptyBatch(): Batch {
  return { rows: [], requests: [], bytes: 0, spans: 0 };
}

/**
 * The batch without the requests for which `gone` holds (their clients stopped waiting);
 * `dropped` is told of each one left out.
 */
export function withoutGone(batch: Batch, gone: (r: PendingRequest) => boolean, dropped: (r: PendingRequest) => void): Batch {
  const out = emptyBatch();
  batch.requests.forEach((r, i) => {
    if (gone(r)) { dropped(r); return; }
    out.rows.push(batch.rows[i]);
    out.requests.push(r);
    out.bytes += r.bytes;
    out.spans += r.spans;
  });
  return out;
}
