/**
 * Which span start times payscope stores. A span's start time picks its day partition, so a request
 * from a client with a wrong clock can spread over any number of days; spans older than retention
 * would be deleted on arrival anyway.
 */

const DAY_MS = 86_400_000;

/** Span start times accepted, relative to the moment of decoding. */
export interface StartTimeWindow {
  /** Oldest accepted start, this long before now; 0 = no limit (retention 0 keeps spans forever). */
  maxAgeMs: number;
  /** Latest accepted start, this long after now (clock skew). */
  maxAheadMs: number;
  /** "Now" for the check, ms since the epoch. @default Date.now() at decode */
  nowMs?: number;
}

/** payscope's rule: within retention into the past (none when retention is 0), one day into the future. */
export function startTimeWindow(retentionDays: number): StartTimeWindow {
  return { maxAgeMs: retentionDays * DAY_MS, maxAheadMs: DAY_MS };
}

function span(ms: number): string {
  return ms % DAY_MS === 0 ? `${ms / DAY_MS} day${ms === DAY_MS ? '' : 's'}` : `${ms} ms`;
}

/** One decode's bounds, in nanoseconds as doubles (sub-microsecond rounding is irrelevant at day scale). */
export class StartTimeCheck {
  private readonly minNs: number;
  private readonly maxNs: number;

  constructor(private readonly w: StartTimeWindow) {
    const now = w.nowMs ?? Date.now();
    this.minNs = w.maxAgeMs > 0 ? (now - w.maxAgeMs) * 1e6 : -Infinity;
    this.maxNs = (now + w.maxAheadMs) * 1e6;
  }

  /** '' when a span starting at `hi * 2^32 + lo` ns is accepted, else why not (partial success). */
  reason(lo: number, hi: number): string {
    const ns = hi * 4294967296 + lo;
    if (ns < this.minNs) return `start time ${iso(ns)} is older than ${span(this.w.maxAgeMs)} (retention)`;
    if (ns > this.maxNs) return `start time ${iso(ns)} is more than ${span(this.w.maxAheadMs)} in the future`;
    return '';
  }
}

function iso(ns: number): string {
  return new Date(Math.floor(ns / 1e6)).toISOString();
}
