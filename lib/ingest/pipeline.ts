import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ClickHouseError, StoreUnavailableError, type Store } from '../store/store';

/**
 * The write path from decoded spans to the store, with group commit and a write-ahead spool.
 *
 *   requests ──submit(rows)──► current batch ──seal──► spool/<id>.rowbinary ──insert──► otel_traces
 *                                 (memory)              (disk, fsync opt.)     (≤ insertConcurrency)
 *
 * - A batch is sealed when it reaches `batchMaxBytes`, or when an insert slot is free and the batch
 *   holds `batchMinBytes` or has waited `batchWaitMs` (group commit: under load each insert takes
 *   everything that arrived during the previous one).
 * - Every sealed batch is written to the spool before it is inserted; the embedded engine reads that
 *   file directly (RowBinary, no parsing in JS), a server gets it streamed.
 * - A request is acknowledged once its batch is stored, or — when the store is down — once the batch
 *   is in the spool, which a restart replays. Replays carry the batch id as insert_deduplication_token,
 *   so a batch inserted just before a crash is not stored twice.
 * - Backpressure: a request is refused (OverloadedError → 429/503 with Retry-After) when the bytes
 *   queued, plus the request bodies being read, pass `maxQueueBytes`; when the queue would take more
 *   than `maxQueueWaitMs` to store at the rate inserts are going (an acknowledgement that comes after
 *   the exporter's timeout — 10 s by default — is wasted work, and its retry a duplicate); or when
 *   the store is down and the spool is full. Receivers ask before reading a body (`refusal(0)`), so
 *   shedding load costs almost nothing. Nothing is queued without bound.
 * - A batch the store rejects for its content never holds up the batches behind it: it is split into
 *   its requests, each inserted on its own; a request the store still rejects is answered with an
 *   error if it is not acknowledged yet, else moved to `spool/dead-letter/` (kept, counted in
 *   health, logged). Only errors that say the store is unwell are retried, with backoff.
 */

export interface PipelineOptions {
  table: string;
  columns: readonly { name: string; type: string }[];
  spoolDir: string;
  batchMaxBytes: number;
  maxQueueBytes: number;
  maxSpoolBytes: number;
  fsync: boolean;
  /** Inserts running at once. @default 1 (the embedded engine runs one statement at a time) */
  insertConcurrency: number;
  /** A batch is sealed once it holds this many bytes and an insert slot is free... @default 4 MiB */
  batchMinBytes: number;
  /** ...or once its first request has waited this long. @default 20 ms */
  batchWaitMs: number;
  /** Refuse when the queue would take longer than this to store. @default 3000 ms; 0 = no limit */
  maxQueueWaitMs?: number;
  log?: (line: string) => void;
}

export class OverloadedError extends Error {
  /**
   * @param status 429 when payscope is busy (retry soon), 503 when the store is down and the spool
   *   full, or payscope is stopping.
   */
  constructor(message: string, readonly retryAfterSec: number, readonly status: 429 | 503 = 429) {
    super(message);
    this.name = 'OverloadedError';
  }
}

/**
 * A request's spans were refused by the store for their content (not because it is unwell): retrying
 * cannot help, so the receiver answers with a non-retryable error.
 */
export class SpansRejectedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SpansRejectedError';
  }
}

