import crypto from 'node:crypto';
import os from 'node:os';
import { sql } from '../store/sql';
import type { Store } from '../store/store';
import type { Lease } from './lease';

/**
 * The lease of payscope instances sharing one ClickHouse (docs/jobs.md): each instance writes a
 * heartbeat per cluster job into `payscope_instances`; the holder of a job is the lowest instance id
 * with a heartbeat in the last `ttlMs`. ClickHouse has no compare-and-set, but every instance reads
 * the same live set and so picks the same holder, with no write race. An instance that stops
 * deletes its heartbeats (the next one takes over at its next check); one that dies drops out after
 * `ttlMs`. For up to `ttlMs` (a split, a lagging replica) two instances may both hold a job: cluster
 * jobs are written to be harmless when doubled.
 */
export class ClickHouseLease implements Lease {
  readonly instance: string;
  private readonly ttlMs: number;
  private readonly heartbeatMs: number;
  private readonly now: () => number;
  /** Per job: when this instance last wrote its heartbeat, and the holder read then. */
  private readonly jobs = new Map<string, { beatAt: number; holder: string | null }>();
  private released = false;

  constructor(private readonly store: Store, opts: { instance?: string; heartbeatMs?: number; ttlMs?: number; now?: () => number } = {}) {
    this.instance = opts.instance ?? `${os.hostname()}-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
    this.heartbeatMs = opts.heartbeatMs ?? 5_000;
    this.ttlMs = opts.ttlMs ?? 3 * this.heartbeatMs;
    this.now = opts.now ?? Date.now;
    if (!(this.ttlMs > this.heartbeatMs)) throw new Error('lease: ttlMs must be longer than heartbeatMs');
  }

  /**
   * Writes this instance's heartbeat for `job` (at most once per heartbeat) and reads the holder;
   * both are reused until the next heartbeat is due, so asking often costs nothing.
   */
  async holds(job: string): Promise<boolean> {
    if (this.released) return false;
    const now = this.now();
    const known = this.jobs.get(job);
    if (known && now - known.beatAt < this.heartbeatMs) return known.holder === this.instance;
    await this.store.command(sql`INSERT INTO payscope_instances (Instance, Job, Seen) VALUES (${this.instance}, ${job}, fromUnixTimestamp64Milli(toInt64(${now})))`);
    const rows = await this.store.query<{ holder: string }>(sql`
      SELECT min(Instance) AS holder FROM (
        SELECT Instance, max(Seen) AS seen FROM payscope_instances WHERE Job = ${job} GROUP BY Instance)
      WHERE seen > fromUnixTimestamp64Milli(toInt64(${now - this.ttlMs}))`);
    const holder = rows[0]?.holder || null;
    this.jobs.set(job, { beatAt: now, holder });
    return holder === this.instance;
  }

  /** Deletes this instance's heartbeats, so the next instance takes over at its next check. */
  async release(): Promise<void> {
    this.released = true;
    if (!this.jobs.size) return;
    await this.store.command(sql`DELETE FROM payscope_instances WHERE Instance = ${this.instance}`);
  }
}
