import { afterEach, describe, expect, it } from 'vitest';
import { DECODING_WAIT_FACTOR, GroupCommit, type PendingRequest } from './group-commit';

/** The batch rules on a clock the test moves; the timer is cleared by take() in each test. */
const request = (bytes: number): PendingRequest => ({ resolve() {}, reject() {}, bytes, spans: 1 });

describe('group commit', () => {
  let g: GroupCommit;
  afterEach(() => g.take());

  it('after an insert, waits batchWaitMs for the requests its acknowledgements bring, unless the batch is already worth it', () => {
    let now = 1000;
    g = new GroupCommit({ batchMaxBytes: 1 << 20, batchMinBytes: 1000, batchWaitMs: 20 }, () => {}, () => now);
    // A request arrives while an insert runs; the insert ends 300 ms later.
    g.add(Buffer.alloc(100), request(100));
    now += 300;
    g.slotFreed();
    expect(g.ready()).toBe(false);
    now += 19;
    expect(g.ready()).toBe(false);
    now += 1;
    expect(g.ready()).toBe(true);
    // Enough bytes: sealed at once, however recently the slot freed.
    g.slotFreed();
    g.add(Buffer.alloc(900), request(900));
    expect(g.ready()).toBe(true);
  });

  it('at low load a request waits at most batchWaitMs from its arrival', () => {
    let now = 1000;
    g = new GroupCommit({ batchMaxBytes: 1 << 20, batchMinBytes: 1000, batchWaitMs: 20 }, () => {}, () => now);
    g.slotFreed();
    now += 5000;
    g.add(Buffer.alloc(100), request(100));
    expect(g.ready()).toBe(false);
    now += 20;
    expect(g.ready()).toBe(true);
  });

  it('waits longer, but boundedly, while request bodies are still being decoded', () => {
    let now = 1000;
    g = new GroupCommit({ batchMaxBytes: 1 << 20, batchMinBytes: 1000, batchWaitMs: 20 }, () => {}, () => now);
    g.add(Buffer.alloc(100), request(100));
    now += 20;
    expect(g.ready(true)).toBe(false);
    expect(g.ready(false)).toBe(true);
    now += 20 * DECODING_WAIT_FACTOR - 21;
    expect(g.ready(true)).toBe(false);
    now += 1;
    expect(g.ready(true)).toBe(true);
  });
});