interface Waiter {
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

interface SpoolItem {
  id: string;
  file: string;
  bytes: number;
  /** -1 when not known (a batch replayed from the spool at start). */
  spans: number;
  /**
   * The requests whose rows make up the file, in order, answered or not; empty for a replayed batch,
   * whose request boundaries are not known.
   */
  requests: Waiter[];
  /** Inserts of this batch that failed with an error that may be caused by its size or content. */
  suspectFailures: number;
}

export interface PipelineHealth {
  /** `degraded` whenever acknowledged spans are not reaching the store, with the reasons. */
  status: 'ok' | 'degraded';
  reasons: string[];
}

export interface PipelineStats {
  acceptedSpans: number;
  /** Requests answered 429/503 because the queue or the spool was full. */
  refusedOverloaded: number;
  /**
   * Spans of requests whose client gave up (timed out) before they were stored: left out of the
   * insert, since the exporter sends them again.
   */
  abandonedSpans: number;
  /** Bytes per second the recent inserts stored (moving average); 0 before the first. */
  storeBytesPerSec: number;
  storedSpans: number;
  queuedBytes: number;
  spoolBytes: number;
  spoolFiles: number;
  storeUp: boolean;
  batches: number;
  replayedBatches: number;
  /** Batches whose requests were inserted one by one after the store rejected the whole. */
  splitBatches: number;
  /** Spans of not yet acknowledged requests the store rejected for their content (answered with an error). */
  rejectedSpans: number;
  /** Acknowledged batches the store rejected, now in the dead-letter folder (including earlier runs'). */
  deadLetterBatches: number;
  deadLetterDir: string;
}

const SPOOL_SUFFIX = '.rowbinary';
const DEAD_LETTER = 'dead-letter';
/**
 * Failures of one batch with an error that may be the batch's own doing (memory limit, timeout)
 * before it is treated as a content error: split, then dead-lettered.
 */
const MAX_SUSPECT_FAILURES = 5;
const PIPELINE_KEY = Symbol.for('payscope.ingestPipeline');
const RATE_SAMPLE_MIN_BYTES = 1 << 20;
const DEBUG = process.env.PAYSCOPE_INGEST_DEBUG === '1';
const INSTANCE = `${process.pid}-${crypto.randomBytes(4).toString('hex')}`;

export class IngestPipeline {
  private current: Buffer[] = [];
  private currentBytes = 0;
  private currentSpans = 0;
  private currentWaiters: Waiter[] = [];
  private queue: SpoolItem[] = [];
  private sealing = 0;
  private sealingBytes = 0;
  private inflight = 0;
  private currentSince = 0;
  private gatherTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private backoffMs = 250;
  private storeUp = true;
  private closed = false;
  private seq = 0;
  private spoolBytes = 0;
  private inflightBytes = 0;
  /** Request bodies being read and decoded, not yet submitted (they hold memory too). */
  private heldBytes = 0;
  /** Bytes per millisecond the store takes, moving average over recent inserts; 0 = not known yet. */
  private storeRate = 0;
  private readonly idleWaiters: (() => void)[] = [];
  private readonly stats_ = {
    acceptedSpans: 0, storedSpans: 0, batches: 0, replayedBatches: 0, refusedOverloaded: 0, abandonedSpans: 0,
    splitBatches: 0, rejectedSpans: 0, deadLetterBatches: 0,
  };
  /** Why the last insert failed while the store is not taking inserts. */
  private storeError = '';
  private storeDownSince = 0;
  private readonly deadLetterDir: string;
  private readonly log: (line: string) => void;

  constructor(private readonly store: Store, private readonly opts: PipelineOptions) {
    this.log = opts.log ?? ((l) => console.log(l));
    this.deadLetterDir = path.join(opts.spoolDir, DEAD_LETTER);
  }

  /** Picks up batches a previous process spooled but did not store, and starts storing them. */
  async start(): Promise<void> {
    // Spooled spans are whatever services sent (payment data included): readable by payscope only.
    fs.mkdirSync(this.opts.spoolDir, { recursive: true, mode: 0o700 });
    fs.chmodSync(this.opts.spoolDir, 0o700);
    fs.mkdirSync(this.deadLetterDir, { recursive: true, mode: 0o700 });
    fs.chmodSync(this.deadLetterDir, 0o700);
    this.stats_.deadLetterBatches = fs.readdirSync(this.deadLetterDir).filter((n) => n.endsWith(SPOOL_SUFFIX)).length;
    const names = fs.readdirSync(this.opts.spoolDir).sort();
    for (const name of names) {
      const file = path.join(this.opts.spoolDir, name);
      // A .tmp file was never acknowledged: its request got no 200, so its exporter retries it.
      if (name.endsWith('.tmp')) { fs.rmSync(file, { force: true }); continue; }
      if (!name.endsWith(SPOOL_SUFFIX)) continue;
      const bytes = fs.statSync(file).size;
      this.spoolBytes += bytes;
      this.queue.push({ id: name.slice(0, -SPOOL_SUFFIX.length), file, bytes, spans: -1, requests: [], suspectFailures: 0 });
    }
    (globalThis as Record<symbol, unknown>)[PIPELINE_KEY] = this;
    if (this.queue.length > 0) {
      this.log(`replaying ${this.queue.length} spooled batch(es) (${this.spoolBytes} bytes)`);
      this.stats_.replayedBatches += this.queue.length;
      this.pump();
    }
  }

