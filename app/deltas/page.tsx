import Link from 'next/link';
import { NoSpansYet } from '@/components/EmptyState';
import { FilterBar } from '@/components/FilterBar';
import { Kpi } from '@/components/Kpi';
import { PageHeader } from '@/components/PageHeader';
import { ParamProblems } from '@/components/ParamProblems';
import { deltas, DeltasQuery } from '@/lib/api/deltas';
import { cachedFilterValues } from '@/lib/api/filter-values';
import { parsePageParams } from '@/lib/api/params';
import { hasAnySpans } from '@/lib/queries/overview';
import { getStore } from '@/lib/store/store';
import { deltaPaymentsHref } from '@/lib/ui/deltas';
import { formatCount, formatMs, formatPct } from '@/lib/ui/format';
import { flatParams, pageHref } from '@/lib/ui/links';
import { describeRange, type SearchParams } from '@/lib/ui/time-range';

export const dynamic = 'force-dynamic';
export const metadata = { title: "What's different" };

const COHORTS = [
  { value: 'failed', label: 'failed payments' },
  { value: 'slow', label: 'slow payments' },
  { value: 'stuck', label: 'stuck payments' },
] as const;

/** Attribute values over-represented among failed, slow or stuck payments, as bars: the cohort's share against the others'. */
export default async function DeltasPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const sp = await searchParams;
  // The page opens on failed payments; the API asks for the cohort explicitly.
  const parsed = parsePageParams(DeltasQuery, { ...sp, cohort: typeof sp.cohort === 'string' && sp.cohort ? sp.cohort : 'failed' });
  const q = parsed.query;
  const store = await getStore();
  const [r, values] = await Promise.all([deltas(store, { query: q }), cachedFilterValues(store, q)]);
  if (r.cohort.count === 0 && r.baseline.count === 0 && !(await hasAnySpans(store))) {
    return <section><PageHeader title="What's different" /><NoSpansYet /></section>;
  }
  const cohortLabel = COHORTS.find((c) => c.value === q.cohort)!.label;
  const others = q.cohort === 'slow' ? 'faster succeeded payments' : 'other payments';
  // The slow threshold that applied (the p90 unless given) for the value links, cut to whole µs
  // downwards (links carry µs) so the payment at the threshold stays in the list.
  const slowMs = Math.floor((r.slowMs ?? 0) * 1000) / 1000 || undefined;
  const scale = Math.max(0.0001, ...r.attributes.flatMap((a) => [a.cohortShare, a.baselineShare]));

  return (
    <section>
      <PageHeader
        title="What's different"
        sub={<>{describeRange(q)} · what {cohortLabel} have in common that {others} do not{r.slowMs !== null && <> · slow = end to end ≥ {formatMs(r.slowMs)}</>}</>}
      />
      <FilterBar
        params={flatParams(sp)}
        fields={[
          // The empty choice is the default cohort, failed.
          { name: 'cohort', label: 'Compare', options: COHORTS.filter((c) => c.value !== 'failed').map((c) => ({ value: c.value, label: c.label })), allLabel: 'failed payments' },
          { name: 'channel', label: 'Channel', options: values.channels, allLabel: 'all channels' },
          { name: 'gateway', label: 'Gateway', options: values.gateways, allLabel: 'all gateways' },
          ...(q.cohort === 'slow' ? [{ name: 'slowMs', label: 'Slow from (ms, default p90)', type: 'number' as const }] : []),
        ]}
      />
      <ParamProblems problems={parsed.problems} />
      <div className="kpis" role="group" aria-label="Key numbers">
        <Kpi id="cohort" label={cohortLabel} value={formatCount(r.cohort.count)} hint={r.cohort.sampled < r.cohort.count ? `attributes read from ${formatCount(r.cohort.sampled)} of them` : undefined} />
        <Kpi id="baseline" label={others} value={formatCount(r.baseline.count)} hint={r.baseline.sampled < r.baseline.count ? `attributes read from ${formatCount(r.baseline.sampled)} of them` : undefined} />
      </div>
      {r.attributes.length === 0 ? (
        <p className="empty" data-testid="deltas-empty">
          {r.cohort.count === 0 ? `No ${cohortLabel} in this range: nothing to compare.` : `No attribute value is more common among ${cohortLabel} than among ${others}.`}
          {' '}Try a longer range or another cohort.
        </p>
      ) : (
        <>
          <p className="section-note">
            Each value: the share of {cohortLabel} that carry it (dark) against the share of {others} (light), most over-represented first.
            Ranked by how sure the difference is, so a value on a handful of payments does not come first. Click a value for those payments.
          </p>
          {r.attributes[0].score <= 0 && (
            <p className="muted small" data-testid="deltas-weak">None of these stands out beyond chance with this many payments: widen the range before drawing conclusions.</p>
          )}
          <div className="table-wrap">
            <table data-testid="deltas">
              <thead>
                <tr><th>attribute</th><th>value</th><th>{cohortLabel} vs {others}</th><th className="num">×</th></tr>
              </thead>
              <tbody>
                {r.attributes.map((a) => {
                  const link = deltaPaymentsHref(sp, { ...q, slowMs }, a.key, a.value);
                  return (
                    <tr key={`${a.key}\u0000${a.value}`} data-key={a.key} data-value={a.value}>
                      <td><code>{a.key}</code></td>
                      <td><Link href={link}>{a.value}</Link></td>
                      <td style={{ minWidth: '16rem' }}>
                        <div className="bar-cell" style={{ justifyContent: 'flex-start' }} title={`${formatCount(a.cohortCount)} of ${formatCount(r.cohort.sampled)}`}>
                          <span className="bar" style={{ width: `${(a.cohortShare / scale) * 12}rem` }} />
                          <span data-share="cohort">{formatPct(a.cohortShare)}</span>
                        </div>
                        <div className="bar-cell" style={{ justifyContent: 'flex-start' }} title={`${formatCount(a.baselineCount)} of ${formatCount(r.baseline.sampled)}`}>
                          <span className="bar" style={{ width: `${(a.baselineShare / scale) * 12}rem`, opacity: 0.3 }} />
                          <span data-share="baseline" className="muted">{formatPct(a.baselineShare)}</span>
                        </div>
                      </td>
                      <td className="num">{a.lift >= 10 ? a.lift.toFixed(0) : a.lift.toFixed(1)}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
          <p className="muted small">
            Compare with <Link href={pageHref('/payments', sp, { outcome: q.cohort === 'failed' ? 'failed' : q.cohort === 'stuck' ? 'pending' : undefined, channel: q.channel })}>the payments list</Link>.
          </p>
        </>
      )}
    </section>
  );
}
