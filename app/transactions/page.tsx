import Link from 'next/link';
import { NoSpansYet } from '@/components/EmptyState';
import { FilterBar } from '@/components/FilterBar';
import { Kpi } from '@/components/Kpi';
import { PageHeader } from '@/components/PageHeader';
import { ParamProblems } from '@/components/ParamProblems';
import { TRANSACTION_ANOMALY_KINDS, type TransactionAnomalyKind } from '@/lib/analytics/transactions';
import { parsePageParams } from '@/lib/api/params';
import { transactions, TransactionsQuery, transactionSlaSec } from '@/lib/api/transactions';
import { hasAnySpans } from '@/lib/queries/overview';
import { getStore } from '@/lib/store/store';
import { formatCount, formatSec, shortId } from '@/lib/ui/format';
import { flatParams, paymentHref, traceHref } from '@/lib/ui/links';
import { describeRange, type SearchParams } from '@/lib/ui/time-range';

export const dynamic = 'force-dynamic';
export const metadata = { title: 'Transactions' };

/** Each kind as the page names and explains it (lib/analytics/transactions.ts defines them). */
const KINDS: Record<TransactionAnomalyKind, { label: string; means: string }> = {
  empty_rollback: { label: 'Empty rollback', means: 'a cancel on a branch whose try never ran: the cancel must succeed without undoing anything' },
  hanging: { label: 'Hanging', means: 'a try that ran after the cancel of its branch: what it reserved is never released' },
  unfinished: { label: 'Unfinished', means: 'a try succeeded and neither confirm nor cancel came within the SLA' },
  mixed_outcome: { label: 'Mixed outcome', means: 'this branch was cancelled while another branch of the transaction confirmed' },
  failed_compensation: { label: 'Failed compensation', means: 'a Saga compensate step failed (a retry may have succeeded since: check the traces)' },
};

/** TCC and Saga transactions across services and traces: their classic failures, per branch. */
export default async function TransactionsPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const sp = await searchParams;
  const parsed = parsePageParams(TransactionsQuery, sp);
  const query = { ...parsed.query, limit: parsed.query.limit ?? 500 };
  const store = await getStore();
  const result = await transactions(store, { query });
  if (!result.transactions && !(await hasAnySpans(store))) {
    return <section><PageHeader title="Transactions" /><NoSpansYet /></section>;
  }
  const total = Object.values(result.counts).reduce((a, b) => a + b, 0);

  return (
    <section>
      <PageHeader title="Transactions" sub={<>{describeRange(query)} · TCC and Saga · branch SLA {formatSec(result.slaSec)}</>} />
      <FilterBar params={flatParams(sp)} fields={[{ name: 'slaSec', label: 'Branch SLA (seconds from try to confirm or cancel)', type: 'number', placeholder: String(transactionSlaSec()) }]} />
      <ParamProblems problems={parsed.problems} />
      <div className="kpis" role="group" aria-label="Key numbers">
        <Kpi id="transactions" label="Transactions" value={formatCount(result.transactions)} />
        {TRANSACTION_ANOMALY_KINDS.map((k) => (
          <Kpi key={k} id={k} label={KINDS[k].label} value={formatCount(result.counts[k])} hint={KINDS[k].means} />
        ))}
      </div>

      <h2 id="anomalies">Anomalies</h2>
      <p className="section-note">
        One row per transaction, branch and kind, the most recent transaction first. A transaction&apos;s branches are joined by{' '}
        <code>payment.tx.id</code> whatever trace or service they ran in; a clean rollback (try, then cancel on every branch) is no anomaly.
      </p>
      {result.transactions === 0 ? (
        <p className="empty">
          No transaction phases in this range. Services mark them with <code>markTransactionPhase</code> or <code>withTransactionPhase</code>{' '}
          (<code>payment.tx.id</code>, <code>payment.tx.branch</code>, <code>payment.tx.phase</code>).
        </p>
      ) : result.anomalies.length === 0 ? (
        <p className="empty">No anomalies among {formatCount(result.transactions)} transactions in this range.</p>
      ) : (
        <div className="table-wrap">
          <table data-testid="anomalies">
            <thead><tr><th>transaction</th><th>branch</th><th>anomaly</th><th>order</th><th>traces</th></tr></thead>
            <tbody>
              {result.anomalies.map((a) => (
                <tr key={`${a.txId}\u0000${a.branch}\u0000${a.kind}`} data-tx={a.txId} data-kind={a.kind}>
                  <td><code>{a.txId}</code></td>
                  <td>{a.branch || '—'}</td>
                  <td><span className="badge failed" title={KINDS[a.kind].means}>{KINDS[a.kind].label}</span></td>
                  <td>{a.orderId ? <Link href={paymentHref(sp, a.orderId)}><code>{a.orderId}</code></Link> : '—'}</td>
                  <td>
                    {a.traceIds.map((t, i) => (
                      <span key={t}>{i > 0 && ' · '}<Link href={traceHref(sp, t)} title={t}><code>{shortId(t, 8)}</code></Link></span>
                    ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {total > result.anomalies.length && <p className="muted small">Showing {result.anomalies.length} of {formatCount(total)}, the most recent transactions first.</p>}
        </div>
      )}
    </section>
  );
}
