import type { Gateway } from './shape';

/**
 * Fault scenarios. Each one changes the platform's behaviour inside a time window (by default the
 * last two hours of the seeded range, so the dashboard's default last-hour view shows it against a
 * clean baseline) and records which orders it affected.
 */
export type ScenarioName = 'baseline' | 'gateway-degraded' | 'lost-callbacks' | 'slow-db' | 'timeout-misconfig';

export interface Scenario {
  name: ScenarioName;
  description: string;
  /** What the scenario targets (gateway, service, caller). */
  target: { gateway?: Gateway; service?: string; caller?: string };
  /** Gateway-degraded: extra synchronous error rate and latency multiplier on the target gateway. */
  extraErrorRate?: number;
  latencyFactor?: number;
  extraHangRate?: number;
  /** Lost-callbacks: share of the target gateway's callbacks that never arrive. */
  lostCallbackRate?: number;
  /** Slow-db: extra latency of the target service's database call, median ms / sigma. */
  dbExtraMedianMs?: number;
  dbExtraSigma?: number;
  /** Timeout-misconfig: the caller's timeout towards the gateway, ms (shorter than the gateway's p99). */
  callerTimeoutMs?: number;
}

export const SCENARIOS: Readonly<Record<ScenarioName, Scenario>> = {
  baseline: { name: 'baseline', description: 'normal traffic: a few declines, rare timeouts, rare lost or duplicate callbacks', target: {} },
  'gateway-degraded': {
    name: 'gateway-degraded',
    description: 'wechatpay degraded: 20% of requests fail with SYSTEM_ERROR, latency x4, 2% hang until the caller times out',
    target: { gateway: 'wechatpay' },
    extraErrorRate: 0.2,
    latencyFactor: 4,
    extraHangRate: 0.02,
  },
  'lost-callbacks': {
    name: 'lost-callbacks',
    description: 'paypal loses 35% of its payment callbacks (webhooks never arrive)',
    target: { gateway: 'paypal' },
    lostCallbackRate: 0.35,
  },
  'slow-db': {
    name: 'slow-db',
    description: "inventory's database call slows down by ~400 ms",
    target: { service: 'inventory' },
    dbExtraMedianMs: 400,
    dbExtraSigma: 0.35,
  },
  'timeout-misconfig': {
    name: 'timeout-misconfig',
    description: "adapter-card's timeout towards stripe is 700 ms, shorter than stripe's p99: slow requests time out although stripe completes them",
    target: { gateway: 'stripe', caller: 'adapter-card' },
    callerTimeoutMs: 700,
  },
};

export const SCENARIO_NAMES = Object.keys(SCENARIOS) as ScenarioName[];

/** The scenario window's length unless told otherwise: short next to the 24 h gateway baseline. */
export const DEFAULT_WINDOW_MS = 2 * 3_600_000;

/** The window a scenario is active in: the last `lengthMs` of [fromMs, toMs) (all of it when shorter). */
export function scenarioWindow(fromMs: number, toMs: number, lengthMs = DEFAULT_WINDOW_MS): { fromMs: number; toMs: number } {
  return { fromMs: Math.max(fromMs, toMs - lengthMs), toMs };
}

/**
 * What was injected and which orders it touched, plus the baseline's own anomalies (lost, duplicate
 * and late callbacks, timeouts, inconsistent payments) so analytics can be checked against them.
 */
export interface GroundTruth {
  scenario: ScenarioName;
  description: string;
  seed: string;
  from: string;
  to: string;
  window: { from: string; to: string };
  target: Scenario['target'];
  payments: number;
  traces: number;
  spans: number;
  /** Orders the scenario's fault touched (e.g. routed to the degraded gateway inside the window). */
  affectedOrders: string[];
  /** Orders whose gateway request failed or timed out because of the injected fault. */
  failedOrders: string[];
  lostCallbackOrders: string[];
  duplicateCallbackOrders: string[];
  lateCallbackOrders: string[];
  /** Callbacks due after the end of the range (still waiting when the range ends). */
  pendingCallbackOrders: string[];
  timeoutOrders: string[];
  inconsistentOrders: string[];
}