  /**
   * Would a request of `bytes` RowBinary bytes be refused now? Returns the refusal (and counts it), or
   * undefined. Receivers call it with 0 before reading and decoding a request: when payscope is
   * already full, shedding the request costs almost nothing, so overload does not also burn the CPU
   * the inserts need on decoding requests that will be refused anyway.
   */
  refusal(bytes: number): OverloadedError | undefined {
    if (this.closed) return new OverloadedError('payscope is shutting down', 5, 503);
    const queued = this.queuedBytes();
    const ahead = queued + this.inflightBytes + bytes;
    const maxWaitMs = this.opts.maxQueueWaitMs ?? 3000;
    let err: OverloadedError | undefined;
    const full = (used: number, limit: number) => (bytes === 0 ? used >= limit : used + bytes > limit);
    if (full(queued + this.heldBytes, this.opts.maxQueueBytes)) {
      err = new OverloadedError(`ingest queue full (${queued} bytes waiting to be stored)`, 1);
    } else if (this.storeUp && maxWaitMs > 0 && this.storeRate > 0 && ahead > bytes && ahead / this.storeRate > maxWaitMs) {
      const waitSec = ahead / this.storeRate / 1000;
      err = new OverloadedError(`ingest busy: the queue would take ${waitSec.toFixed(1)} s to store (limit ${maxWaitMs / 1000} s)`, Math.min(5, Math.max(1, Math.ceil(waitSec - maxWaitMs / 1000))));
    } else if (!this.storeUp && full(this.spoolBytes, this.opts.maxSpoolBytes)) {
      err = new OverloadedError(`store unavailable and spool full (${this.spoolBytes} bytes)`, 10, 503);
    }
    if (err) this.stats_.refusedOverloaded++;
    return err;
  }

  /**
   * Counts request-body bytes being read and decoded against the queue limit (negative to release):
   * many large requests arriving at once must not pass the limit together.
   */
  holdBytes(delta: number): void {
    this.heldBytes += delta;
  }

  /**
   * Queues RowBinary rows; resolves once they are stored or safely spooled. `abandoned` tells whether
   * the client has stopped waiting (a timed-out exporter retries; storing its first copy too would
   * store the spans twice): such rows are left out if their batch has not been inserted yet.
   */
  submit(rows: Buffer, spans: number, abandoned?: () => boolean): Promise<void> {
    if (this.closed) return Promise.reject(new OverloadedError('payscope is shutting down', 5, 503));
    if (spans === 0 || rows.length === 0) return Promise.resolve();
    const refused = this.refusal(rows.length);
    if (refused) return Promise.reject(refused);
    this.stats_.acceptedSpans += spans;
    return new Promise<void>((resolve, reject) => {
      this.current.push(rows);
      this.currentBytes += rows.length;
      this.currentSpans += spans;
      this.currentWaiters.push({ resolve, reject, bytes: rows.length, spans, abandoned });
      if (this.currentWaiters.length === 1) this.currentSince = performance.now();
      if (this.currentBytes >= this.opts.batchMaxBytes) void this.seal();
      else this.maybeSeal();
    });
  }

