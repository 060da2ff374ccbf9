import { describe, expect, it } from 'vitest';
import { JobRunner, type ScheduledJob } from './runner';
import { SingleInstanceLease, type Lease } from './lease';

/** The job runner: services with the process, schedules that never overlap, the lease for cluster jobs. */

const quiet = () => {};
const until = async (cond: () => boolean) => { while (!cond()) await new Promise((r) => setTimeout(r, 2)); };

describe('JobRunner services', () => {
  it('starts services in order and stops them in reverse', async () => {
    const events: string[] = [];
    const runner = new JobRunner({ lease: new SingleInstanceLease(), log: quiet });
    for (const name of ['store-writer', 'decoder']) {
      runner.service({ name, start: async () => { events.push(`start ${name}`); }, stop: async () => { events.push(`stop ${name}`); } });
    }
    await runner.start();
    await runner.stop();
    await runner.stop();
    expect(events).toEqual(['start store-writer', 'start decoder', 'stop decoder', 'stop store-writer']);
  });

  it('when a service fails to start, stops those already started and throws its error', async () => {
    const events: string[] = [];
    const runner = new JobRunner({ lease: new SingleInstanceLease(), log: quiet });
    runner.service({ name: 'a', start: async () => { events.push('start a'); }, stop: async () => { events.push('stop a'); } });
    runner.service({ name: 'b', start: async () => { throw new Error('spool not writable'); }, stop: async () => { events.push('stop b'); } });
    await expect(runner.start()).rejects.toThrow('spool not writable');
    expect(events).toEqual(['start a', 'stop a']);
  });
});

describe('JobRunner schedules', () => {
  it('runs a job again and again, never two runs at once; a failed run is logged and the schedule goes on', async () => {
    const logs: string[] = [];
    const runner = new JobRunner({ lease: new SingleInstanceLease(), log: (l) => logs.push(l) });
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    runner.schedule({
      name: 'evaluate', everyMs: 1, scope: 'instance',
      async run() {
        active++;
        maxActive = Math.max(maxActive, active);
        runs++;
        await new Promise((r) => setTimeout(r, 5));
        active--;
        if (runs === 2) throw new Error('rule table missing');
      },
    });
    await runner.start();
    await until(() => runs >= 5);
    await runner.stop();
    expect(maxActive).toBe(1);
    const [stats] = runner.stats();
    expect(stats.runs).toBe(runs);
    expect(stats.failures).toBe(1);
    expect(stats.lastError).toBe('rule table missing');
    expect(logs).toEqual(['jobs: evaluate failed: rule table missing']);
  });

  it('stop() aborts the run in progress, waits for it, and no run starts after', async () => {
    const runner = new JobRunner({ lease: new SingleInstanceLease(), log: quiet });
    let runs = 0;
    let sawAbort = false;
    let finished = false;
    runner.schedule({
      name: 'long', everyMs: 1, scope: 'instance',
      async run(signal) {
        runs++;
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
        sawAbort = signal.aborted;
        finished = true;
      },
    });
    await runner.start();
    await until(() => runs === 1);
    await runner.stop();
    expect(sawAbort).toBe(true);
    expect(finished).toBe(true);
    await new Promise((r) => setTimeout(r, 20));
    expect(runs).toBe(1);
  });

  it('runs a cluster job only where the lease is held; an instance job everywhere', async () => {
    const asked: string[] = [];
    let released = 0;
    const notLeader: Lease = { holds: async (job) => { asked.push(job); return false; }, release: async () => { released++; } };
    const runner = new JobRunner({ lease: notLeader, log: quiet });
    const counts = { cluster: 0, instance: 0 };
    const job = (scope: ScheduledJob['scope']): ScheduledJob => ({ name: `${scope}-job`, everyMs: 1, scope, run: async () => { counts[scope]++; } });
    runner.schedule(job('cluster'));
    runner.schedule(job('instance'));
    await runner.start();
    await until(() => counts.instance >= 3 && runner.stats()[0].skipped >= 3);
    await runner.stop();
    expect(counts.cluster).toBe(0);
    expect(new Set(asked)).toEqual(new Set(['cluster-job']));
    expect(released).toBe(1);
  });
});
