import { afterEach, describe, expect, it } from 'vitest';
import { GroupCommit, MAX_WAIT_FACTOR, type PendingRequest } from './group-commit';

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
    now += 20 * MAX_WAIT_FACTOR - 21;
    expect(g.ready(true)).toBe(false);
    now += 1;
    expect(g.ready(true)).toBe(true);
  });

  it('while requests keep coming after an insert, keeps gathering, up to MAX_WAIT_FACTOR times batchWaitMs', () => {
    let now = 1000;
    g = new GroupCommit({ batchMaxBytes: 1 << 20, batchMinBytes: 1 << 20, batchWaitMs: 20 }, () => {}, () => now);
    g.slotFreed();
    // One request every 4 ms (the clients the insert's acknowledgements released).
    for (; now < 1000 + 20 * MAX_WAIT_FACTOR; now += 4) {
      g.add(Buffer.alloc(10), request(10));
      expect(g.ready()).toBe(false);
    }
    expect(g.ready()).toBe(true);
    expect(g.requests).toBe(20);
  });

  it('seals once the requests pause for a quarter of batchWaitMs after it has waited batchWaitMs', () => {
    let now = 1000;
    g = new GroupCommit({ batchMaxBytes: 1 << 20, batchMinBytes: 1 << 20, batchWaitMs: 20 }, () => {}, () => now);
    g.slotFreed();
    for (let i = 0; i < 8; i++, now += 3) g.add(Buffer.alloc(10), request(10));
    now = 1000 + 21 + 3; // the last came at 1021
    expect(g.ready()).toBe(false);
    now = 1021 + 5;
    expect(g.ready()).toBe(true);
  });
});