  /**
   * Group commit: seal the current batch when an insert slot is free and the batch is worth an insert
   * (`batchMinBytes`), or its first request has waited `batchWaitMs`. An insert has a fixed cost, so a
   * few milliseconds spent gathering the requests that arrive together buys much larger batches.
   */
  private maybeSeal(): void {
    if (this.currentWaiters.length === 0) return;
    // While the store is down there is nothing to wait for: spool and acknowledge right away.
    if (!this.storeUp) { void this.seal(); return; }
    if (this.inflight >= this.opts.insertConcurrency || this.queue.length > 0) return; // sealed when the slot frees
    const waited = performance.now() - this.currentSince;
    if (this.currentBytes >= this.opts.batchMinBytes || waited >= this.opts.batchWaitMs) { void this.seal(); return; }
    if (!this.gatherTimer) {
      this.gatherTimer = setTimeout(() => { this.gatherTimer = undefined; this.maybeSeal(); }, Math.max(1, this.opts.batchWaitMs - waited));
    }
  }

  private queuedBytes(): number {
    let n = this.currentBytes + this.sealingBytes;
    for (const item of this.queue) n += item.bytes;
    return n;
  }

  /** Moves the current batch to the spool and the insert queue. */
  private async seal(): Promise<void> {
    clearTimeout(this.gatherTimer);
    this.gatherTimer = undefined;
    if (this.currentWaiters.length === 0) return;
    let buffers = this.current;
    let waiters = this.currentWaiters;
    let bytes = this.currentBytes;
    let spans = this.currentSpans;
    this.current = [];
    this.currentBytes = 0;
    this.currentSpans = 0;
    this.currentWaiters = [];
    if (waiters.some((w) => w.abandoned?.())) {
      const live = waiters.map((w, i) => (w.abandoned?.() ? (this.abandon(w), -1) : i)).filter((i) => i >= 0);
      buffers = live.map((i) => buffers[i]);
      waiters = live.map((i) => waiters[i]);
      bytes = waiters.reduce((n, w) => n + w.bytes, 0);
      spans = waiters.reduce((n, w) => n + w.spans, 0);
      if (waiters.length === 0) return;
    }
    // Batch ids are deduplication tokens in a shared ClickHouse: unique across instances, even where
    // every container runs as pid 1.
    const id = `${Date.now()}-${INSTANCE}-${++this.seq}`;
    const file = path.join(this.opts.spoolDir, id + SPOOL_SUFFIX);
    this.sealing++;
    this.sealingBytes += bytes;
    try {
      await writeSpoolFile(file, buffers, this.opts.fsync);
    } catch (err) {
      const e = new StoreUnavailableError(`cannot write the ingest spool: ${(err as Error).message}`, { cause: err });
      for (const w of waiters) { w.answered = true; w.reject(e); }
      return;
    } finally {
      this.sealing--;
      this.sealingBytes -= bytes;
    }
    this.spoolBytes += bytes;
    const item: SpoolItem = { id, file, bytes, spans, requests: waiters, suspectFailures: 0 };
    this.queue.push(item);
    if (!this.storeUp) this.acknowledge(item); // in the spool: safe across a restart
    this.pump();
  }

  /** Drops an abandoned request's rows from the counts; its client is gone, so nobody is answered. */
  private abandon(w: Waiter): void {
    this.stats_.abandonedSpans += w.spans;
    this.stats_.acceptedSpans -= w.spans;
    w.answered = true;
    w.resolve();
  }

  /**
   * Before an insert: rewrites the spool file without the rows of requests whose client gave up
   * while the batch waited. The file is replaced atomically (rename), so a crash leaves either copy.
   */
  private async dropAbandoned(item: SpoolItem): Promise<void> {
    // An answered request's client is not waiting any more, whatever its connection does now.
    const gone = (w: Waiter) => !w.answered && w.abandoned?.() === true;
    if (!item.requests.some(gone)) return;
    const data = await fs.promises.readFile(item.file);
    const keep: Buffer[] = [];
    const live: Waiter[] = [];
    let at = 0;
    for (const w of item.requests) {
      if (gone(w)) this.abandon(w);
      else { keep.push(data.subarray(at, at + w.bytes)); live.push(w); }
      at += w.bytes;
    }
    const bytes = live.reduce((n, w) => n + w.bytes, 0);
    await writeSpoolFile(item.file, keep, this.opts.fsync);
    this.spoolBytes -= item.bytes - bytes;
    item.bytes = bytes;
    item.spans = live.reduce((n, w) => n + w.spans, 0);
    item.requests = live;
  }

