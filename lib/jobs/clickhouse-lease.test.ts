import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../clickhouse/migrate';
import { openTempStore } from '../../test/helpers/store';
import type { Store } from '../store/store';
import { ClickHouseLease } from './clickhouse-lease';
import { JobRunner } from './runner';

/**
 * The ClickHouse-backed lease: several payscope instances (here: leases and job runners with their
 * own instance ids) against one store run a cluster job once, hand it over when the holder stops,
 * and take it over when the holder dies. Time is given to the leases explicitly.
 */

let store: Store;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ store, cleanup } = await openTempStore());
  await migrate(store, { retentionDays: 30 });
});
afterAll(async () => cleanup?.());

describe('ClickHouseLease', () => {
  it('one holder among the live instances: the lowest id; handed over at release; taken over after a death', async () => {
    // Near the present: heartbeats older than the table's TTL are dropped as they are written.
    let now = Date.now();
    const clock = () => now;
    const a = new ClickHouseLease(store, { instance: 'a-1', heartbeatMs: 5000, ttlMs: 15_000, now: clock });
    const b = new ClickHouseLease(store, { instance: 'b-1', heartbeatMs: 5000, ttlMs: 15_000, now: clock });
    const c = new ClickHouseLease(store, { instance: 'c-1', heartbeatMs: 5000, ttlMs: 15_000, now: clock });
    const holders = async (job = 'alert-evaluation') => {
      const held = [];
      for (const l of [a, b, c]) if (await l.holds(job)) held.push(l.instance);
      return held;
    };
    // b and c ask before a has written a heartbeat: a sees itself and both others.
    expect(await holders()).toEqual(['a-1']);
    now += 5000;
    expect(await holders()).toEqual(['a-1']);
    // Another job has its own holder (every instance beats for it too).
    expect(await holders('other-job')).toEqual(['a-1']);

    // a stops: its heartbeats go, b holds from its next check.
    await a.release();
    now += 5000;
    expect(await holders()).toEqual(['b-1']);

    // b dies without a word (no more heartbeats): c takes over once b's last heartbeat is older than the ttl.
    const dead = b;
    const alive = async () => ((await c.holds('alert-evaluation')) ? ['c-1'] : []);
    now += 5000;
    expect(await alive()).toEqual([]);
    now += 5000;
    expect(await alive()).toEqual([]);
    now += 5001;
    expect(await alive()).toEqual(['c-1']);
    expect(dead.instance).toBe('b-1');
  });

  it('two job runners against one store: the cluster job runs on one instance only', async () => {
    const runs: string[] = [];
    const runners = ['x-1', 'x-2'].map((id) => {
      const runner = new JobRunner({ lease: new ClickHouseLease(store, { instance: id, heartbeatMs: 50, ttlMs: 60_000 }), log: () => {} });
      runner.schedule({ name: 'count', everyMs: 1, scope: 'cluster', run: async () => { runs.push(id); } });
      return runner;
    });
    await Promise.all(runners.map((r) => r.start()));
    while (runs.length < 20 || runners[1].stats()[0].skipped < 5) await new Promise((r) => setTimeout(r, 5));
    await Promise.all(runners.map((r) => r.stop()));
    expect(new Set(runs)).toEqual(new Set(['x-1']));
    expect(runners[1].stats()[0].runs).toBe(0);
  });
});
