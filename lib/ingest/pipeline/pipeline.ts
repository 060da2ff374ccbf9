import crypto from 'node:crypto';
import { StoreUnavailableError, ClickHouseError, type Store } from '../../store/store';
import { admissionRefusal } from './admission';
import { OverloadedError, SpansRejectedError } from './errors';
import { GroupCommit, withoutGone, type PendingRequest } from './group-commit';
import { StoreStatus, type PipelineHealth } from './health';
import { classifyInsertError, MAX_SUSPECT_FAILURES } from './insert-errors';
import { StoreRate } from './rate';
import { Spool, type SpoolItem } from './spool';

/**
 * The write path from decoded spans to the store. Its parts, one job each:
 *
 *   requests ──submit(rows)──► GroupCommit ──seal──► Spool: <id>.rowbinary ──insert──► otel_traces
 *   (admission.ts refuses)      (memory)              (disk, fsync opt.)     (≤ insertConcurrency)
 *
 * - admission.ts: refuses a request (OverloadedError → 429/503 with Retry-After) when the queue is
 *   full in bytes or in time to store (rate.ts estimates the store's rate), or the store is down and
 *   the spool full. Receivers ask before reading a body (`refusal(0)`).
 * - group-commit.ts: gathers requests into a batch until an insert slot is free and the batch is
 *   worth an insert.
 * - spool.ts: every sealed batch is a file before it is inserted; a restart replays what is left.
 *   Replays carry the batch id as insert_deduplication_token, so a batch inserted just before a
 *   crash is not stored twice.
 * - insert-errors.ts: whether a failed insert means the store is unwell (retry with backoff, spool
 *   and acknowledge what waits) or the batch cannot be stored (split into its requests; what still
 *   fails is refused if its client waits, else dead-lettered).
 * - health.ts: the store's state as the inserts see it (down since when, why, next try), and the
 *   health report.
 * This class composes them: it runs the inserts and answers the requests. A request is acknowledged
 * once its batch is stored, or — when the store is down — once the batch is in the spool.
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
  /** Log every insert (PAYSCOPE_INGEST_DEBUG). @default false */
  debug?: boolean;
  /** Told of stored batches and of spans acknowledged from the spool (self-metrics). */
  observer?: PipelineObserver;
}

export interface PipelineObserver {
  /** A batch was stored: its spans (-1 when not known: a replayed batch) and the insert's time. */
  inserted(spans: number, seconds: number): void;
  /** Requests of this many spans were acknowledged from the spool while the store is down. */
  spooled(spans: number): void;
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

const PIPELINE_KEY = Symbol.for('payscope.ingestPipeline');
const INSTANCE = `${process.pid}-${crypto.randomBytes(4).toString('hex')}`;

export class IngestPipeline {
  private readonly gathering: GroupCommit;
  private readonly spool: Spool;
  private readonly rate = new StoreRate();
  private readonly storeStatus = new StoreStatus();
  /** Sealed batches waiting for an insert, oldest first. */
  private queue: SpoolItem[] = [];
  /** Batches being written to the spool. */
  private sealing = 0;
  private sealingBytes = 0;
  private inflight = 0;
  private inflightBytes = 0;
  /** Request bodies being read and decoded, not yet submitted (they hold memory too). */
  private heldBytes = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private seq = 0;
  private readonly idleWaiters: (() => void)[] = [];
  private readonly counts = {
    acceptedSpans: 0, storedSpans: 0, batches: 0, replayedBatches: 0, refusedOverloaded: 0, abandonedSpans: 0,
    splitBatches: 0, rejectedSpans: 0, deadLetterBatches: 0,
  };
  private readonly log: (line: string) => void;

  constructor(private readonly store: Store, private readonly opts: PipelineOptions) {
    this.log = opts.log ?? ((l) => console.log(l));
    this.spool = new Spool(opts.spoolDir, opts.fsync);
    this.gathering = new GroupCommit(opts, () => this.maybeSeal());
  }

