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
 * whatever trace and service each branch ran in. Order ids and trace ids are read afterwards for the
 * listed rows only (collecting every branch's traces cost about a quarter of the query).
 */
export async function listTransactionAnomalies(store: Store, p: TransactionsParams): Promise<TransactionsResult> {
  const phases = [...TRANSACTION_PHASES];
  const kinds = [...TRANSACTION_ANOMALY_KINDS];
  const lookbackFrom = new Date(p.from.getTime() - TRANSACTION_LOOKBACK_MS);
  const ns = (d: Date) => sql`toInt64(toUnixTimestamp64Nano(toDateTime64(${d}, 9)))`;
  const phaseRows = sql`Timestamp >= ${lookbackFrom} AND Timestamp < ${p.to} AND Phase IN (${phases})`;
  const [rows, tx] = await Promise.all([
    store.query<{ txId: string; branch: string; kind: TransactionAnomalyKind } & Record<`n_${TransactionAnomalyKind}`, string>>(sql`
      WITH ${Math.round(p.slaSec * 1e9)} AS _sla, ${ns(p.to)} AS _as_of, ${ns(p.from)} AS _from, ${kinds} AS _kinds
      SELECT TxId AS txId, branch, kind,
             countIf(kind = 'empty_rollback') OVER () AS n_empty_rollback,
             countIf(kind = 'hanging') OVER () AS n_hanging,
             countIf(kind = 'unfinished') OVER () AS n_unfinished,
             countIf(kind = 'mixed_outcome') OVER () AS n_mixed_outcome,
             countIf(kind = 'failed_compensation') OVER () AS n_failed_compensation
      FROM (
        SELECT TxId, min(bStart) AS txStart, max(bLast) AS txLast, sum(confirmed) AS confirmedBranches,
               groupArray((Branch, kinds, confirmed, cancelled)) AS branches,
               -- One (branch, kind) per anomaly; a successful cancel while another branch confirmed is a
               -- mixed outcome.
               arrayFlatten(arrayMap(b -> arrayMap(k -> (b.1, k),
                 if(b.4 AND confirmedBranches > b.3, arrayConcat(b.2, ['mixed_outcome']), b.2)), branches)) AS found
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
                 arrayFilter(k -> k != '', [
                   if(cancels > 0 AND length(tries) = 0, 'empty_rollback', ''),
                   if(cancels > 0 AND arrayExists(t -> t.1 > firstCancel, tries), 'hanging', ''),
                   if(length(reserving) > 0 AND reserving[1].2 + _sla < _as_of
                      AND NOT arrayExists(x -> x >= reserving[1].1 AND x <= reserving[1].2 + _sla, settles), 'unfinished', ''),
                   if(failedCompensates > 0, 'failed_compensation', '')
                 ]) AS kinds
          FROM (
            SELECT TxId, toString(Branch) AS Branch, toString(Phase) AS Phase,
                   toInt64(toUnixTimestamp64Nano(Timestamp)) AS s, s + toInt64(Duration) AS e,
                   NOT (IsError OR PaymentOutcome = 'failed') AS ok
            FROM transaction_phases
            WHERE ${phaseRows}
          )
          GROUP BY TxId, Branch
        )
        GROUP BY TxId
        HAVING txLast >= _from
      )
      ARRAY JOIN found.1 AS branch, found.2 AS kind
      ORDER BY txStart DESC, txId, branch, indexOf(_kinds, kind)
      LIMIT ${p.limit ?? 100}`),
    store.query<{ transactions: string }>(sql`
      SELECT uniqExact(TxId) AS transactions FROM transaction_phases
      WHERE Timestamp >= ${p.from} AND Timestamp < ${p.to} AND Phase IN (${phases})`),
  ]);
  const counts = Object.fromEntries(kinds.map((k) => [k, rows.length ? num(rows[0][`n_${k}`]) : 0])) as TransactionAnomalyCounts;
  const details = await anomalyDetails(store, phaseRows, rows);
  return {
    transactions: num(tx[0]?.transactions),
    counts,
    anomalies: rows.map((r) => {
      const b = details.get(detailKey(r.txId, r.branch));
      const t = details.get(detailKey(r.txId, null));
      return {
        txId: r.txId, branch: r.branch, kind: r.kind,
        orderId: b?.orderId || t?.orderId || '',
        traceIds: (r.kind === 'mixed_outcome' ? t?.traceIds : b?.traceIds) ?? [],
      };
    }),
  };
}

const detailKey = (txId: string, branch: string | null) => JSON.stringify([txId, branch]);

/**
 * Order id (the smallest non-empty) and trace ids (sorted, the first MAX_ANOMALY_TRACE_IDS) of each
 * listed (transaction, branch) and of each listed transaction as a whole, read with the same rows
 * the anomalies were judged on. At most two rows per anomaly row come back.
 */
async function anomalyDetails(
  store: Store, phaseRows: ReturnType<typeof sql>, rows: readonly { txId: string; branch: string }[],
): Promise<Map<string, { orderId: string; traceIds: string[] }>> {
  const out = new Map<string, { orderId: string; traceIds: string[] }>();
  if (!rows.length) return out;
  const txIds = [...new Set(rows.map((r) => r.txId))];
  const found = await store.query<{ txId: string; branch: string; whole: number; orderId: string; traceIds: string[] }>(sql`
    SELECT TxId AS txId, toString(Branch) AS branch, grouping(Branch) AS whole,
           minIf(PaymentOrderId, PaymentOrderId != '') AS orderId,
           arraySlice(arraySort(groupUniqArray(TraceId)), 1, ${MAX_ANOMALY_TRACE_IDS}) AS traceIds
    FROM transaction_phases
    WHERE ${phaseRows} AND TxId IN (${txIds})
    GROUP BY GROUPING SETS ((TxId, Branch), (TxId))
    HAVING whole = 1 OR has(arrayZip(${rows.map((r) => r.txId)}, ${rows.map((r) => r.branch)}), (TxId, branch))`);
  for (const f of found) out.set(detailKey(f.txId, num(f.whole) === 1 ? null : f.branch), { orderId: f.orderId, traceIds: f.traceIds });
  return out;
}
