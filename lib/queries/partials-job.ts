import type { Store } from '../store/store';
import { computePartials, type ComputePartialsResult } from './partials';
// Every module that registers a partial kind, so the job sees them all: add yours here.
import './funnel';
import './stage-latency';
import './hops';
import './payments-rollup';
import './stuck';

/** How often the `partials` job runs (from the end of one run), and the hours it computes per run. */
export const PARTIALS_JOB_EVERY_MS = 30_000;
export const PARTIALS_HOURS_PER_RUN = 24;

/**
 * One run of the `partials` job (docs/jobs.md): missing and stale hourly partials of every kind,
 * newest first, over the retention (30 days when spans are kept forever).
 */
export function runPartialsJob(store: Store, retentionDays: number, signal: AbortSignal): Promise<ComputePartialsResult> {
  return computePartials(store, { signal, maxHours: PARTIALS_HOURS_PER_RUN, horizonHours: (retentionDays > 0 ? retentionDays : 30) * 24 });
}
