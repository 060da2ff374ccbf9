import { NoSpansYet, NothingHere } from '@/components/EmptyState';
import { FilterBar } from '@/components/FilterBar';
import { NumLink } from '@/components/Kpi';
import { PageHeader } from '@/components/PageHeader';
import { ServiceMap } from '@/components/ServiceMap';
import { Swatch } from '@/components/Swatch';
import { ParamProblems } from '@/components/ParamProblems';
import { hops as slowestHops } from '@/lib/api/operations';
import { parsePageParams } from '@/lib/api/params';
import { HopsQuery } from '@/lib/api/schemas';
import type { HopRow } from '@/lib/queries/hops';
import { hasAnySpans } from '@/lib/queries/overview';
import { getStore } from '@/lib/store/store';
import { cachedFilterValues } from '@/lib/api/filter-values';
import { formatCount, formatMs, formatPct } from '@/lib/ui/format';
import { flatParams, href, tracesHref, type TraceFilters } from '@/lib/ui/links';
import { describeRange, type SearchParams } from '@/lib/ui/time-range';

export const dynamic = 'force-dynamic';
export const metadata = { title: 'Hops' };

/** Service→service and service→gateway edges, slowest first, with their share of the critical path. */
export default async function HopsPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const sp = await searchParams;
  const { query: range, problems } = parsePageParams(HopsQuery, sp);
  const { channel, gateway } = range;
  const store = await getStore();
  const [{ hops, criticalPathTraces }, values] = await Promise.all([
    slowestHops(store, { query: range }),
    cachedFilterValues(store, range),
  ]);
  if (!hops.length && !(await hasAnySpans(store))) {
    return <section><PageHeader title="Hops" /><NoSpansYet /></section>;
  }
  // The traces behind a hop: the caller's, narrowed to the callee (a gateway, or a called service).
  const filtersOf = (h: HopRow): TraceFilters => ({
    channel,
    ...(h.toKind === 'gateway' ? { service: h.from, gateway: h.to } : h.toKind === 'service' ? { service: h.to, gateway } : { service: h.from, gateway }),
  });
  const maxShare = Math.max(1e-9, ...hops.map((h) => h.criticalPathShare));

  return (
    <section>
      <PageHeader title="Hops" sub={<>{describeRange(range)} · calls between services and to gateways, slowest p95 first</>} />
      <FilterBar
        params={flatParams(sp)}
        fields={[
          { name: 'channel', label: 'Channel', options: values.channels, allLabel: 'all channels' },
          { name: 'gateway', label: 'Gateway', options: values.gateways, allLabel: 'all gateways' },
        ]}
      />
      <ParamProblems problems={problems} />
      {hops.length === 0 ? (
        <NothingHere what="hops" longerRange={href('/hops', { ...flatParams(sp), range: '7d', from: undefined, to: undefined })}>
          <p>A hop is a client span (with <code>server.address</code> or <code>payment.gateway</code>) and the server span it called.</p>
        </NothingHere>
      ) : (
        <>
          <h2>Service map</h2>
          <p className="section-note">Edge width: calls · colour: error rate (grey &lt; 1%, orange &lt; 5%, red above) · label: p95. Click a service, gateway or edge for its traces.</p>
          <ServiceMap
            hops={hops.map((h) => ({ ...h, href: tracesHref(sp, filtersOf(h)) }))}
            nodeHref={(id, kind) => tracesHref(sp, kind === 'gateway' ? { gateway: id, channel } : kind === 'service' ? { service: id, channel, gateway } : { channel, gateway })}
          />
          <h2>Slowest hops</h2>
          <p className="section-note">
            Critical-path share: of the time on the critical path of {formatCount(criticalPathTraces)} sampled traces, the part spent in this hop (the call, less what the callee spent in its own calls).
          </p>
          <div className="table-wrap">
            <table data-testid="hops">
              <thead>
                <tr>
                  <th>from</th><th>to</th><th className="num">calls</th><th className="num">p50</th><th className="num">p95</th><th className="num">p99</th>
                  <th className="num">error rate</th><th className="num">self time</th><th className="num">critical-path share</th>
                </tr>
              </thead>
              <tbody>
                {hops.map((h) => {
                  const f = filtersOf(h);
                  return (
                    <tr key={`${h.from}>${h.to}>${h.toKind}`} data-hop={`${h.from}>${h.to}`}>
                      <td><Swatch name={h.from} /></td>
                      <td><Swatch name={h.to} /> {h.toKind !== 'service' && <span className="badge neutral">{h.toKind}</span>}</td>
                      <td className="num"><NumLink href={tracesHref(sp, f)}>{formatCount(h.calls)}</NumLink></td>
                      {[h.p50Ms, h.p95Ms, h.p99Ms].map((v, i) => (
                        <td key={i} className="num"><NumLink href={v !== null ? tracesHref(sp, { ...f, minDurationMs: v }) : undefined}>{formatMs(v)}</NumLink></td>
                      ))}
                      <td className="num"><NumLink href={tracesHref(sp, { ...f, status: 'error' })}>{formatPct(h.errorRate)}</NumLink></td>
                      <td className="num">{formatMs(h.selfMs)}</td>
                      <td className="num">
                        <div className="bar-cell">
                          <span className="bar" style={{ width: `${Math.max(1, (h.criticalPathShare / maxShare) * 80)}px` }} />
                          <span>{formatPct(h.criticalPathShare)}</span>
                        </div>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}