  private acknowledge(item: SpoolItem): void {
    for (const w of item.requests) {
      if (w.answered) continue;
      w.answered = true;
      w.resolve();
    }
  }

  /**
   * Starts inserts for queued spool files, oldest first, up to `insertConcurrency` at a time (an
   * insert has a fixed cost of tens of milliseconds — writing a part — so two overlapping inserts keep
   * both cores busy). While the store is down, one probe at a time, with backoff.
   */
  private pump(): void {
    const limit = this.storeUp ? this.opts.insertConcurrency : 1;
    while (this.inflight < limit && this.queue.length > 0 && !this.retryTimer) {
      const item = this.queue.shift()!;
      this.inflight++;
      const bytes = item.bytes;
      this.inflightBytes += bytes;
      void this.insert(item).catch((err) => this.log(`ingest: batch ${item.id}: ${(err as Error).message}`)).finally(() => {
        this.inflight--;
        this.inflightBytes -= bytes;
        // Group commit: whatever arrived during that insert goes next, as one batch.
        if (!this.closed) this.maybeSeal();
        this.pump();
        this.notifyIdle();
      });
    }
  }

  private async insert(item: SpoolItem): Promise<void> {
    try {
      await this.dropAbandoned(item).catch((err) => this.log(`could not leave abandoned requests out of batch ${item.id}: ${(err as Error).message}`));
      if (item.spans === 0) {
        // Everyone gave up: nothing to store.
        this.spoolBytes -= item.bytes;
        await fs.promises.rm(item.file, { force: true });
        return;
      }
      const t0 = performance.now();
      await this.store.insertRowBinaryFile(this.opts.table, this.opts.columns, item.file, item.id);
      // Only batches of a size that forms under load tell the rate: a small insert is mostly its fixed
      // cost, and a rate taken from it would refuse the first large request after a quiet spell.
      if (item.bytes >= RATE_SAMPLE_MIN_BYTES) {
        const ms = Math.max(1, performance.now() - t0);
        this.storeRate = this.storeRate === 0 ? item.bytes / ms : 0.7 * this.storeRate + 0.3 * (item.bytes / ms);
      }
      if (DEBUG) this.log(`inserted ${item.spans} spans (${item.bytes} bytes) in ${(performance.now() - t0).toFixed(0)} ms, ${this.inflight} in flight`);
    } catch (err) {
      const kind = classifyInsertError(err);
      if (kind === 'content' || (kind === 'suspect' && ++item.suspectFailures >= MAX_SUSPECT_FAILURES)) {
        await this.contentRejected(item, err as Error);
        return;
      }
      if (this.storeUp) this.log(`store not taking inserts, spooling: ${(err as Error).message}`);
      if (this.storeUp) this.storeDownSince = Date.now();
      this.storeUp = false;
      this.storeError = (err as Error).message;
      this.queue.unshift(item);
      for (const q of this.queue) this.acknowledge(q); // safe in the spool
      if (!this.closed) {
        this.retryTimer = setTimeout(() => { this.retryTimer = undefined; this.pump(); }, this.backoffMs);
        this.backoffMs = Math.min(this.backoffMs * 2, 10_000);
      }
      return;
    }
    if (!this.storeUp) this.log('store available again; replaying spool');
    this.storeUp = true;
    this.storeError = '';
    this.backoffMs = 250;
    this.spoolBytes -= item.bytes;
    this.stats_.batches++;
    if (item.spans > 0) this.stats_.storedSpans += item.spans;
    await fs.promises.rm(item.file, { force: true });
    this.acknowledge(item);
  }

