import {
  MAX_ANOMALY_TRACE_IDS,
  TRANSACTION_ANOMALY_KINDS,
  TRANSACTION_PHASES,
  type TransactionAnomaly,
  type TransactionAnomalyCounts,
  type TransactionAnomalyKind,
} from '../analytics/transactions';
import { sql } from '../store/sql';
import type { Store } from '../store/store';
import { num, type TimeRange } from './common';

/**
 * Phases that started up to this long before the range still count for the transactions active in
 * it, so a try just before `from` does not make its cancel an empty rollback. A transaction's
 * branches run within seconds of each other.
 */
export const TRANSACTION_LOOKBACK_MS = 3_600_000;

export interface TransactionsParams extends TimeRange {
  /** How long after its try a branch may go without confirm or cancel. */
  slaSec: number;
  limit?: number;
}

export interface TransactionsResult {
  /** Transactions with a phase span in the range. */
  transactions: number;
  /** Anomaly rows per kind (all of them, not only the listed ones). */
  counts: TransactionAnomalyCounts;
  /** Most recently started transaction first, at most `limit`. */
  anomalies: TransactionAnomaly[];
}

/**
 * TCC/Saga anomalies of the transactions with a phase span in the range, judged as of the range's end
 * (lib/analytics/transactions.ts defines each kind; this is the same in SQL, checked against it in
 * transactions.test.ts). Reads transaction_phases only: rows grouped by branch, then by transaction,
 * whatever trace and service each branch ran in.
 */
export async function listTransactionAnomalies(store: Store, p: TransactionsParams): Promise<TransactionsResult> {
  const phases = [...TRANSACTION_PHASES];
  const kinds = [...TRANSACTION_ANOMALY_KINDS];
  const lookbackFrom = new Date(p.from.getTime() - TRANSACTION_LOOKBACK_MS);
  const ns = (d: Date) => sql`toInt64(toUnixTimestamp64Nano(toDateTime64(${d}, 9)))`;
  const [rows, tx] = await Promise.all([
    store.query<{ txId: string; branch: string; kind: TransactionAnomalyKind; orderId: string; traceIds: string[] } & Record<`n_${TransactionAnomalyKind}`, string>>(sql`
      WITH ${Math.round(p.slaSec * 1e9)} AS _sla, ${ns(p.to)} AS _as_of, ${ns(p.from)} AS _from, ${kinds} AS _kinds
      SELECT TxId AS txId, branch, kind,
             if(branchOrderId != '', branchOrderId, txOrderId) AS orderId,
             arraySlice(if(kind = 'mixed_outcome', txTraces, branchTraces), 1, ${MAX_ANOMALY_TRACE_IDS}) AS traceIds,
             countIf(kind = 'empty_rollback') OVER () AS n_empty_rollback,
             countIf(kind = 'hanging') OVER () AS n_hanging,
             countIf(kind = 'unfinished') OVER () AS n_unfinished,
             countIf(kind = 'mixed_outcome') OVER () AS n_mixed_outcome,
             countIf(kind = 'failed_compensation') OVER () AS n_failed_compensation
      FROM (
        SELECT TxId, min(bStart) AS txStart, max(bLast) AS txLast, sum(confirmed) AS confirmedBranches,
               minIf(orderId, orderId != '') AS txOrderId,
               arraySort(arrayDistinct(arrayFlatten(groupArray(traces)))) AS txTraces,
               groupArray((Branch, kinds, orderId, traces, confirmed, cancelled)) AS branches,
               -- One (branch, kind, order id, traces) per anomaly; a successful cancel while another branch
               -- confirmed is a mixed outcome.
               arrayFlatten(arrayMap(b -> arrayMap(k -> (b.1, k, b.3, b.4),
                 if(b.6 AND confirmedBranches > b.5, arrayConcat(b.2, ['mixed_outcome']), b.2)), branches)) AS found
        FROM (
          SELECT TxId, Branch, min(s) AS bStart, max(s) AS bLast,
                 countIf(Phase = 'cancel') AS cancels,
                 minIf(s, Phase = 'cancel') AS firstCancel,
                 groupArrayIf((s, e, ok), Phase = 'try') AS tries,
                 -- The first successful try not preceded by a cancel: what reserved the branch's resources.
                 arraySort(arrayFilter(t -> t.3 AND (cancels = 0 OR t.1 <= firstCancel), tries)) AS reserving,
                 groupArrayIf(s, Phase IN ('confirm', 'cancel') AND ok) AS settles,
                 countIf(Phase = 'compensate' AND NOT ok) AS failedCompensates,
                 countIf(Phase = 'confirm' AND ok) > 0 AS confirmed,
                 countIf(Phase = 'cancel' AND ok) > 0 AS cancelled,
                 minIf(PaymentOrderId, PaymentOrderId != '') AS orderId,
                 arraySort(groupUniqArray(TraceId)) AS traces,
                 arrayFilter(k -> k != '', [
                   if(cancels > 0 AND length(tries) = 0, 'empty_rollback', ''),
                   if(cancels > 0 AND arrayExists(t -> t.1 > firstCancel, tries), 'hanging', ''),
                   if(length(reserving) > 0 AND reserving[1].2 + _sla < _as_of
                      AND NOT arrayExists(x -> x >= reserving[1].1 AND x <= reserving[1].2 + _sla, settles), 'unfinished', ''),
                   if(failedCompensates > 0, 'failed_compensation', '')
                 ]) AS kinds
          FROM (
            SELECT TxId, toString(Branch) AS Branch, toString(Phase) AS Phase, PaymentOrderId, TraceId,
                   toInt64(toUnixTimestamp64Nano(Timestamp)) AS s, s + toInt64(Duration) AS e,
                   NOT (IsError OR PaymentOutcome = 'failed') AS ok
            FROM transaction_phases
            WHERE Timestamp >= ${lookbackFrom} AND Timestamp < ${p.to} AND Phase IN (${phases})
          )
          GROUP BY TxId, Branch
        )
        GROUP BY TxId
        HAVING txLast >= _from
      )
      ARRAY JOIN found.1 AS branch, found.2 AS kind, found.3 AS branchOrderId, found.4 AS branchTraces
      ORDER BY txStart DESC, txId, branch, indexOf(_kinds, kind)
      LIMIT ${p.limit ?? 100}`),
    store.query<{ transactions: string }>(sql`
      SELECT uniqExact(TxId) AS transactions FROM transaction_phases
      WHERE Timestamp >= ${p.from} AND Timestamp < ${p.to} AND Phase IN (${phases})`),
  ]);
  const counts = Object.fromEntries(kinds.map((k) => [k, rows.length ? num(rows[0][`n_${k}`]) : 0])) as TransactionAnomalyCounts;
  return {
    transactions: num(tx[0]?.transactions),
    counts,
    anomalies: rows.map((r) => ({ txId: r.txId, branch: r.branch, kind: r.kind, orderId: r.orderId, traceIds: r.traceIds })),
  };
}
