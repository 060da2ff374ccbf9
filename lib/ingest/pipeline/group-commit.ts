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

export class GroupCommit {
  private batch: Batch = emptyBatch();
  private since = 0;
  private timer: NodeJS.Timeout | undefined;

  /** `onDue` is called when the batch has waited `batchWaitMs` since `ready()` said not yet. */
  constructor(private readonly opts: GroupCommitOptions, private readonly onDue: () => void) {}

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
    if (b.requests.length === 1) this.since = performance.now();
    return b.bytes >= this.opts.batchMaxBytes;
  }

  /**
   * Asked when an insert slot is free: true when the batch is worth an insert now; otherwise a timer
   * calls `onDue` once its first request has waited `batchWaitMs`.
   */
  ready(): boolean {
    if (this.batch.requests.length === 0) return false;
    const waited = performance.now() - this.since;
    if (this.batch.bytes >= this.opts.batchMinBytes || waited >= this.opts.batchWaitMs) return true;
    this.timer ??= setTimeout(() => { this.timer = undefined; this.onDue(); }, Math.max(1, this.opts.batchWaitMs - waited));
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