  /**
   * The store refused the batch for what it holds. Several requests: each becomes its own spool file,
   * inserted next, so one bad request cannot keep the others out. One request (or a replayed batch,
   * whose request boundaries are not known): refused if its client still waits, else dead-lettered.
   */
  private async contentRejected(item: SpoolItem, err: Error): Promise<void> {
    const code = err instanceof ClickHouseError ? ` (code ${err.code})` : '';
    // The batch leaves the queue; a split puts its bytes back as parts.
    this.spoolBytes -= item.bytes;
    try {
      if (item.requests.length > 1) {
        const data = await fs.promises.readFile(item.file);
        const parts: SpoolItem[] = [];
        let at = 0;
        for (let i = 0; i < item.requests.length; i++) {
          const w = item.requests[i];
          // Deterministic ids: if a crash replays the whole batch after some parts were stored, the
          // same split gives the same deduplication tokens, so no part is stored twice.
          const id = `${item.id}-r${String(i).padStart(4, '0')}`;
          const file = path.join(this.opts.spoolDir, id + SPOOL_SUFFIX);
          await writeSpoolFile(file, [data.subarray(at, at + w.bytes)], this.opts.fsync);
          parts.push({ id, file, bytes: w.bytes, spans: w.spans, requests: [w], suspectFailures: 0 });
          at += w.bytes;
        }
        await fs.promises.rm(item.file, { force: true });
        this.spoolBytes += item.bytes;
        this.queue.unshift(...parts);
        this.stats_.splitBatches++;
        this.log(`batch ${item.id} rejected by the store${code}: ${err.message}; inserting its ${parts.length} requests one by one`);
        return;
      }
      const waiting = item.requests.filter((w) => !w.answered);
      if (waiting.length > 0) {
        // The client still waits: it keeps its spans and learns they cannot be stored.
        await fs.promises.rm(item.file, { force: true });
        this.log(`request of ${item.spans} spans rejected by the store${code}: ${err.message}`);
        const e = new SpansRejectedError(`the store rejected these spans${code}: ${err.message}`, { cause: err });
        for (const w of waiting) {
          w.answered = true;
          this.stats_.rejectedSpans += w.spans;
          this.stats_.acceptedSpans -= w.spans;
          w.reject(e);
        }
        return;
      }
      // Acknowledged: payscope answered for these spans, so they are kept for an operator.
      await fs.promises.rename(item.file, path.join(this.deadLetterDir, path.basename(item.file)));
      this.stats_.deadLetterBatches++;
      const spans = item.spans >= 0 ? `${item.spans} acknowledged spans` : 'replayed batch';
      this.log(`batch ${item.id} (${spans}, ${item.bytes} bytes) rejected by the store${code}: ${err.message}; moved to ${this.deadLetterDir}`);
    } catch (fsErr) {
      // The spool itself failed (disk full, file gone): nothing more can be done for this batch in
      // this run; a file still in the spool directory is replayed at the next start.
      this.log(`batch ${item.id} rejected by the store${code} (${err.message}) and could not be set aside: ${(fsErr as Error).message}`);
      const e = new StoreUnavailableError(`cannot write the ingest spool: ${(fsErr as Error).message}`, { cause: fsErr });
      for (const w of item.requests) if (!w.answered) { w.answered = true; w.reject(e); }
    }
  }

  private isIdle(): boolean {
    return this.queue.length === 0 && this.inflight === 0 && this.currentWaiters.length === 0 && this.sealing === 0;
  }

  private notifyIdle(): void {
    if (this.isIdle() || (!this.storeUp && this.inflight === 0)) for (const w of this.idleWaiters.splice(0)) w();
  }

  /** Resolves when everything accepted so far is stored (or spooled, if the store is down). */
  async flush(): Promise<void> {
    await this.seal();
    while (this.sealing > 0) await sleep(5);
    if (this.isIdle() || !this.storeUp) return;
    await new Promise<void>((resolve) => { this.idleWaiters.push(resolve); this.pump(); });
  }

