import Link from 'next/link';
import { NoSpansYet, NothingHere } from '@/components/EmptyState';
import { FilterBar } from '@/components/FilterBar';
import { Kpi, NumLink } from '@/components/Kpi';
import { PageHeader } from '@/components/PageHeader';
import { Swatch } from '@/components/Swatch';
import { TimeSeriesChart } from '@/components/charts/lazy';
import { ParamProblems } from '@/components/ParamProblems';
import { AlertStrip } from '@/components/AlertMarker';
import { alertMarkers } from '@/lib/api/alerts';
import { parsePageParams } from '@/lib/api/params';
import { OverviewQuery } from '@/lib/api/schemas';
import { getImpact } from '@/lib/queries/impact';
import { getIngestSummary } from '@/lib/queries/ingest-summary';
import { getOverview, hasAnySpans, type OverviewPoint } from '@/lib/queries/overview';
import { getStore } from '@/lib/store/store';
import { cachedFilterValues } from '@/lib/api/filter-values';
import { colorFor } from '@/lib/ui/colors';
import { formatCount, formatMoney, formatMs, formatPct, formatTime } from '@/lib/ui/format';
import { topStake } from '@/lib/ui/money';
import { flatParams, href, pageHref, tracesHref } from '@/lib/ui/links';
import { describeRange, type SearchParams } from '@/lib/ui/time-range';

export const dynamic = 'force-dynamic';
export const metadata = { title: 'Overview' };

const ALL = '*';

/** Chart rows: one per bucket, one column per channel (and `*` for all). */
function chartRows(series: OverviewPoint[], byChannel: Record<string, OverviewPoint[]>, pick: (p: OverviewPoint) => number | null) {
  return series.map((p, i) => {
    const row: Record<string, number | null> = { t: p.startMs, [ALL]: pick(p) };
    for (const [c, s] of Object.entries(byChannel)) row[c] = s[i].payments ? pick(s[i]) : null;
    return row;
  });
}

