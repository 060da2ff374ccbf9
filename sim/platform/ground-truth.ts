import fs from 'node:fs';
import path from 'node:path';
import type { OrderLists } from '../model/scenarios';
import type { Scenario, ScenarioName } from './scenarios';

/**
 * The ground truth of a run: what was injected, when, and which orders it touched. Services report
 * each fault the moment they apply it (and each anomaly the baseline produces), the traffic
 * generator reports each payment it started, and the platform appends every record as one JSON
 * line to `ground-truth.jsonl`. The same records, grouped by scenario period, are served by
 * `GET /ground-truth` on the control endpoint, with the seeder's field names (sim/seed/scenarios.ts).
 */

/** What happened to one order at one service. */
export type Effect =
  /** The scenario's fault applied to this order (routed through the degraded gateway, slowed database call, ...). */
  | 'affected'
  /** The gateway request failed or timed out because of the injected fault. */
  | 'failed-by-fault'
  /** The provider answered the request with an error code. */
  | 'provider-error'
  /** The provider kept the request open far past any sane timeout. */
  | 'hang'
  /** The adapter gave up waiting for the provider (a client-side timeout). */
  | 'timeout'
  /** A gateway call failed as its caller saw it (detail: gateway, errorClass): an error answer, its own timeout, a dropped connection. */
  | 'call-failed'
  /** The provider will never deliver the payment's callback. */
  | 'lost-callback'
  /** The callback is delivered minutes late. */
  | 'late-callback'
  /** The callback is delivered twice. */
  | 'duplicate-callback'
  /** The provider scheduled the payment's callback (detail.dueAt). */
  | 'callback-due'
  /** The provider delivered a callback (detail.attempt: 1, or 2 for the duplicate; detail.status). */
  | 'callback-sent'
  /** The provider declined the payment in its callback. */
  | 'declined'
  /** The payment made more than one gateway call (detail: attempts, last gateway, recovered). */
  | 'retried'
  /** A second successful charge of the order was fulfilled (detail: charges, gateway). */
  | 'double-charge'
  /** The payment's distributed transaction shows an anomaly (detail: txId, branch, kind). */
  | 'tx-anomaly'
  /** The payment succeeded but the order could not be confirmed. */
  | 'inconsistent'
  | 'risk-rejected'
  | 'out-of-stock';

export type Cause = 'scenario' | 'baseline';

export interface OrderRecord {
  type: 'order';
  at: string;
  period: number;
  scenario: ScenarioName;
  orderId: string;
  service: string;
  effect: Effect;
  cause: Cause;
  detail?: Record<string, unknown>;
}

export interface PaymentRecord {
  type: 'payment';
  at: string;
  period: number;
  orderId: string;
  channel: string;
  gateway: string;
  amount: string;
  currency: string;
  /** The checkout API's HTTP status: 202 accepted (pending), 403 risk rejected, 409 out of stock, 502 payment failed. */
  status: number;
}

export interface ScenarioRecord {
  type: 'scenario';
  at: string;
  period: number;
  name: ScenarioName;
  description: string;
  target: Scenario['target'];
  scenario: Scenario;
}

export interface RunRecord {
  type: 'run';
  at: string;
  options: Record<string, unknown>;
}

export type TruthRecord = OrderRecord | PaymentRecord | ScenarioRecord | RunRecord;

/** One scenario period, summarized (the seeder's `GroundTruth` fields, plus the period's bounds). */
export interface PeriodTruth extends OrderLists {
  period: number;
  scenario: ScenarioName;
  description: string;
  target: Scenario['target'];
  parameters: Scenario;
  from: string;
  /** null while the period is the current one. */
  to: string | null;
  payments: number;
  paymentsByChannel: Record<string, number>;
  declinedOrders: string[];
  providerErrorOrders: string[];
  retriedOrders: string[];
  doubleChargedOrders: string[];
  /** One row per transaction, branch and kind. */
  txAnomalies: { txId: string; branch: string; kind: string; orderId: string }[];
  /** Failed gateway calls by gateway and class (`decline`, `fraud`, `invalid_request`, `provider_error`, `timeout`, `network`). */
  gatewayErrors: Record<string, Record<string, number>>;
}