  /** Stops accepting, stores what was accepted (bounded by `timeoutMs`; the rest stays spooled). */
  async close(timeoutMs = 10_000): Promise<void> {
    this.closed = true;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.flush(), new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
    clearTimeout(this.retryTimer);
    const g = globalThis as Record<symbol, unknown>;
    if (g[PIPELINE_KEY] === this) delete g[PIPELINE_KEY];
    // Inserts still running finish on their own; their files are removed only once stored.
  }

  /**
   * `degraded` whenever spans payscope acknowledged are not reaching the store: the store is not
   * taking inserts (they wait in the spool), or batches it rejected sit in the dead-letter folder.
   */
  health(): PipelineHealth {
    const reasons: string[] = [];
    if (!this.storeUp) {
      reasons.push(`store not taking inserts since ${new Date(this.storeDownSince).toISOString()} (${this.storeError}); ` +
        `${this.queue.length} batch(es), ${this.spoolBytes} bytes wait in the spool`);
    }
    const dead = this.stats_.deadLetterBatches;
    if (dead > 0) {
      // No path here: health is open to anyone who can reach it; stats() and the log name the folder.
      reasons.push(`${dead} acknowledged batch(es) the store rejected are in the spool's dead-letter folder ` +
        '(see the log; move a file back into the spool directory to retry it at the next start)');
    }
    return { status: reasons.length > 0 ? 'degraded' : 'ok', reasons };
  }

  stats(): PipelineStats {
    return {
      ...this.stats_,
      storeBytesPerSec: Math.round(this.storeRate * 1000),
      queuedBytes: this.queuedBytes(),
      spoolBytes: this.spoolBytes,
      spoolFiles: this.queue.length,
      storeUp: this.storeUp,
      deadLetterDir: this.deadLetterDir,
    };
  }
}

/** The pipeline this process started last (for health endpoints outside the server's own code). */
export function runningPipeline(): IngestPipeline | undefined {
  return (globalThis as Record<symbol, unknown>)[PIPELINE_KEY] as IngestPipeline | undefined;
}

/** Writes a spool file atomically (.tmp, then rename), readable by payscope only. */
async function writeSpoolFile(file: string, buffers: Buffer[], fsync: boolean): Promise<void> {
  const tmp = file + '.tmp';
  const fh = await fs.promises.open(tmp, 'w', 0o600);
  try {
    await fh.writev(buffers);
    if (fsync) await fh.datasync();
  } finally {
    await fh.close();
  }
  await fs.promises.rename(tmp, file);
}

/**
 * Why an insert failed:
 * - `store`: the store is unwell (unreachable, overloaded, read-only, restarting): retry the same
 *   batch with backoff, everything behind it waits in the spool.
 * - `suspect`: may be the store, may be the batch (memory limit, timeout): retried a few times, then
 *   handled as content.
 * - `content`: this data cannot be inserted; retrying cannot help.
 */
export function classifyInsertError(err: unknown): 'store' | 'suspect' | 'content' {
  // The spool file is gone (streamed to a server): retrying cannot bring it back.
  if ((err as NodeJS.ErrnoException)?.code === 'ENOENT') return 'content';
  if (!(err instanceof ClickHouseError)) return 'store'; // StoreUnavailableError, network
  const code = String(err.code);
  // TOO_MANY_PARTS is also the code of "too many partitions for a single INSERT block": the first
  // is the store behind on merges, the second the batch's own spread of days.
  if (code === '252') return /partitions/i.test(err.message) ? 'content' : 'store';
  // TOO_MANY_SIMULTANEOUS_QUERIES, NETWORK_ERROR, SOCKET_TIMEOUT, ALL_CONNECTION_TRIES_FAILED,
  // TABLE_IS_READ_ONLY, ABORTED, SYSTEM_ERROR
  if (['202', '210', '209', '279', '242', '236', '425'].includes(code)) return 'store';
  // TIMEOUT_EXCEEDED, MEMORY_LIMIT_EXCEEDED
  if (code === '159' || code === '241') return 'suspect';
  return 'content';
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
