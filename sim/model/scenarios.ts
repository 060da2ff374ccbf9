import type { Gateway } from './catalog';

/**
 * Fault scenarios: what each one changes in the payment flow (sim/model/payment.ts). The seeder
 * applies one inside a window of its history (sim/seed/scenarios.ts), the live platform from the
 * moment it is switched on.
 */
export type ScenarioName =
  | 'baseline' | 'gateway-degraded' | 'lost-callbacks' | 'slow-db' | 'timeout-misconfig'
  | 'decline-wave' | 'gateway-failover' | 'double-charge' | 'tx-anomalies' | 'issuer-skew';

export interface Scenario {
  name: ScenarioName;
  description: string;
  /** What the scenario targets (gateway, service, caller, card issuer). */
  target: { gateway?: Gateway; service?: string; caller?: string; issuer?: string };
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
  /** Decline-wave: extra payer declines on the target gateway; issuer-skew: on the target issuer's cards. */
  extraDeclineRate?: number;
  /** Gateway-failover: the target's requests that hang (an outage: never processed); each is retried on the fallback gateway. */
  outageRate?: number;
  /** Double-charge: the target's requests answered after the caller gave up, though processed; each is retried. */
  slowProcessedRate?: number;
  /** Tx-anomalies: of the payments with a distributed transaction, the share given each anomaly kind. */
  txAnomalyRate?: number;
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
  'decline-wave': {
    name: 'decline-wave',
    description: 'stripe: 30% more payer declines (insufficient funds, do not honor): acceptance falls, the gateway itself is healthy',
    target: { gateway: 'stripe' },
    extraDeclineRate: 0.3,
  },
  'gateway-failover': {
    name: 'gateway-failover',
    description: 'stripe: 30% of requests hang unprocessed until the caller times out; each is retried on adyen',
    target: { gateway: 'stripe' },
    outageRate: 0.3,
  },
  'double-charge': {
    name: 'double-charge',
    description: 'stripe: 25% of requests answer after the caller timed out although stripe charged; the retry charges again',
    target: { gateway: 'stripe' },
    slowProcessedRate: 0.25,
  },
  'tx-anomalies': {
    name: 'tx-anomalies',
    description: 'distributed transactions: 12% of them each get an empty rollback, a hanging try, an unfinished try, a mixed outcome or a failed compensation',
    target: { service: 'account' },
    txAnomalyRate: 0.12,
  },
  'issuer-skew': {
    name: 'issuer-skew',
    description: 'cards issued by Capital One: 45% more declines (do_not_honor), other issuers unchanged',
    target: { gateway: 'stripe', issuer: 'Capital One' },
    extraDeclineRate: 0.45,
  },
};

export const SCENARIO_NAMES = Object.keys(SCENARIOS) as ScenarioName[];

/**
 * The orders a run's ground truth lists, the same for the seeder's whole range (sim/seed/scenarios.ts)
 * and each scenario period of the live platform (sim/platform/ground-truth.ts).
 */
export interface OrderLists {
  /** Orders the scenario's fault touched (e.g. routed to the degraded gateway inside the window). */
  affectedOrders: string[];
  /** Orders whose gateway request failed or timed out because of the injected fault. */
  failedOrders: string[];
  lostCallbackOrders: string[];
  duplicateCallbackOrders: string[];
  lateCallbackOrders: string[];
  /** Callbacks due but not delivered: after the end of the seeded range, or when the run stopped. */
  pendingCallbackOrders: string[];
  timeoutOrders: string[];
  inconsistentOrders: string[];
}
