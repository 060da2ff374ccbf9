/**
 * Stage latency: how long each payment stage takes, and how long the payment waited before it.
 *
 * The stage spans of one flow, ordered by start. The wait before a stage is the time since the
 * previous stage ended, or, when the previous stage is still running (it encloses this one), since
 * it began. The first stage of a flow has no wait.
 *
 *   order.create     |======|                            first: no wait
 *   risk.check                 |===|                      wait = gap after order.create
 *   payment.submit                   |=============|      wait = gap after risk.check
 *   gateway.request                     |=======|         wait = since payment.submit began (nested)
 *   gateway.callback                                 ... |==|   wait = the callback delay (new trace)
 *
 * Negative values (clock skew between services) count as zero.
 */

export interface StageEvent {
  stage: string;
  start: number;
  duration: number;
  /** Tie-breaker for equal start times, so the order is the same as in SQL. */
  spanId: string;
}

/** The wait before each event of one flow, in the flow's start order (null for the first). */
export function stageWaits(events: readonly StageEvent[]): { event: StageEvent; wait: number | null }[] {
  const sorted = [...events].sort((a, b) => a.start - b.start || (a.spanId < b.spanId ? -1 : a.spanId > b.spanId ? 1 : 0));
  return sorted.map((event, i) => {
    if (i === 0) return { event, wait: null };
    const prev = sorted[i - 1];
    const prevEnd = prev.start + prev.duration;
    const since = prevEnd <= event.start ? prevEnd : prev.start;
    return { event, wait: Math.max(0, event.start - since) };
  });
}

/** Stages in the order of the default checkout flow, then any others alphabetically. */
export const STAGE_ORDER = ['order.create', 'inventory.reserve', 'risk.check', 'payment.submit', 'gateway.request', 'gateway.callback', 'order.confirm'];

export function compareStages(a: string, b: string): number {
  const ia = STAGE_ORDER.indexOf(a);
  const ib = STAGE_ORDER.indexOf(b);
  if (ia !== -1 || ib !== -1) return (ia === -1 ? Infinity : ia) - (ib === -1 ? Infinity : ib) || (a < b ? -1 : a > b ? 1 : 0);
  return a < b ? -1 : a > b ? 1 : 0;
}
