import type { ErrorClass } from '../model/catalog';
import type { TxAnomaly } from '../model/payment';
import type { OrderLists, Scenario, ScenarioName } from '../model/scenarios';

/**
 * How the seeder applies a scenario to history: inside a time window (by default the last two hours
 * of the seeded range, so the dashboard's default last-hour view shows it against a clean
 * baseline), and the ground truth it records.
 */

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
export interface GroundTruth extends OrderLists {
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
  /**
   * Payments that failed at the gateway, by the class of their last failure (an asynchronous decline
   * is `decline`): count, and amount per currency (major units). A payment that took money is never
   * failed; risk rejections, out of stock and aborted transactions are not gateway failures.
   */
  failedByClass: Record<ErrorClass, { count: number; amount: Record<string, number> }>;
  /** Failed gateway calls (every attempt), by gateway and class. */
  gatewayErrors: Record<string, Partial<Record<ErrorClass, number>>>;
  /** Orders with more than one successful charge fulfilled; `amount` is the order's. */
  doubleCharges: { orderId: string; gateways: string[]; charges: number; amount: string; currency: string }[];
  /** Orders with more than one gateway call; recovered: the last call was accepted. */
  retryChains: {
    orderId: string; amount: string; currency: string; recovered: boolean;
    attempts: { attempt: number; gateway: string; outcome: 'accepted' | 'failed'; errorClass: ErrorClass | null; errorCode: string; traceId: string }[];
  }[];
  /** One row per transaction, branch and kind; `at`: epoch ms of the span that shows it (the try, for unfinished); injected: by the scenario. */
  txAnomalies: { txId: string; branch: string; kind: TxAnomaly; orderId: string; at: number; injected: boolean }[];
  /** Transactions rolled back cleanly (no anomaly). */
  cleanRollbacks: { txId: string; orderId: string }[];
  /** Look-alikes of a double charge: a success in the gateway's answer repeated by its callback (one charge). */
  syncAndCallbackOrders: string[];
  /** The attribute the scenario makes fail more often (issuer-skew), else null. */
  skew: { key: string; value: string } | null;
}
