import Link from 'next/link';
import { NoSpansYet } from '@/components/EmptyState';
import { FilterBar } from '@/components/FilterBar';
import { Kpi } from '@/components/Kpi';
import { PageHeader } from '@/components/PageHeader';
import { ParamProblems } from '@/components/ParamProblems';
import { Swatch } from '@/components/Swatch';
import { DoubleChargesTable } from '@/components/DoubleChargesTable';
import { cachedFilterValues } from '@/lib/api/filter-values';
import { parsePageParams } from '@/lib/api/params';
import { doubleCharges, retries, RetriesQuery } from '@/lib/api/retries';
import { hasAnySpans } from '@/lib/queries/overview';
import { getStore } from '@/lib/store/store';
import { formatCount, formatMoney, formatPct, shortId } from '@/lib/ui/format';
import { flatParams, paymentHref, traceHref } from '@/lib/ui/links';
import { describeRange, type SearchParams } from '@/lib/ui/time-range';

export const dynamic = 'force-dynamic';
export const metadata = { title: 'Retries' };

const OUTCOME_BADGE = { succeeded: 'succeeded', failed: 'failed', timeout: 'pending', pending: 'neutral' } as const;

/** Gateway retries and failover: which error on which gateway was retried where and recovered; every retry chain; double charges. */
export default async function RetriesPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const sp = await searchParams;
  const parsed = parsePageParams(RetriesQuery, sp);
  const q = { ...parsed.query, limit: parsed.query.limit ?? 100 };
  const store = await getStore();
  const [r, dc, values] = await Promise.all([
    retries(store, { query: q }),
    doubleCharges(store, { query: { ...q, limit: 100 } }),
    cachedFilterValues(store, q),
  ]);
  if (r.orders === 0 && !(await hasAnySpans(store))) {
    return <section><PageHeader title="Retries" /><NoSpansYet /></section>;
  }

  return (
    <section>
      <PageHeader title="Retries" sub={<>{describeRange(q)} · orders whose first gateway attempt is in the range{r.truncated && ' · the most recent orders only (too many to analyse all)'}</>} />
      <FilterBar params={flatParams(sp)} fields={[{ name: 'channel', label: 'Channel', options: values.channels, allLabel: 'all channels' }]} />
      <ParamProblems problems={parsed.problems} />
      <div className="kpis" role="group" aria-label="Key numbers">
        <Kpi id="orders" label="Orders that reached a gateway" value={formatCount(r.orders)} />
        <Kpi id="retried" label="Retried (more than one attempt)" value={formatCount(r.retried)} hint={r.orders ? `${formatPct(r.retried / r.orders)} of orders` : undefined} href="#chains" />
        <Kpi
          id="recovered" label="Recovered by a retry" value={formatCount(r.recovered.count)}
          hint={<>{formatMoney(r.recovered.amount, r.currency)}{r.unconverted.count > 0 && ` (+${formatCount(r.unconverted.count)} not converted: ${r.unconverted.currencies.join(', ') || 'no amount'})`}</>}
        />
        <Kpi id="double-charges" label="Charged twice" value={formatCount(dc.total)} href="#double-charges" />
      </div>

      <h2 id="matrix">Failover matrix</h2>
      <p className="section-note">Each retry counted once: the gateway and error it came from, where it went, and whether that attempt succeeded.</p>
      {r.matrix.length === 0 ? (
        <p className="empty">No retries in this range: every order made a single gateway attempt.</p>
      ) : (
        <div className="table-wrap">
          <table data-testid="failover-matrix">
            <thead><tr><th>from gateway</th><th>after</th><th>to gateway</th><th className="num">retries</th><th className="num">recovered</th><th className="num">recovery rate</th></tr></thead>
            <tbody>
              {r.matrix.map((m) => (
                <tr key={`${m.fromGateway}|${m.errorClass}|${m.toGateway}`} data-from={m.fromGateway} data-to={m.toGateway} data-class={m.errorClass ?? ''}>
                  <td><Swatch name={m.fromGateway} /></td>
                  <td>{m.errorClass ? <code>{m.errorClass}</code> : <span className="muted">no failure</span>}</td>
                  <td><Swatch name={m.toGateway} /></td>
                  <td className="num">{formatCount(m.attempts)}</td>
                  <td className="num">{formatCount(m.recovered)}</td>
                  <td className="num">{formatPct(m.recovered / m.attempts)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      <h2 id="chains">Retry chains</h2>
      <p className="section-note">Orders with more than one gateway attempt, most recent first: each attempt, its outcome at the provider and why it failed.</p>
      {r.chains.length === 0 ? (
        <p className="empty">No retried orders in this range.</p>
      ) : (
        <div className="table-wrap">
          <table data-testid="chains">
            <thead><tr><th>order</th><th>channel</th><th>attempts</th><th>recovered</th><th className="num">charges</th></tr></thead>
            <tbody>
              {r.chains.map((c) => (
                <tr key={c.orderId} data-order={c.orderId}>
                  <td><Link href={paymentHref(sp, c.orderId)}><code>{c.orderId}</code></Link></td>
                  <td><Swatch name={c.channel} /></td>
                  <td>
                    {c.attempts.map((a, i) => (
                      <span key={i}>
                        {i > 0 && ' → '}
                        <Link href={traceHref(sp, a.traceId)} title={`trace ${shortId(a.traceId, 8)}${a.errorCode ? ` · ${a.errorCode}` : ''}`}>{a.gateway}</Link>{' '}
                        <span className={`badge ${OUTCOME_BADGE[a.outcome]}`}>{a.outcome}</span>
                        {a.errorClass && a.outcome !== 'failed' && <span className="muted small"> after {a.errorClass}</span>}
                        {a.errorClass && a.outcome === 'failed' && <span className="muted small"> {a.errorClass}</span>}
                      </span>
                    ))}
                  </td>
                  <td>{c.recovered ? <span className="badge succeeded">yes</span> : <span className="badge neutral">no</span>}</td>
                  <td className="num">{c.charges > 1 ? <span className="badge failed">{c.charges}</span> : c.charges}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {r.retried > r.chains.length && <p className="muted small">Showing {r.chains.length} of {formatCount(r.retried)} retried orders.</p>}
        </div>
      )}

      <h2 id="double-charges">Double charges</h2>
      <DoubleChargesTable sp={sp} payments={dc.payments} />
    </section>
  );
}
