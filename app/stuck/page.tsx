import Link from 'next/link';
import { NoSpansYet } from '@/components/EmptyState';
import { FilterBar } from '@/components/FilterBar';
import { Kpi } from '@/components/Kpi';
import { PageHeader } from '@/components/PageHeader';
import { Swatch } from '@/components/Swatch';
import { hasAnySpans } from '@/lib/queries/overview';
import { ParamProblems } from '@/components/ParamProblems';
import { DoubleChargesTable } from '@/components/DoubleChargesTable';
import { callbackSla, inconsistent, stuck as stuckPayments } from '@/lib/api/operations';
import { doubleCharges } from '@/lib/api/retries';
import { parsePageParams } from '@/lib/api/params';
import { StuckQuery } from '@/lib/api/schemas';
import { getConfig } from '@/lib/config';
import { getStore } from '@/lib/store/store';
import { formatCount, formatSec, formatTime, shortId } from '@/lib/ui/format';
import { flatParams, paymentHref, traceHref } from '@/lib/ui/links';
import { describeRange, type SearchParams } from '@/lib/ui/time-range';

export const dynamic = 'force-dynamic';
export const metadata = { title: 'Stuck payments' };

function TraceLinks({ sp, ids }: { sp: SearchParams; ids: string[] }) {
  return (
    <>
      {ids.map((t, i) => (
        <span key={t}>{i > 0 && ' · '}<Link href={traceHref(sp, t)} title={t}><code>{shortId(t, 8)}</code></Link></span>
      ))}
    </>
  );
}

/** Payments waiting on a callback past their SLA, paid-but-not-confirmed payments, duplicate callbacks, double charges. */
export default async function StuckPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const sp = await searchParams;
  const parsed = parsePageParams(StuckQuery, sp);
  const range = { ...parsed.query, limit: parsed.query.limit ?? 500 };
  const sla = callbackSla(range);
  const store = await getStore();
  const [stuck, bad, charged] = await Promise.all([
    stuckPayments(store, { query: range }),
    inconsistent(store, { query: range }),
    doubleCharges(store, { query: range }),
  ]);
  if (!stuck.total && !bad.payments.length && !bad.duplicateCallbacks.length && !charged.payments.length && !(await hasAnySpans(store))) {
    return <section><PageHeader title="Stuck payments" /><NoSpansYet /></section>;
  }
  const slaText = `${formatSec(sla.defaultSec)}${Object.keys(sla.byGateway).length ? ` (${Object.entries(sla.byGateway).map(([g, s]) => `${g} ${formatSec(s)}`).join(', ')})` : ''}`;

  return (
    <section>
      <PageHeader title="Stuck payments" sub={<>{describeRange(range)} · callback SLA {slaText}</>} />
      <FilterBar params={flatParams(sp)} fields={[{ name: 'slaSec', label: 'Callback SLA (seconds, all gateways)', type: 'number', placeholder: String(getConfig().callbackSla.defaultSec) }]} />
      <ParamProblems problems={parsed.problems} />
      <div className="kpis" role="group" aria-label="Key numbers">
        <Kpi id="stuck" label="Stuck (no callback past SLA)" value={formatCount(stuck.total)} href="#stuck" />
        <Kpi id="inconsistent" label="Inconsistent (paid, order failed)" value={formatCount(bad.payments.length)} href="#inconsistent" />
        <Kpi id="duplicates" label="Duplicate callbacks" value={formatCount(bad.duplicateCallbacks.length)} href="#duplicates" />
        <Kpi id="double-charges" label="Charged twice" value={formatCount(charged.total)} href="#double-charges" />
      </div>

      <h2 id="stuck">Waiting for a callback past the SLA</h2>
      <p className="section-note">The gateway accepted the request (or the call timed out, outcome unknown) and no <code>gateway.callback</code> came before the end of the range.</p>
      {stuck.payments.length === 0 ? (
        <p className="empty">No stuck payments in this range. Nothing to chase.</p>
      ) : (
        <div className="table-wrap">
          <table data-testid="stuck">
            <thead>
              <tr><th>order</th><th>channel</th><th>gateway</th><th>last stage</th><th className="num">waiting</th><th className="num">SLA</th><th>request</th><th>traces</th></tr>
            </thead>
            <tbody>
              {stuck.payments.map((p) => (
                <tr key={p.orderId} data-order={p.orderId}>
                  <td><Link href={paymentHref(sp, p.orderId)}><code>{p.orderId}</code></Link></td>
                  <td><Swatch name={p.channel} /></td>
                  <td>{p.gateway ? <Swatch name={p.gateway} /> : '—'}</td>
                  <td>{p.lastStage}</td>
                  <td className="num">{formatSec(p.waitingSec)}</td>
                  <td className="num">{formatSec(p.slaSec)}</td>
                  <td>{p.timedOut ? <span className="badge pending" title="the caller timed out; the outcome is unknown until a callback says">timed out</span> : <span className="badge neutral">accepted</span>}</td>
                  <td><TraceLinks sp={sp} ids={p.traceIds} /></td>
                </tr>
              ))}
            </tbody>
          </table>
          {stuck.total > stuck.payments.length && <p className="muted small">Showing {stuck.payments.length} of {formatCount(stuck.total)}, longest waiting first.</p>}
        </div>
      )}

      <h2 id="inconsistent">Inconsistent: paid, but the order did not follow</h2>
      <p className="section-note">The gateway reported success, then a later stage failed: money moved without a confirmed order.</p>
      {bad.payments.length === 0 ? (
        <p className="empty">No inconsistent payments in this range.</p>
      ) : (
        <div className="table-wrap">
          <table data-testid="inconsistent">
            <thead><tr><th>order</th><th>channel</th><th>gateway</th><th>paid at (UTC)</th><th>failed stage</th><th>error code</th><th>traces</th></tr></thead>
            <tbody>
              {bad.payments.map((p) => (
                <tr key={p.orderId} data-order={p.orderId}>
                  <td><Link href={paymentHref(sp, p.orderId)}><code>{p.orderId}</code></Link></td>
                  <td><Swatch name={p.channel} /></td>
                  <td>{p.gateway ? <Swatch name={p.gateway} /> : '—'}</td>
                  <td>{formatTime(p.succeededAt)}</td>
                  <td>{p.failedStage}</td>
                  <td>{p.errorCode || '—'}</td>
                  <td><TraceLinks sp={sp} ids={p.traceIds} /></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      <h2 id="duplicates">Duplicate callbacks</h2>
      <p className="section-note">More than one callback for one payment: check the callback handler is idempotent (those that charged twice are under Double charges).</p>
      {bad.duplicateCallbacks.length === 0 ? (
        <p className="empty">No duplicate callbacks in this range.</p>
      ) : (
        <div className="table-wrap">
          <table data-testid="duplicates">
            <thead><tr><th>order</th><th>channel</th><th>gateway</th><th className="num">callbacks</th><th>traces</th></tr></thead>
            <tbody>
              {bad.duplicateCallbacks.map((p) => (
                <tr key={p.orderId} data-order={p.orderId}>
                  <td><Link href={paymentHref(sp, p.orderId)}><code>{p.orderId}</code></Link></td>
                  <td><Swatch name={p.channel} /></td>
                  <td>{p.gateway ? <Swatch name={p.gateway} /> : '—'}</td>
                  <td className="num">{p.callbacks}</td>
                  <td><TraceLinks sp={sp} ids={p.traceIds} /></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      <h2 id="double-charges">Double charges</h2>
      <DoubleChargesTable sp={sp} payments={charged.payments} />
    </section>
  );
}