const EFFECT_FIELD: Partial<Record<Effect, keyof PeriodTruth>> = {
  affected: 'affectedOrders',
  'failed-by-fault': 'failedOrders',
  'lost-callback': 'lostCallbackOrders',
  'duplicate-callback': 'duplicateCallbackOrders',
  'late-callback': 'lateCallbackOrders',
  timeout: 'timeoutOrders',
  inconsistent: 'inconsistentOrders',
  declined: 'declinedOrders',
  'provider-error': 'providerErrorOrders',
  retried: 'retriedOrders',
  'double-charge': 'doubleChargedOrders',
};

interface PeriodState {
  record: ScenarioRecord;
  to: string | null;
  payments: number;
  paymentsByChannel: Record<string, number>;
  orders: Map<keyof PeriodTruth, Set<string>>;
  callbacksDue: Set<string>;
  callbacksSent: Set<string>;
  txAnomalies: PeriodTruth['txAnomalies'];
  gatewayErrors: PeriodTruth['gatewayErrors'];
}

export class GroundTruthLog {
  private readonly out: fs.WriteStream;
  private readonly periods: PeriodState[] = [];
  private closed = false;

  constructor(readonly file: string) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    this.out = fs.createWriteStream(file, { flags: 'a' });
  }

  append(record: TruthRecord): void {
    if (this.closed) return;
    this.out.write(JSON.stringify(record) + '\n');
    if (record.type === 'scenario') {
      const previous = this.periods.at(-1);
      if (previous !== undefined) previous.to = record.at;
      this.periods.push({ record, to: null, payments: 0, paymentsByChannel: {}, orders: new Map(), callbacksDue: new Set(), callbacksSent: new Set(), txAnomalies: [], gatewayErrors: {} });
      return;
    }
    if (record.type === 'run') return;
    const state = this.periods.find((p) => p.record.period === record.period);
    if (state === undefined) return;
    if (record.type === 'payment') {
      state.payments++;
      state.paymentsByChannel[record.channel] = (state.paymentsByChannel[record.channel] ?? 0) + 1;
      return;
    }
    if (record.effect === 'callback-due') state.callbacksDue.add(record.orderId);
    if (record.effect === 'callback-sent' && record.detail?.attempt === 1) state.callbacksSent.add(record.orderId);
    // Failed calls as the adapter saw them: a provider may still answer with an error after the
    // adapter has timed out (one failed call, not two), so its own 'provider-error' records are not counted here.
    if (record.effect === 'call-failed') {
      const byClass = (state.gatewayErrors[String(record.detail?.gateway)] ??= {});
      const cls = String(record.detail?.errorClass);
      byClass[cls] = (byClass[cls] ?? 0) + 1;
    }
    if (record.effect === 'tx-anomaly') {
      const d = record.detail ?? {};
      state.txAnomalies.push({ txId: String(d.txId), branch: String(d.branch), kind: String(d.kind), orderId: record.orderId });
    }
    const field = EFFECT_FIELD[record.effect];
    if (field === undefined) return;
    let set = state.orders.get(field);
    if (set === undefined) state.orders.set(field, (set = new Set()));
    set.add(record.orderId);
  }

  /** Every period so far, oldest first. */
  summary(): PeriodTruth[] {
    return this.periods.map((p) => {
      const list = (field: keyof PeriodTruth) => [...(p.orders.get(field) ?? [])];
      return {
        period: p.record.period,
        scenario: p.record.name,
        description: p.record.description,
        target: p.record.target,
        parameters: p.record.scenario,
        from: p.record.at,
        to: p.to,
        payments: p.payments,
        paymentsByChannel: p.paymentsByChannel,
        affectedOrders: list('affectedOrders'),
        failedOrders: list('failedOrders'),
        lostCallbackOrders: list('lostCallbackOrders'),
        duplicateCallbackOrders: list('duplicateCallbackOrders'),
        lateCallbackOrders: list('lateCallbackOrders'),
        pendingCallbackOrders: [...p.callbacksDue].filter((orderId) => !p.callbacksSent.has(orderId)),
        timeoutOrders: list('timeoutOrders'),
        inconsistentOrders: list('inconsistentOrders'),
        declinedOrders: list('declinedOrders'),
        providerErrorOrders: list('providerErrorOrders'),
        retriedOrders: list('retriedOrders'),
        doubleChargedOrders: list('doubleChargedOrders'),
        txAnomalies: p.txAnomalies,
        gatewayErrors: p.gatewayErrors,
      };
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await new Promise<void>((resolve) => this.out.end(resolve));
  }
}

/** Reads a ground-truth JSONL file back. */
export function readGroundTruth(file: string): TruthRecord[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as TruthRecord);
}