  /** Picks up batches a previous process spooled but did not store, and starts storing them. */
  async start(): Promise<void> {
    const { replay, deadLetters } = this.spool.open();
    this.counts.deadLetterBatches = deadLetters;
    this.queue.push(...replay);
    (globalThis as Record<symbol, unknown>)[PIPELINE_KEY] = this;
    if (replay.length > 0) {
      this.log(`replaying ${replay.length} spooled batch(es) (${this.spool.bytes} bytes)`);
      this.counts.replayedBatches += replay.length;
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
    const err = this.closed
      ? new OverloadedError('payscope is shutting down', 5, 503)
      : admissionRefusal(bytes, {
        queuedBytes: this.queuedBytes(), heldBytes: this.heldBytes, inflightBytes: this.inflightBytes,
        spoolBytes: this.spool.bytes, storeUp: this.storeStatus.up, storeBytesPerMs: this.rate.bytesPerMs,
      }, { maxQueueBytes: this.opts.maxQueueBytes, maxQueueWaitMs: this.opts.maxQueueWaitMs ?? 3000, maxSpoolBytes: this.opts.maxSpoolBytes });
    if (err && !this.closed) this.counts.refusedOverloaded++;
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
    this.counts.acceptedSpans += spans;
    return new Promise<void>((resolve, reject) => {
      if (this.gathering.add(rows, { resolve, reject, bytes: rows.length, spans, abandoned })) void this.seal();
      else this.maybeSeal();
    });
  }

  /** Seals the gathered batch when an insert slot is free and the batch is worth an insert. */
  private maybeSeal(): void {
    if (this.gathering.requests === 0) return;
    // While the store is down there is nothing to wait for: spool and acknowledge right away.
    if (!this.storeStatus.up) { void this.seal(); return; }
    if (this.inflight >= this.opts.insertConcurrency || this.queue.length > 0) return; // sealed when the slot frees
    if (this.gathering.ready(this.heldBytes > 0)) void this.seal();
  }

  private queuedBytes(): number {
    let n = this.gathering.bytes + this.sealingBytes;
    for (const item of this.queue) n += item.bytes;
    return n;
  }

  /** Moves the gathered batch to the spool and the insert queue. */
  private async seal(): Promise<void> {
    const batch = withoutGone(this.gathering.take(), (r) => r.abandoned?.() === true, (r) => this.abandon(r));
    if (batch.requests.length === 0) return;
    // Batch ids are deduplication tokens in a shared ClickHouse: unique across instances, even where
    // every container runs as pid 1.
    const id = `${Date.now()}-${INSTANCE}-${++this.seq}`;
    this.sealing++;
    this.sealingBytes += batch.bytes;
    let item: SpoolItem;
    try {
      item = await this.spool.add(id, batch.rows, batch.bytes, batch.spans, batch.requests);
    } catch (err) {
      const e = new StoreUnavailableError(`cannot write the ingest spool: ${(err as Error).message}`, { cause: err });
      for (const r of batch.requests) { r.answered = true; r.reject(e); }
      return;
    } finally {
      this.sealing--;
      this.sealingBytes -= batch.bytes;
    }
    this.queue.push(item);
    if (!this.storeStatus.up) this.acknowledge(item, true); // in the spool: safe across a restart
    this.pump();
  }

  /** Drops an abandoned request's rows from the counts; its client is gone, so nobody is answered. */
  private abandon(r: PendingRequest): void {
    this.counts.abandonedSpans += r.spans;
    this.counts.acceptedSpans -= r.spans;
    r.answered = true;
    r.resolve();
  }

  /** Before an insert: rewrites the spool file without the rows of requests whose client gave up. */
  private async dropAbandoned(item: SpoolItem): Promise<void> {
    // An answered request's client is not waiting any more, whatever its connection does now.
    const gone = (r: PendingRequest) => !r.answered && r.abandoned?.() === true;
    if (!item.requests.some(gone)) return;
    const rows = await this.spool.readRequests(item);
    const live = withoutGone({ rows, requests: item.requests, bytes: item.bytes, spans: item.spans }, gone, (r) => this.abandon(r));
    await this.spool.rewrite(item, live.rows, live.requests);
  }

  /** Answers the item's requests: stored, or (`spooled`) safe in the spool while the store is down. */
  private acknowledge(item: SpoolItem, spooled = false): void {
    let spans = 0;
    for (const r of item.requests) {
      if (r.answered) continue;
      r.answered = true;
      spans += r.spans;
      r.resolve();
    }
    if (spooled && spans > 0) this.opts.observer?.spooled(spans);
  }

  /**
   * Starts inserts for queued spool files, oldest first, up to `insertConcurrency` at a time (1 by
   * default: the embedded engine runs one statement at a time; a server may take more). While the
   * store is down, one probe at a time, with backoff.
   */
  private pump(): void {
    const limit = this.storeStatus.up ? this.opts.insertConcurrency : 1;
    while (this.inflight < limit && this.queue.length > 0 && !this.retryTimer) {
      const item = this.queue.shift()!;
      this.inflight++;
      const bytes = item.bytes;
      this.inflightBytes += bytes;
      void this.insert(item).catch((err) => this.log(`ingest: batch ${item.id}: ${(err as Error).message}`)).finally(() => {
        this.inflight--;
        this.inflightBytes -= bytes;
        // Group commit: whatever arrived during that insert, and what its acknowledgements bring in
        // the next moments, goes next, as one batch.
        this.gathering.slotFreed();
        if (!this.closed) this.maybeSeal();
        this.pump();
        this.notifyIdle();
      });
    }
  }

  private async insert(item: SpoolItem): Promise<void> {
    let ms = 0;
    try {
      await this.dropAbandoned(item).catch((err) => this.log(`could not leave abandoned requests out of batch ${item.id}: ${(err as Error).message}`));
      if (item.spans === 0) {
        // Everyone gave up: nothing to store.
        await this.spool.remove(item);
        return;
      }
      const t0 = performance.now();
      await this.store.insertRowBinaryFile(this.opts.table, this.opts.columns, item.file, item.id);
      ms = performance.now() - t0;
      this.rate.sample(item.bytes, ms);
      if (this.opts.debug) this.log(`inserted ${item.spans} spans (${item.bytes} bytes) in ${ms.toFixed(0)} ms, ${this.inflight} in flight`);
    } catch (err) {
      const kind = classifyInsertError(err);
      if (kind === 'content' || (kind === 'suspect' && ++item.suspectFailures >= MAX_SUSPECT_FAILURES)) {
        await this.contentRejected(item, err as Error);
        return;
      }
      this.storeFailed(item, err as Error);
      return;
    }
    if (this.storeStatus.succeeded()) this.log('store available again; replaying spool');
    this.counts.batches++;
    if (item.spans > 0) this.counts.storedSpans += item.spans;
    this.opts.observer?.inserted(item.spans, ms / 1000);
    await this.spool.remove(item);
    this.acknowledge(item);
  }

  /**
   * The store is not taking inserts: the batch goes back first in line, everything queued is
   * acknowledged (it is in the spool), and the store is tried again after a backoff.
   */
  private storeFailed(item: SpoolItem, err: Error): void {
    const { wentDown, retryInMs } = this.storeStatus.failed(err);
    if (wentDown) this.log(`store not taking inserts, spooling: ${err.message}`);
    this.queue.unshift(item);
    for (const q of this.queue) this.acknowledge(q, true);
    if (!this.closed) this.retryTimer = setTimeout(() => { this.retryTimer = undefined; this.pump(); }, retryInMs);
  }

  /**
   * The store refused the batch for what it holds. Several requests: each becomes its own spool file,
   * inserted next, so one bad request cannot keep the others out. One request (or a replayed batch,
   * whose request boundaries are not known): refused if its client still waits, else dead-lettered.
   */
  private async contentRejected(item: SpoolItem, err: Error): Promise<void> {
    const code = err instanceof ClickHouseError ? ` (code ${err.code})` : '';
    // The batch leaves the queue; a split puts its bytes back as parts.
    this.spool.release(item);
    try {
      if (item.requests.length > 1) {
        const parts = await this.spool.split(item);
        this.queue.unshift(...parts);
        this.counts.splitBatches++;
        this.log(`batch ${item.id} rejected by the store${code}: ${err.message}; inserting its ${parts.length} requests one by one`);
        return;
      }
      const waiting = item.requests.filter((r) => !r.answered);
      if (waiting.length > 0) {
        // The client still waits: it keeps its spans and learns they cannot be stored.
        await this.spool.discard(item);
        this.log(`request of ${item.spans} spans rejected by the store${code}: ${err.message}`);
        const e = new SpansRejectedError(`the store rejected these spans${code}: ${err.message}`, { cause: err });
        for (const r of waiting) {
          r.answered = true;
          this.counts.rejectedSpans += r.spans;
          this.counts.acceptedSpans -= r.spans;
          r.reject(e);
        }
        return;
      }
      // Acknowledged: payscope answered for these spans, so they are kept for an operator.
      await this.spool.deadLetter(item);
      this.counts.deadLetterBatches++;
      const spans = item.spans >= 0 ? `${item.spans} acknowledged spans` : 'replayed batch';
      this.log(`batch ${item.id} (${spans}, ${item.bytes} bytes) rejected by the store${code}: ${err.message}; moved to ${this.spool.deadLetterDir}`);
    } catch (fsErr) {
      // The spool itself failed (disk full, file gone): nothing more can be done for this batch in
      // this run; a file still in the spool directory is replayed at the next start.
      this.log(`batch ${item.id} rejected by the store${code} (${err.message}) and could not be set aside: ${(fsErr as Error).message}`);
      const e = new StoreUnavailableError(`cannot write the ingest spool: ${(fsErr as Error).message}`, { cause: fsErr });
      for (const r of item.requests) if (!r.answered) { r.answered = true; r.reject(e); }
    }
  }

  private isIdle(): boolean {
    return this.queue.length === 0 && this.inflight === 0 && this.gathering.requests === 0 && this.sealing === 0;
  }

  private notifyIdle(): void {
    if (this.isIdle() || (!this.storeStatus.up && this.inflight === 0)) for (const w of this.idleWaiters.splice(0)) w();
  }

  /** Resolves when everything accepted so far is stored (or spooled, if the store is down). */
  async flush(): Promise<void> {
    await this.seal();
    while (this.sealing > 0) await sleep(5);
    if (this.isIdle() || !this.storeStatus.up) return;
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

  /** `degraded` whenever spans payscope acknowledged are not reaching the store (health.ts). */
  health(): PipelineHealth {
    return this.storeStatus.health({ batches: this.queue.length, bytes: this.spool.bytes }, this.counts.deadLetterBatches);
  }

  stats(): PipelineStats {
    return {
      ...this.counts,
      storeBytesPerSec: Math.round(this.rate.bytesPerMs * 1000),
      queuedBytes: this.queuedBytes(),
      spoolBytes: this.spool.bytes,
      spoolFiles: this.queue.length,
      storeUp: this.storeStatus.up,
      deadLetterDir: this.spool.deadLetterDir,
    };
  }
}

/** The pipeline this process started last (for health endpoints outside the server's own code). */
export function runningPipeline(): IngestPipeline | undefined {
  return (globalThis as Record<symbol, unknown>)[PIPELINE_KEY] as IngestPipeline | undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
