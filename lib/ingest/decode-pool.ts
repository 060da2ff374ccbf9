import { Worker } from 'node:worker_threads';
import { OtlpDecodeError, type DecodeResult } from './otlp';
import { OverloadedError } from './pipeline';
import { decodeBody, ownedBody, type DecodeJob, type DecodeReply, type OtlpEncoding, type PoolDecodeOptions } from './decode-job';

/**
 * Decodes OTLP request bodies: small ones inline, large ones on a few worker threads, so a 30 MiB
 * body does not hold up the dashboard and every other request for its whole decode. Bodies and
 * rows move between threads by transfer, not copy. The queue is bounded: past it, decode refuses
 * with OverloadedError (429 / UNAVAILABLE), like a full ingest queue.
 */

export type { OtlpEncoding, PoolDecodeOptions };

export interface DecodePoolOptions {
  /** Worker threads, started on first use. 0 decodes everything inline. */
  workers: number;
  /** Bodies below this many bytes are decoded inline (a thread hop costs more than their decode). */
  inlineBelowBytes: number;
  /** Large bodies waiting for a worker, beyond the ones being decoded, before decode refuses. */
  maxQueued: number;
}

interface Pending {
  job: DecodeJob;
  resolve(r: DecodeResult): void;
  reject(err: Error): void;
}

interface Slot {
  worker: Worker;
  busy?: Pending;
}

const WORKER_ENTRY = new URL('./decode-worker-entry.mjs', import.meta.url);

export class DecodePool {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;
  /** Bodies handed to a worker thread so far. */
  offloaded = 0;

  constructor(private readonly opts: DecodePoolOptions) {}

  /** Bodies being decoded on a worker thread now. */
  get busy(): number {
    return this.slots.filter((s) => s.busy).length;
  }

  /**
   * Decodes `body`; one decoded on a worker is transferred there (left empty here), unless it is a
   * view of a larger buffer, which is copied — or, with `whole`, transferred with that buffer.
   */
  decode(encoding: OtlpEncoding, body: Uint8Array, options?: PoolDecodeOptions, whole = false): Promise<DecodeResult> {
    if (this.opts.workers === 0 || body.byteLength < this.opts.inlineBelowBytes) {
      try {
        return Promise.resolve(decodeBody(encoding, body, options));
      } catch (err) {
        return Promise.reject(err);
      }
    }
    if (this.closed) return Promise.reject(new OverloadedError('payscope is shutting down', 5, 503));
    const idle = this.slots.length < this.opts.workers || this.slots.some((s) => !s.busy);
    if (!idle && this.queue.length >= this.opts.maxQueued) {
      return Promise.reject(new OverloadedError(`decode queue full (${this.opts.maxQueued} large requests waiting)`, 1));
    }
    return new Promise<DecodeResult>((resolve, reject) => {
      this.queue.push({ job: { id: this.nextId++, encoding, body: ownedBody(body, whole), options }, resolve, reject });
      this.dispatch();
    });
  }

  /** Stops the workers; bodies still queued are refused as at shutdown. */
  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) p.reject(new OverloadedError('payscope is shutting down', 5, 503));
    await Promise.all(this.slots.splice(0).map((s) => s.worker.terminate()));
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      let slot = this.slots.find((s) => !s.busy);
      if (!slot && this.slots.length < this.opts.workers) slot = this.spawn();
      if (!slot) return;
      const pending = this.queue.shift()!;
      slot.busy = pending;
      this.offloaded++;
      slot.worker.postMessage(pending.job, [pending.job.body.buffer as ArrayBuffer]);
    }
  }

  private spawn(): Slot {
    // execArgv []: the entry registers tsx itself (a worker inherits `--import tsx`, but that does
    // not make a .ts worker entry loadable), and flags of the parent's test runner stay out.
    const worker = new Worker(WORKER_ENTRY, { execArgv: [] });
    worker.unref();
    const slot: Slot = { worker };
    worker.on('message', (reply: DecodeReply) => {
      const pending = slot.busy;
      if (!pending || pending.job.id !== reply.id) return;
      slot.busy = undefined;
      if (reply.ok) {
        pending.resolve({
          rows: Buffer.from(reply.rows.buffer, reply.rows.byteOffset, reply.rows.byteLength),
          accepted: reply.accepted,
          rejected: reply.rejected,
          errorMessage: reply.errorMessage,
        });
      } else {
        pending.reject(reply.badInput ? new OtlpDecodeError(reply.message) : new Error(reply.message));
      }
      this.dispatch();
    });
    // A worker that dies (an exception outside decode, out of memory) fails its one request and
    // is replaced on the next dispatch.
    const failed = (err: Error) => {
      const i = this.slots.indexOf(slot);
      if (i < 0) return;
      this.slots.splice(i, 1);
      slot.busy?.reject(new Error(`decode worker failed: ${err.message}`));
      slot.busy = undefined;
      if (!this.closed) this.dispatch();
    };
    worker.on('error', failed);
    worker.on('exit', (code) => failed(new Error(`exited with code ${code}`)));
    this.slots.push(slot);
    return slot;
  }
}