export default async function OverviewPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const sp = await searchParams;
  const { query: range, problems } = parsePageParams(OverviewQuery, sp);
  const { channel } = range;
  const store = await getStore();
  const moneyAtStake = getImpact(store, { from: range.from, to: range.to, channel });
  const [overview, values, services, markers] = await Promise.all([
    getOverview(store, { ...range, channel }),
    cachedFilterValues(store, range),
    getIngestSummary(store, range),
    alertMarkers(store, range.from, range.to),
  ]);
  const t = overview.total;
  const money = await moneyAtStake;
  const top = topStake(money);
  if (t.payments === 0 && services.length === 0 && !(await hasAnySpans(store))) {
    return (
      <section>
        <PageHeader title="Overview" />
        <NoSpansYet />
      </section>
    );
  }

  const spanMs = range.to.getTime() - range.from.getTime();
  const payments = (extra: Record<string, string | number | undefined>) => pageHref('/payments', sp, { channel, ...extra });
  const series = [
    { key: ALL, name: channel ? channel : 'all channels', color: '#1b1f24' },
    ...(channel ? [] : overview.channels.map((c) => ({ key: c.channel, name: c.channel, color: colorFor(c.channel) }))),
  ];

  return (
    <section>
      <PageHeader title="Overview" sub={<>{describeRange(range)}{channel && <> · channel <Swatch name={channel} /></>} · payments that started in the range</>} />
      <FilterBar params={flatParams(sp)} fields={[{ name: 'channel', label: 'Channel', options: values.channels, allLabel: 'all channels' }]} />
      <ParamProblems problems={problems} />

      {t.payments === 0 ? (
        <NothingHere what="payments" longerRange={href('/', { range: '7d', channel })}>
          <p>Spans are arriving (see the services below), but none started a payment (<code>payment.stage = order.create</code>) in this range.</p>
        </NothingHere>
      ) : (
        <>
          <div className="kpis" role="group" aria-label="Key numbers">
            <Kpi id="payments" label="Payments" value={formatCount(t.payments)} href={payments({})} />
            <Kpi id="success-rate" label="Success rate" value={formatPct(t.successRate)} href={payments({ outcome: 'succeeded' })} hint={`${formatCount(t.succeeded)} succeeded`} />
            <Kpi id="failed" label="Failed" value={formatCount(t.failed)} href={payments({ outcome: 'failed' })} hint={formatPct(t.payments ? t.failed / t.payments : 0)} />
            <Kpi id="pending" label="Pending" value={formatCount(t.pending)} href={payments({ outcome: 'pending' })} hint="waiting for a callback or confirm" />
            <Kpi id="p50" label="End-to-end p50" value={formatMs(t.p50Ms)} href={t.p50Ms !== null ? payments({ minE2eMs: t.p50Ms, sort: 'slowest' }) : undefined} />
            <Kpi id="p95" label="End-to-end p95" value={formatMs(t.p95Ms)} href={t.p95Ms !== null ? payments({ minE2eMs: t.p95Ms, sort: 'slowest' }) : undefined} />
            <Kpi id="p99" label="End-to-end p99" value={formatMs(t.p99Ms)} href={t.p99Ms !== null ? payments({ minE2eMs: t.p99Ms, sort: 'slowest' }) : undefined} />
          </div>

          <h2>Money at stake</h2>
          <div className="kpis" role="group" aria-label="Money at stake">
            <Kpi id="money-failed" label="Failed" value={formatMoney(money.failed.amount, money.currency)} href={payments({ outcome: 'failed' })} hint={`${formatCount(money.failed.count)} payments`} />
            <Kpi id="money-stuck" label="Stuck" value={formatMoney(money.stuck.amount, money.currency)} href={pageHref('/stuck', sp, {})} hint={`${formatCount(money.stuck.count)} past their callback SLA`} />
            <Kpi id="money-inconsistent" label="Paid, order not completed" value={formatMoney(money.inconsistent.amount, money.currency)} href={pageHref('/stuck', sp, {})} hint={`${formatCount(money.inconsistent.count)} payments`} />
            <Kpi id="money-double" label="Charged twice" value={formatMoney(money.doubleCharged.amount, money.currency)} href={pageHref('/retries', sp, {})} hint={`${formatCount(money.doubleCharged.count)} orders`} />
          </div>
          <p className="section-note" data-testid="money-note">
            {top && <>Most at stake: <strong data-testid="top-stake">{top}</strong>. </>}
            Payments with stage spans in the range, each once by its final outcome, in {money.currency} at rates as of {money.ratesAsOf}
            {money.unconverted.count > 0 && ` (${formatCount(money.unconverted.count)} in ${money.unconverted.currencies.join(', ') || 'no currency'} not converted)`}.{' '}
            Failures by class: {Object.entries(money.failed.byClass).filter(([, m]) => m.count > 0).map(([c, m]) => `${c.replace('_', ' ')} ${formatMoney(m.amount, money.currency)}`).join(' · ') || 'none'}.
          </p>

          <AlertStrip from={range.from} to={range.to} />
          <div className="grid-3">
            <TimeSeriesChart title="Payments started" unit="count" spanMs={spanMs} series={series} markers={markers} data={chartRows(overview.series, channel ? {} : overview.seriesByChannel, (p) => p.payments)} />
            <TimeSeriesChart title="Success rate" unit="pct" spanMs={spanMs} series={series} markers={markers} data={chartRows(overview.series, channel ? {} : overview.seriesByChannel, (p) => (p.payments ? p.successRate : null))} />
            <TimeSeriesChart title="End-to-end p95 (succeeded)" unit="ms" spanMs={spanMs} series={series} markers={markers} data={chartRows(overview.series, channel ? {} : overview.seriesByChannel, (p) => p.p95Ms)} />
          </div>

          <h2>By channel</h2>
          <p className="section-note">End to end: from <code>order.create</code> to the end of a successful <code>order.confirm</code>, callback wait included.</p>
          <div className="table-wrap">
            <table data-testid="channels">
              <thead>
                <tr>
                  <th>channel</th><th className="num">payments</th><th className="num">success rate</th><th className="num">failed</th><th className="num">pending</th>
                  <th className="num">p50</th><th className="num">p95</th><th className="num">p99</th><th>traces</th>
                </tr>
              </thead>
              <tbody>
                {overview.channels.map((c) => {
                  const pay = (extra: Record<string, string | number | undefined>) => pageHref('/payments', sp, { channel: c.channel, ...extra });
                  return (
                    <tr key={c.channel} data-channel={c.channel}>
                      <td><Link href={pageHref('/', sp, { channel: c.channel })} title={`Only ${c.channel}`}><Swatch name={c.channel} /></Link></td>
                      <td className="num"><NumLink href={pay({})}>{formatCount(c.payments)}</NumLink></td>
                      <td className="num"><NumLink href={pay({ outcome: 'succeeded' })}>{formatPct(c.successRate)}</NumLink></td>
                      <td className="num"><NumLink href={pay({ outcome: 'failed' })}>{formatCount(c.failed)}</NumLink></td>
                      <td className="num"><NumLink href={pay({ outcome: 'pending' })}>{formatCount(c.pending)}</NumLink></td>
                      {[c.p50Ms, c.p95Ms, c.p99Ms].map((v, i) => (
                        <td key={i} className="num">
                          <NumLink href={v !== null ? pay({ minE2eMs: v, sort: 'slowest' }) : undefined}>{formatMs(v)}</NumLink>
                        </td>
                      ))}
                      <td>
                        <Link href={tracesHref(sp, { channel: c.channel, stage: 'order.create' })}>checkout</Link>
                        {' · '}
                        <Link href={tracesHref(sp, { channel: c.channel, status: 'error' })}>errors</Link>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        </>
      )}

      <h2>Services sending spans</h2>
      {services.length === 0 ? (
        <p className="muted">No spans in this range.</p>
      ) : (
        <div className="table-wrap">
          <table data-testid="services">
            <thead>
              <tr><th>service</th><th className="num">spans</th><th className="num">errors</th><th>last seen (UTC)</th></tr>
            </thead>
            <tbody>
              {services.map((s) => (
                <tr key={s.service}>
                  <td>{s.service ? <Link href={tracesHref(sp, { service: s.service })}>{s.service}</Link> : '(no service.name)'}</td>
                  <td className="num">{formatCount(s.spans)}</td>
                  <td className="num">{s.errors ? <NumLink href={tracesHref(sp, { service: s.service, status: 'error' })}>{formatCount(s.errors)}</NumLink> : '0'}</td>
                  <td>{formatTime(s.lastSeen)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
