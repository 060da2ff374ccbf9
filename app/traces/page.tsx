import Link from 'next/link';
import { NoSpansYet, NothingHere } from '@/components/EmptyState';
import { FilterBar } from '@/components/FilterBar';
import { PageHeader } from '@/components/PageHeader';
import { Swatch } from '@/components/Swatch';
import { DurationScatter } from '@/components/charts/lazy';
import type { ScatterPoint } from '@/components/charts/DurationScatter';
import { ParamProblems } from '@/components/ParamProblems';
import { cachedFilterValues } from '@/lib/api/filter-values';
import { traces as searchTraces } from '@/lib/api/operations';
import { parsePageParams } from '@/lib/api/params';
import { TracesQuery } from '@/lib/api/schemas';
import { hasAnySpans } from '@/lib/queries/overview';
import { getStore } from '@/lib/store/store';
import { formatCount, formatMs, formatTime, parseIsoMs, shortId } from '@/lib/ui/format';
import { deltasHref } from '@/lib/ui/deltas';
import { flatParams, formParams, href, param, paymentHref, traceHref } from '@/lib/ui/links';
import { describeRange, type SearchParams } from '@/lib/ui/time-range';

export const dynamic = 'force-dynamic';
export const metadata = { title: 'Traces' };

/** Trace search, as GET /api/traces: every filter matches some span of the trace, or with match=span one span. */
export default async function TracesPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const sp = await searchParams;
  const parsed = parsePageParams(TracesQuery, sp);
  // A page shows 100 traces unless told otherwise (the API's default is 50).
  const q = { ...parsed.query, limit: parsed.query.limit ?? 100 };
  // A trace id that is no trace id finds nothing (not every trace): said in its own words below.
  const badTraceId = parsed.problems.some((p) => p.param === 'traceId');
  const rawTraceId = param(sp, 'traceId');
  const problems = parsed.problems.filter((p) => p.param !== 'traceId');
  const store = await getStore();
  const [{ traces }, values] = await Promise.all([
    badTraceId ? Promise.resolve({ traces: [] }) : searchTraces(store, { query: q }),
    cachedFilterValues(store, q),
  ]);
  const empty = traces.length === 0 && !badTraceId && !(await hasAnySpans(store));
  const spanMs = q.to.getTime() - q.from.getTime();
  const point = (t: (typeof traces)[number]): ScatterPoint => ({
    t: parseIsoMs(t.start), durationMs: t.durationMs, traceId: t.traceId, href: traceHref(sp, t.traceId, undefined, parseIsoMs(t.start)), label: `${t.rootService} · ${t.rootName}`,
  });
  const maxDuration = Math.max(1e-9, ...traces.map((t) => t.durationMs));

  return (
    <section>
      <PageHeader title="Traces" sub={<>{describeRange(q)} · {formatCount(traces.length)} trace{traces.length === 1 ? '' : 's'} shown{traces.length === q.limit ? ` (the first ${q.limit}; narrow the search or raise the limit)` : ''}</>}>
        <Link href={deltasHref(sp, { cohort: q.status === 'error' ? 'failed' : 'slow', channel: q.channel, gateway: q.gateway })} data-testid="deltas-link">
          What do {q.status === 'error' ? 'failed' : 'slow'} payments have in common?
        </Link>
      </PageHeader>
      <FilterBar
        params={formParams(sp)}
        submitLabel="Search"
        fields={[
          { name: 'traceId', label: 'Trace id', type: 'search', placeholder: '32 hex digits' },
          { name: 'orderId', label: 'Order id', type: 'search', placeholder: 'payment.order_id' },
          { name: 'service', label: 'Service', options: values.services },
          { name: 'name', label: 'Span name', type: 'search' },
          { name: 'attr', label: 'Attribute', type: 'search', placeholder: 'key:value' },
          { name: 'stage', label: 'Stage', options: values.stages },
          { name: 'channel', label: 'Channel', options: values.channels },
          { name: 'gateway', label: 'Gateway', options: values.gateways },
          { name: 'status', label: 'Status', options: ['error', 'ok'], allLabel: 'any' },
          { name: 'minDurationMs', label: 'Duration ≥ (ms)', type: 'number' },
          { name: 'maxDurationMs', label: 'Duration ≤ (ms)', type: 'number' },
          { name: 'match', label: 'Filters hold on', options: [{ value: 'span', label: 'one span' }], allLabel: 'any spans of the trace' },
          { name: 'sort', label: 'Order', options: [{ value: 'recent', label: 'most recent' }, { value: 'duration', label: 'slowest' }], allLabel: 'most recent' },
        ]}
      />
      {badTraceId && <p className="error" role="alert">A trace id is 16 to 64 hexadecimal characters; “{rawTraceId}” is not one.</p>}
      <ParamProblems problems={problems} />
      {q.orderId && (
        <p>All traces of this payment on one timeline: <Link href={paymentHref(sp, q.orderId)}>payment {q.orderId}</Link></p>
      )}
      {empty ? (
        <NoSpansYet />
      ) : traces.length === 0 ? (
        badTraceId ? null : <NothingHere what="traces match" longerRange={href('/traces', { ...flatParams(sp), range: '7d', from: undefined, to: undefined })} />
      ) : (
        <>
          <DurationScatter spanMs={spanMs} ok={traces.filter((t) => !t.error).map(point)} errors={traces.filter((t) => t.error).map(point)} />
          <h2>Results</h2>
          <div className="table-wrap">
            <table data-testid="traces">
              <thead>
                <tr><th>trace</th><th>started (UTC)</th><th>root</th><th className="num">duration</th><th className="num">spans</th><th>status</th></tr>
              </thead>
              <tbody>
                {traces.map((t) => (
                  <tr key={t.traceId} data-trace-id={t.traceId}>
                    <td><Link href={traceHref(sp, t.traceId, undefined, parseIsoMs(t.start))} title={t.traceId}><code>{shortId(t.traceId, 16)}</code></Link></td>
                    <td>{formatTime(t.start, true)}</td>
                    <td><Swatch name={t.rootService} /> <span className="muted">{t.rootName}</span></td>
                    <td className="num">
                      <div className="bar-cell">
                        <span className="bar" style={{ width: `${Math.max(2, (t.durationMs / maxDuration) * 120)}px`, background: t.error ? 'var(--bad)' : undefined }} />
                        <span>{formatMs(t.durationMs)}</span>
                      </div>
                    </td>
                    <td className="num">{formatCount(t.spanCount)}</td>
                    <td>{t.error ? <span className="badge error">error</span> : <span className="badge ok">ok</span>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}
