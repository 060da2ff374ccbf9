/**
 * Distributed transactions (TCC and Saga): the classic failures that no single trace shows, found
 * over the phase spans of every branch of a global transaction, whatever trace each is in.
 *
 * A phase span carries `payment.tx.id`, `payment.tx.branch` and `payment.tx.phase`; it failed when its
 * status is ERROR or its `payment.outcome` is `failed`. Per branch (times are span starts unless said):
 *
 *   empty_rollback       a cancel on a branch with no try at all (as far as `asOf`)
 *                          cancel  |=|
 *   hanging              a try that starts after the branch's first cancel (it reserves for ever);
 *                        the cancel before it is then not also an empty rollback: the try did run
 *                          cancel  |=|
 *                          try          |==|
 *   unfinished           the branch's first successful try not preceded by a cancel, and no
 *                        successful confirm or cancel starting between its start and its end + SLA,
 *                        with that SLA passed by `asOf`
 *                          try     |==|
 *                          (SLA)      ·-------·   asOf ·
 *   mixed_outcome        a successful cancel while another branch of the transaction has a
 *                        successful confirm: one row per such cancelled branch
 *   failed_compensation  a compensate that failed, even if a retry later succeeded: the issue's
 *                        definition, and the step a Saga must never fail
 *
 * A clean rollback (try succeeded or failed, then cancel, on every branch) is no anomaly. Phases
 * outside TRANSACTION_PHASES are ignored. lib/queries/transactions.ts computes the same in SQL; the
 * functions here are the definition its tests check it against.
 */
import { TRANSACTION_PHASES } from '@payscope/instrumentation/conventions';

export { TRANSACTION_PHASES };

export const TRANSACTION_ANOMALY_KINDS = ['empty_rollback', 'hanging', 'unfinished', 'mixed_outcome', 'failed_compensation'] as const;
export type TransactionAnomalyKind = (typeof TRANSACTION_ANOMALY_KINDS)[number];

/** One phase span; `start`, `end`, `asOf` and `sla` in one unit of time (the query uses nanoseconds). */
export interface TransactionPhaseSpan {
  txId: string;
  branch: string;
  phase: string;
  start: number;
  end: number;
  failed: boolean;
  orderId: string;
  traceId: string;
}

export interface TransactionAnomaly {
  txId: string;
  branch: string;
  kind: TransactionAnomalyKind;
  /** The branch's payment (`payment.order_id`), else the transaction's; '' when none carries one. */
  orderId: string;
  /** The branch's traces; for mixed_outcome every trace of the transaction. Sorted, the first MAX_ANOMALY_TRACE_IDS. */
  traceIds: string[];
}

/** Trace ids listed per anomaly row at most (a transaction may fan out to many traces). */
export const MAX_ANOMALY_TRACE_IDS = 100;

export type TransactionAnomalyCounts = Record<TransactionAnomalyKind, number>;

export interface TransactionAnomalyOptions {
  /** The moment the transactions are judged at (the end of the range). */
  asOf: number;
  /** How long after its try ended a branch may stay without confirm or cancel. */
  sla: number;
}

const PHASES: ReadonlySet<string> = new Set(TRANSACTION_PHASES);

// Loops, not Math.min(...xs): a branch's span count comes from the input and spread arguments have a limit.
const minStart = (spans: readonly TransactionPhaseSpan[]) => spans.reduce((m, s) => Math.min(m, s.start), Infinity);

const minOrderId = (spans: readonly TransactionPhaseSpan[]) =>
  spans.reduce((m, s) => (s.orderId !== '' && (m === '' || s.orderId < m) ? s.orderId : m), '');
const sortedTraces = (spans: readonly TransactionPhaseSpan[]) => [...new Set(spans.map((s) => s.traceId))].sort().slice(0, MAX_ANOMALY_TRACE_IDS);

/** The branch kinds (all but mixed_outcome) of one branch's phase spans. */
function branchAnomalyKinds(spans: readonly TransactionPhaseSpan[], { asOf, sla }: TransactionAnomalyOptions): TransactionAnomalyKind[] {
  const kinds: TransactionAnomalyKind[] = [];
  const of = (phase: string) => spans.filter((s) => s.phase === phase);
  const tries = of('try');
  const cancels = of('cancel');
  const firstCancel = minStart(cancels);
  if (cancels.length && !tries.length) kinds.push('empty_rollback');
  if (cancels.length && tries.some((t) => t.start > firstCancel)) kinds.push('hanging');

  const reserved = tries
    .filter((t) => !t.failed && t.start <= firstCancel)
    .sort((a, b) => a.start - b.start || a.end - b.end)[0];
  if (reserved && reserved.end + sla < asOf) {
    const settled = spans.some(
      (s) => (s.phase === 'confirm' || s.phase === 'cancel') && !s.failed && s.start >= reserved.start && s.start <= reserved.end + sla,
    );
    if (!settled) kinds.push('unfinished');
  }

  if (spans.some((s) => s.phase === 'compensate' && s.failed)) kinds.push('failed_compensation');
  return kinds;
}

/**
 * Every anomaly of the given phase spans, one per transaction, branch and kind: the most recently
 * started transaction first, then by transaction id, branch and kind (in TRANSACTION_ANOMALY_KINDS order).
 */
export function findTransactionAnomalies(spans: readonly TransactionPhaseSpan[], options: TransactionAnomalyOptions): TransactionAnomaly[] {
  const byTx = new Map<string, Map<string, TransactionPhaseSpan[]>>();
  for (const s of spans) {
    if (!PHASES.has(s.phase)) continue;
    let branches = byTx.get(s.txId);
    if (!branches) byTx.set(s.txId, (branches = new Map()));
    let list = branches.get(s.branch);
    if (!list) branches.set(s.branch, (list = []));
    list.push(s);
  }
  const out: { start: number; anomaly: TransactionAnomaly }[] = [];
  for (const [txId, branches] of byTx) {
    const all = [...branches.values()].flat();
    const txStart = minStart(all);
    const txOrderId = minOrderId(all);
    const confirms = (list: readonly TransactionPhaseSpan[]) => list.some((s) => s.phase === 'confirm' && !s.failed);
    let confirmedBranches = 0;
    for (const list of branches.values()) if (confirms(list)) confirmedBranches++;
    for (const [branch, list] of branches) {
      const kinds = branchAnomalyKinds(list, options);
      const cancelled = list.some((s) => s.phase === 'cancel' && !s.failed);
      if (cancelled && confirmedBranches > (confirms(list) ? 1 : 0)) kinds.push('mixed_outcome');
      for (const kind of kinds) {
        out.push({
          start: txStart,
          anomaly: { txId, branch, kind, orderId: minOrderId(list) || txOrderId, traceIds: sortedTraces(kind === 'mixed_outcome' ? all : list) },
        });
      }
    }
  }
  const rank = (k: TransactionAnomalyKind) => TRANSACTION_ANOMALY_KINDS.indexOf(k);
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  out.sort((a, b) => b.start - a.start || cmp(a.anomaly.txId, b.anomaly.txId) || cmp(a.anomaly.branch, b.anomaly.branch) || rank(a.anomaly.kind) - rank(b.anomaly.kind));
  return out.map((o) => o.anomaly);
}

/** Anomaly rows per kind. */
export function countTransactionAnomalies(anomalies: readonly TransactionAnomaly[]): TransactionAnomalyCounts {
  const counts = Object.fromEntries(TRANSACTION_ANOMALY_KINDS.map((k) => [k, 0])) as TransactionAnomalyCounts;
  for (const a of anomalies) counts[a.kind]++;
  return counts;
}
