/**
 * Funnel math: which steps one flow reached, and when; and the per-step figures from the counts.
 *
 * A flow is every span sharing the flow key (payment.order_id by default), across traces: the
 * gateway callback arrives in a trace of its own, yet belongs to the same flow.
 *
 *   trace 1   order.create ─ payment.submit ─ gateway.request
 *   trace 2                                                      gateway.callback ─ order.confirm
 *   flow      ●──────────────●────────────────●─────────────────────●────────────────●
 *             t1             t2               t3                    t4               t5
 *
 * Matching, step by step:
 *   t1 = the earliest span matching step 1 inside the time range (the flow "enters" the funnel then);
 *   tk = the earliest span matching step k at or after t(k-1), and no later than t1 + window;
 *   a step not found ends the flow's progress: later steps count as not reached, even if present.
 *
 *   step 1  ●                         ●            (second occurrence ignored)
 *   step 2        ●                                → t2
 *   step 3  ○ (before t2: ignored)        ●        → t3
 *
 * Per step: reached (flows), conversion = reached / reached(step 1), drop-off = 1 - reached /
 * reached(previous step), and the time from the previous step (p50/p95/p99 over the flows reaching it).
 */

export interface FunnelStepDef {
  /** Display name; defaults to the stage or span name. */
  name: string;
  /** Matches spans whose payment.stage equals this. */
  stage?: string;
  /** Matches spans of this service (with spanName/attributes when given). */
  service?: string;
  spanName?: string;
  /** Span attributes that must all equal these values. */
  attributes?: Record<string, string>;
}

export interface FunnelDefinition {
  name: string;
  steps: FunnelStepDef[];
  /** The span attribute joining a flow's spans across traces. @default 'payment.order_id' */
  flowKey: string;
  /** How long after step 1 later steps still count, seconds. @default 3600 */
  windowSec: number;
}

export const DEFAULT_FLOW_KEY = 'payment.order_id';
export const DEFAULT_WINDOW_SEC = 3600;

export const DEFAULT_CHECKOUT_FUNNEL: FunnelDefinition = Object.freeze({
  name: 'Checkout',
  flowKey: DEFAULT_FLOW_KEY,
  windowSec: DEFAULT_WINDOW_SEC,
  steps: ['order.create', 'payment.submit', 'gateway.request', 'gateway.callback', 'order.confirm'].map((stage) => ({ name: stage, stage })),
}) as FunnelDefinition;

/** The span fields step matching looks at. */
export interface FunnelSpan {
  service: string;
  name: string;
  attributes: Record<string, string>;
}

/** Whether a span matches a step (every given criterion must hold; a step with none matches nothing). */
export function stepMatches(step: FunnelStepDef, span: FunnelSpan): boolean {
  let any = false;
  if (step.stage !== undefined) {
    any = true;
    if ((span.attributes['payment.stage'] ?? '') !== step.stage) return false;
  }
  if (step.service !== undefined) {
    any = true;
    if (span.service !== step.service) return false;
  }
  if (step.spanName !== undefined) {
    any = true;
    if (span.name !== step.spanName) return false;
  }
  for (const [k, v] of Object.entries(step.attributes ?? {})) {
    any = true;
    if ((span.attributes[k] ?? '') !== v) return false;
  }
  return any;
}

/**
 * The time each step was reached by one flow (null = not reached), from the flow's events: each
 * event has a time and the set of steps it matches. `inRange` says whether a time may start the flow.
 */
export function matchFlowSteps(
  events: readonly { time: number; steps: readonly number[] }[],
  stepCount: number,
  window: number,
  inRange: (time: number) => boolean,
): (number | null)[] {
  const times: (number | null)[] = new Array(stepCount).fill(null);
  const byStep: number[][] = Array.from({ length: stepCount }, () => []);
  for (const e of events) for (const k of e.steps) byStep[k].push(e.time);
  for (const list of byStep) list.sort((a, b) => a - b);
  const first = byStep[0]?.find(inRange);
  if (first === undefined) return times;
  times[0] = first;
  for (let k = 1; k < stepCount; k++) {
    const prev = times[k - 1]!;
    const t = byStep[k].find((x) => x >= prev && x <= first + window);
    if (t === undefined) break;
    times[k] = t;
  }
  return times;
}

export interface FunnelStepResult {
  name: string;
  reached: number;
  /** reached / reached at step 1 (1 for step 1; 0 when nothing entered). */
  conversion: number;
  /** 1 - reached / reached at the previous step (0 for step 1). */
  dropOff: number;
  /** Time from the previous step, ms (null for step 1 or when no flow reached the step). */
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
}

/** Conversion and drop-off from the reached counts; the time quantiles are passed through. */
export function funnelStepResults(
  names: readonly string[],
  reached: readonly number[],
  waitMs: readonly { p50: number | null; p95: number | null; p99: number | null }[],
): FunnelStepResult[] {
  return names.map((name, k) => {
    const r = reached[k] ?? 0;
    const first = reached[0] ?? 0;
    const prev = k === 0 ? r : reached[k - 1] ?? 0;
    const w = k === 0 || r === 0 ? { p50: null, p95: null, p99: null } : waitMs[k] ?? { p50: null, p95: null, p99: null };
    return {
      name,
      reached: r,
      conversion: k === 0 ? (r > 0 ? 1 : 0) : first > 0 ? r / first : 0,
      dropOff: k === 0 || prev === 0 ? 0 : 1 - r / prev,
      p50Ms: w.p50,
      p95Ms: w.p95,
      p99Ms: w.p99,
    };
  });
}
