import Link from 'next/link';
import { NothingHere } from '@/components/EmptyState';
import { FilterBar } from '@/components/FilterBar';
import { StatusBadge } from '@/components/HealthBadge';
import { PageHeader } from '@/components/PageHeader';
import { Swatch } from '@/components/Swatch';
import { ParamProblems } from '@/components/ParamProblems';
import { parsePageParams } from '@/lib/api/params';
import { PaymentsQuery } from '@/lib/api/schemas';
import { payments as listPayments } from '@/lib/api/payments';
import { getStore } from '@/lib/store/store';
import { cachedFilterValues } from '@/lib/api/filter-values';
import { formatCount, formatMs, formatTime, shortId } from '@/lib/ui/format';
import { flatParams, formParams, href, paymentHref, traceHref } from '@/lib/ui/links';
import { describeRange, type SearchParams } from '@/lib/ui/time-range';

export const dynamic = 'force-dynamic';
export const metadata = { title: 'Payments' };

const COHORT_LABELS = { failed: 'failed payments', slow: 'slow payments', stuck: 'stuck payments' } as const;

/** This page's URL without some of its filters: `drop` names parameters, or one `key:value` of attr. */
function withoutHref(sp: SearchParams, drop: { names?: string[]; attr?: string }): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(formParams(sp))) {
    if (drop.names?.includes(k)) continue;
    for (const one of Array.isArray(v) ? v : [v]) if (!(k === 'attr' && one === drop.attr)) q.append(k, one);
  }
  const s = q.toString();
  return s ? `/payments?${s}` : '/payments';
}

/** The payments behind the Overview's numbers: by channel, gateway, outcome, end-to-end latency, attribute values, What's-different cohort. */
export default async function PaymentsPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const sp = await searchParams;
  const { query: range, problems } = parsePageParams(PaymentsQuery, sp);
  const store = await getStore();
  const [{ payments, total }, values] = await Promise.all([
    listPayments(store, { query: range }),
    cachedFilterValues(store, range),
  ]);
  return (
    <section>
      <PageHeader title="Payments" sub={<>{describeRange(range)} · payments that started in the range ({formatCount(total)} match)</>} />
      <FilterBar
        params={formParams(sp)}
        fields={[
          { name: 'channel', label: 'Channel', options: values.channels, allLabel: 'all channels' },
          { name: 'gateway', label: 'Gateway', options: values.gateways, allLabel: 'all gateways' },
          { name: 'attr', label: 'Attribute', type: 'search', placeholder: 'key:value' },
          { name: 'outcome', label: 'Outcome', options: ['succeeded', 'failed', 'pending'], allLabel: 'any' },
          { name: 'minE2eMs', label: 'End to end ≥ (ms)', type: 'number' },
          { name: 'sort', label: 'Order', options: [{ value: 'recent', label: 'most recent' }, { value: 'slowest', label: 'slowest' }], allLabel: 'most recent' },
        ]}
      />
      <ParamProblems problems={problems} />
      {(range.attr?.length || range.cohort) && (
        <p className="chips" data-testid="payments-filter">
          Only
          {range.cohort && (
            <Link className="chip" href={withoutHref(sp, { names: ['cohort', 'slowMs', 'slaSec'] })} title="show every payment, not only these" data-cohort={range.cohort}>
              {COHORT_LABELS[range.cohort]}{range.slowMs !== undefined && <> (end to end ≥ {formatMs(range.slowMs)})</>}{range.slaSec !== undefined && <> (SLA {range.slaSec} s)</>} ×
            </Link>
          )}
          {range.attr?.map((a) => (
            <Link key={`${a.key}:${a.value}`} className="chip" href={withoutHref(sp, { attr: `${a.key}:${a.value}` })} title="clear this filter" data-attr={`${a.key}:${a.value}`}>
              carrying <code>{a.key}</code> = {a.value} ×
            </Link>
          ))}
        </p>
      )}
      {payments.length === 0 ? (
        <NothingHere what="payments" longerRange={href('/payments', { ...flatParams(sp), range: '7d', from: undefined, to: undefined })} />
      ) : (
        <div className="table-wrap">
          <table data-testid="payments">
            <thead>
              <tr>
                <th>order</th><th>started (UTC)</th><th>channel</th><th>gateway</th><th>outcome</th><th className="num">end to end</th>
                <th>last stage</th><th>error code</th><th>traces</th>
              </tr>
            </thead>
            <tbody>
              {payments.map((p) => (
                <tr key={p.orderId} data-order={p.orderId}>
                  <td><Link href={paymentHref(sp, p.orderId)}><code>{p.orderId}</code></Link></td>
                  <td>{formatTime(p.start)}</td>
                  <td><Swatch name={p.channel} /></td>
                  <td>{p.gateway ? <Swatch name={p.gateway} /> : <span className="muted">—</span>}</td>
                  <td><StatusBadge status={p.outcome} /></td>
                  <td className="num">{formatMs(p.e2eMs)}</td>
                  <td>{p.lastStage}</td>
                  <td>{p.errorCode || <span className="muted">—</span>}</td>
                  <td>
                    {p.traceIds.map((t, i) => (
                      <span key={t}>{i > 0 && ' · '}<Link href={traceHref(sp, t)} title={t}><code>{shortId(t, 8)}</code></Link></span>
                    ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {total > payments.length && <p className="muted small" style={{ padding: '0.4rem 0.6rem' }}>Showing {formatCount(payments.length)} of {formatCount(total)}; narrow the filters to see the rest.</p>}
        </div>
      )}
    </section>
  );
}
