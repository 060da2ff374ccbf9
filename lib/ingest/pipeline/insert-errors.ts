import { ClickHouseError } from '../../store/store';

/**
 * What a failed insert means, and how long to wait before trying the store again.
 *
 * ClickHouse errors are matched by name (`ClickHouseError.type`, e.g. `TABLE_IS_READ_ONLY`), and by
 * code where the client could not tell the name; both come from the table below, so a name and its
 * code cannot drift apart.
 */

export type InsertErrorKind = 'store' | 'suspect' | 'content';

/**
 * - `store`: the store is unwell (unreachable, overloaded, read-only, restarting): retry the same
 *   batch with backoff, everything behind it waits in the spool.
 * - `suspect`: may be the store, may be the batch (memory limit, timeout): retried a few times, then
 *   handled as content.
 * Any other engine error is `content`: this data cannot be inserted; retrying cannot help.
 */
const KNOWN: Record<string, { code: string; kind: Exclude<InsertErrorKind, 'content'> }> = {
  TOO_MANY_SIMULTANEOUS_QUERIES: { code: '202', kind: 'store' },
  NETWORK_ERROR: { code: '210', kind: 'store' },
  SOCKET_TIMEOUT: { code: '209', kind: 'store' },
  ALL_CONNECTION_TRIES_FAILED: { code: '279', kind: 'store' },
  TABLE_IS_READ_ONLY: { code: '242', kind: 'store' },
  ABORTED: { code: '236', kind: 'store' },
  SYSTEM_ERROR: { code: '425', kind: 'store' },
  TOO_MANY_PARTS: { code: '252', kind: 'store' },
  TIMEOUT_EXCEEDED: { code: '159', kind: 'suspect' },
  MEMORY_LIMIT_EXCEEDED: { code: '241', kind: 'suspect' },
};
const NAME_OF_CODE = new Map(Object.entries(KNOWN).map(([name, { code }]) => [code, name]));

/**
 * Failures of one batch with a `suspect` error before it is treated as a content error: split, then
 * dead-lettered.
 */
export const MAX_SUSPECT_FAILURES = 5;

export function classifyInsertError(err: unknown): InsertErrorKind {
  // The spool file is gone (streamed to a server): retrying cannot bring it back.
  if ((err as NodeJS.ErrnoException)?.code === 'ENOENT') return 'content';
  if (!(err instanceof ClickHouseError)) return 'store'; // StoreUnavailableError, network
  const name = err.type && KNOWN[err.type] ? err.type : NAME_OF_CODE.get(String(err.code));
  // TOO_MANY_PARTS (252) is also the error of "too many partitions for a single INSERT block": the
  // first is the store behind on merges, the second the batch's own spread of days.
  if (name === 'TOO_MANY_PARTS' && /partitions/i.test(err.message)) return 'content';
  return name ? KNOWN[name].kind : 'content';
}

/** Delay before the next try of a store that is not taking inserts: 250 ms doubling to 10 s. */
export class Backoff {
  private ms = 250;

  next(): number {
    const ms = this.ms;
    this.ms = Math.min(ms * 2, 10_000);
    return ms;
  }

  reset(): void {
    this.ms = 250;
  }
}
