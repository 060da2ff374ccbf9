import { Backoff } from './insert-errors';

/**
 * Health: whether acknowledged spans are reaching the store. The store's state as the inserts see
 * it (up, or down since when and why, and when to try again), and the health report built from it.
 */

export interface PipelineHealth {
  /** `degraded` whenever acknowledged spans are not reaching the store, with the reasons. */
  status: 'ok' | 'degraded';
  reasons: string[];
}

export class StoreStatus {
  up = true;
  /** Why the last insert failed while the store is not taking inserts. */
  private error = '';
  private downSince = 0;
  private readonly backoff = new Backoff();

  /** An insert failed for the store's sake. Returns whether it just went down, and the delay before the next try. */
  failed(err: Error): { wentDown: boolean; retryInMs: number } {
    const wentDown = this.up;
    if (wentDown) this.downSince = Date.now();
    this.up = false;
    this.error = err.message;
    return { wentDown, retryInMs: this.backoff.next() };
  }

  /** An insert succeeded. Returns whether the store was down until now. */
  succeeded(): boolean {
    const wasDown = !this.up;
    this.up = true;
    this.error = '';
    this.backoff.reset();
    return wasDown;
  }

  /**
   * `degraded` whenever spans payscope acknowledged are not reaching the store: the store is not
   * taking inserts (they wait in the spool), or batches it rejected sit in the dead-letter folder.
   */
  health(waiting: { batches: number; bytes: number }, deadLetterBatches: number): PipelineHealth {
    const reasons: string[] = [];
    if (!this.up) {
      reasons.push(`store not taking inserts since ${new Date(this.downSince).toISOString()} (${this.error}); ` +
        `${waiting.batches} batch(es), ${waiting.bytes} bytes wait in the spool`);
    }
    if (deadLetterBatches > 0) {
      // No path here: health is open to anyone who can reach it; stats() and the log name the folder.
      reasons.push(`${deadLetterBatches} acknowledged batch(es) the store rejected are in the spool's dead-letter folder ` +
        '(see the log; move a file back into the spool directory to retry it at the next start)');
    }
    return { status: reasons.length > 0 ? 'degraded' : 'ok', reasons };
  }
}
