import type { Lease } from './lease';

/**
 * The one place for background work in a payscope process (docs/jobs.md). Two kinds of job:
 * - a service runs for the life of the process (the ingest writer): started in registration order
 *   with the process, stopped in reverse order with it;
 * - a scheduled job runs every `everyMs`, never overlapping itself: the next run is timed from the
 *   end of the previous one. `scope: 'cluster'` runs only where the lease says this instance holds
 *   the job (once across instances sharing a store); `scope: 'instance'` runs on every instance.
 * A failed run is logged and counted; the schedule goes on.
 */

export interface ServiceJob {
  name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface ScheduledJob {
  name: string;
  /** Milliseconds from the end of one run to the start of the next (and from start to the first). */
  everyMs: number;
  scope: 'cluster' | 'instance';
  /** `signal` aborts when the process stops; a run should return soon after. */
  run(signal: AbortSignal): Promise<void>;
}

export interface ScheduledJobStats {
  name: string;
  runs: number;
  failures: number;
  /** Runs left out because another instance holds the job's lease. */
  skipped: number;
  lastError?: string;
}

interface Schedule {
  job: ScheduledJob;
  stats: ScheduledJobStats;
  timer?: NodeJS.Timeout;
  running?: Promise<void>;
}

export class JobRunner {
  private readonly services: ServiceJob[] = [];
  private readonly schedules: Schedule[] = [];
  private started: ServiceJob[] = [];
  private state: 'new' | 'running' | 'stopped' = 'new';
  private readonly abort = new AbortController();

  constructor(private readonly opts: { lease: Lease; log: (line: string) => void }) {}

  /** Registers a service, started by `start()`. */
  service(job: ServiceJob): void {
    if (this.state !== 'new') throw new Error(`job ${job.name}: register services before start()`);
    this.services.push(job);
  }

  /** Registers a scheduled job; its first run comes `everyMs` after `start()` (or now, if started). */
  schedule(job: ScheduledJob): void {
    if (this.state === 'stopped') throw new Error(`job ${job.name}: the runner is stopped`);
    if (!(job.everyMs > 0)) throw new Error(`job ${job.name}: everyMs must be > 0`);
    const s: Schedule = { job, stats: { name: job.name, runs: 0, failures: 0, skipped: 0 } };
    this.schedules.push(s);
    if (this.state === 'running') this.arm(s);
  }

  /** Starts the services in order (if one fails, stops those started and throws), then the schedules. */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error('the job runner starts once');
    this.state = 'running';
    for (const job of this.services) {
      try {
        await job.start();
      } catch (err) {
        await this.stop();
        throw err;
      }
      this.started.push(job);
    }
    for (const s of this.schedules) this.arm(s);
  }

  /** Stops the schedules (aborting and awaiting runs in progress), then the services in reverse order. */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    this.abort.abort();
    for (const s of this.schedules) clearTimeout(s.timer);
    await Promise.all(this.schedules.map((s) => s.running));
    await this.opts.lease.release().catch((err) => this.opts.log(`jobs: releasing the lease: ${(err as Error).message}`));
    for (const job of this.started.reverse()) {
      await job.stop().catch((err) => this.opts.log(`jobs: stopping ${job.name}: ${(err as Error).message}`));
    }
    this.started = [];
  }

  stats(): ScheduledJobStats[] {
    return this.schedules.map((s) => ({ ...s.stats }));
  }

  private arm(s: Schedule): void {
    s.timer = setTimeout(() => {
      s.timer = undefined;
      s.running = this.runOnce(s).finally(() => {
        s.running = undefined;
        if (this.state === 'running') this.arm(s);
      });
    }, s.job.everyMs);
    // The listeners keep the process alive, not a schedule.
    s.timer.unref();
  }

  private async runOnce(s: Schedule): Promise<void> {
    try {
      if (s.job.scope === 'cluster' && !(await this.opts.lease.holds(s.job.name))) {
        s.stats.skipped++;
        return;
      }
      if (this.state !== 'running') return;
      s.stats.runs++;
      await s.job.run(this.abort.signal);
    } catch (err) {
      s.stats.failures++;
      s.stats.lastError = (err as Error)?.message ?? String(err);
      this.opts.log(`jobs: ${s.job.name} failed: ${s.stats.lastError}`);
    }
  }
}
