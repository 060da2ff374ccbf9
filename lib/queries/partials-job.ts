import type { Store } from '../store/store';
import { computePartials, type ComputePartialsResult } from './partials';
// Every module that registers a partial kind, so the job sees them all: add yours here.
import './funnel';
import './stage-latency';
import './hops';
import './payments-rollup';
import './stuck';

/** The hours the `partials` job computes per run (its interval: PAYSCOPE_PARTIALS_INTERVAL_SEC, lib/config.ts). */
export const PARTIALS_HOURS_PER_RUN = 24;

/**
 * One run of the `partials` job (docs/jobs.md): missing and stale hourly partials of every kind,
 * newest first and the kinds in turns, over the retention (30 days when spans are kept forever).
 */
export function runPartialsJob(store: Store, retentionDays: number, settleSec: number, signal: AbortSignal): Promise<ComputePartialsResult> {
  return computePartials(store, { signal, maxHours: PARTIALS_HOURS_PER_RUN, horizonHours: (retentionDays > 0 ? retentionDays : 30) * 24, settleMs: settleSec * 1000 });
}
