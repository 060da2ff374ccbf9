import Link from 'next/link';
import { NoSpansYet, NothingHere } from '@/components/EmptyState';
import { FilterBar } from '@/components/FilterBar';
import { HealthBadge } from '@/components/HealthBadge';
import { Kpi, NumLink } from '@/components/Kpi';
import { PageHeader } from '@/components/PageHeader';
import { Swatch } from '@/components/Swatch';
import { BarsChart } from '@/components/charts/lazy';
import { AlertStrip } from '@/components/AlertMarker';
import { ParamProblems } from '@/components/ParamProblems';
import { impact as moneyAtStake } from '@/lib/api/impact';
import { gateways as gatewayHealth } from '@/lib/api/operations';
import { parsePageParams } from '@/lib/api/params';
import { GatewaysQuery } from '@/lib/api/schemas';
import { hasAnySpans } from '@/lib/queries/overview';
import { getStore } from '@/lib/store/store';
import { cachedFilterValues } from '@/lib/api/filter-values';
import { colorFor } from '@/lib/ui/colors';
import { formatCount, formatMoney, formatMs, formatPct } from '@/lib/ui/format';
import { topStake } from '@/lib/ui/money';
import { deltasHref } from '@/lib/ui/deltas';
import { flatParams, href, pageHref, tracesHref } from '@/lib/ui/links';
import { describeRange, type SearchParams } from '@/lib/ui/time-range';

export const dynamic = 'force-dynamic';
export const metadata = { title: 'Gateways' };

/** Per gateway (and channel): traffic, errors by class, timeouts, latency, top error codes, health against its baseline, money at stake. */
export default async function GatewaysPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const sp = await searchParams;
  const { query: range, problems } = parsePageParams(GatewaysQuery, sp);
  const { channel, split } = range;
  const store = await getStore();
  const [{ gateways }, values, money] = await Promise.all([
    gatewayHealth(store, { query: range }),
    cachedFilterValues(store, range),
    moneyAtStake(store, { query: { from: range.from, to: range.to, channel } }),
  ]);
  if (!gateways.length && !(await hasAnySpans(store))) {
    return <section><PageHeader title="Gateways" /><NoSpansYet /></section>;
  }
  const label = (g: (typeof gateways)[number]) => (g.channel !== undefined ? `${g.gateway} · ${g.channel || '(none)'}` : g.gateway);
  const traces = (g: (typeof gateways)[number], extra: Parameters<typeof tracesHref>[1] = {}) =>
    tracesHref(sp, { gateway: g.gateway, channel: g.channel || channel, ...extra });
  const failing = gateways.filter((g) => g.health === 'failing').length;
  const degraded = gateways.filter((g) => g.health === 'degraded').length;
  const requests = gateways.reduce((a, g) => a + g.requests, 0);
  const stakeOf = new Map(money.byGateway.map((g) => [g.gateway, g]));
  const providerFailed = money.byGateway.reduce((a, g) => a + g.providerFailed.amount, 0);
  const top = topStake(money);
  const classes = (g: (typeof gateways)[number]) =>
    Object.entries(g.errorClasses).filter(([, n]) => n > 0).map(([c, n]) => `${c.replace('_', ' ')} ${formatCount(n)}`).join(' · ');

  return (
    <section>
      <PageHeader title="Gateways" sub={<>{describeRange(range)} · outbound calls to payment providers; health against each gateway’s own previous 24 hours</>}>
        <Link href={deltasHref(sp, { cohort: 'failed', channel: range.channel })} data-testid="deltas-link">What do failed payments have in common?</Link>
      </PageHeader>
      <FilterBar
        params={flatParams(sp)}
        fields={[
          { name: 'channel', label: 'Channel', options: values.channels, allLabel: 'all channels' },
          { name: 'split', label: 'Rows', options: [{ value: 'channel', label: 'per gateway and channel' }], allLabel: 'per gateway' },
        ]}
      />
      <ParamProblems problems={problems} />
      {gateways.length === 0 ? (
        <NothingHere what="gateway calls" longerRange={href('/gateways', { ...flatParams(sp), range: '7d', from: undefined, to: undefined })}>
          <p>Gateway calls are client spans with <code>payment.gateway</code>, or with a provider host in <code>server.address</code> / <code>url.full</code>.</p>
        </NothingHere>
      ) : (
        <>
          <div className="kpis" role="group" aria-label="Key numbers">
            <Kpi id="gateways" label={split ? 'Gateway · channel rows' : 'Gateways'} value={formatCount(gateways.length)} />
            <Kpi id="requests" label="Requests" value={formatCount(requests)} href={tracesHref(sp, { channel, stage: 'gateway.request' })} />
            <Kpi id="failing" label="Failing" value={formatCount(failing)} hint={gateways.filter((g) => g.health === 'failing').map(label).join(', ') || 'none'} />
            <Kpi id="degraded" label="Degraded" value={formatCount(degraded)} hint={gateways.filter((g) => g.health === 'degraded').map(label).join(', ') || 'none'} />
            <Kpi id="money-stuck" label="Money stuck" value={formatMoney(money.stuck.amount, money.currency)} href={pageHref('/stuck', sp, {})} hint={`${formatCount(money.stuck.count)} payments past their callback SLA`} />
            <Kpi id="money-failed" label="Money failed" value={formatMoney(money.failed.amount, money.currency)} hint={`${formatMoney(providerFailed, money.currency)} on the provider's side`} />
          </div>
          {top && <p className="section-note" data-testid="top-stake">Most at stake: <strong>{top}</strong></p>}
          <div className="table-wrap">
            <table data-testid="gateways">
              <thead>
                <tr>
                  <th>gateway</th>{split && <th>channel</th>}<th>health</th><th className="num">requests</th><th className="num">error rate</th><th className="num" title="provider_error, timeout, network: what health is judged on">provider errors</th><th className="num">declines</th><th className="num">timeout rate</th>
                  <th className="num">p50</th><th className="num">p95</th><th className="num">p99</th><th className="num">baseline p95 · errors</th><th>top errors · classes</th>{!split && <th className="num">money failed · stuck</th>}
                </tr>
              </thead>
              <tbody>
                {gateways.map((g) => (
                  <tr key={label(g)} data-gateway={g.gateway} data-channel={g.channel}>
                    <td><Link href={traces(g)}><Swatch name={g.gateway} /></Link></td>
                    {split && <td><Swatch name={g.channel || '(none)'} /></td>}
                    <td>
                      <HealthBadge health={g.health} reasons={g.healthReasons} />
                      <div className="muted small">{g.healthReasons[0]}</div>
                    </td>
                    <td className="num"><NumLink href={traces(g)}>{formatCount(g.requests)}</NumLink></td>
                    <td className="num"><NumLink href={traces(g, { status: 'error' })}>{formatPct(g.errorRate)}</NumLink></td>
                    <td className="num" data-col="provider-errors" title={`baseline ${formatPct(g.baseline.providerErrorRate)}`}>{formatPct(g.providerErrorRate)}</td>
                    <td className="num" data-col="declines">{formatPct(g.declineRate)}</td>
                    <td className="num"><NumLink href={traces(g, { status: 'error' })} title="timeouts count as errors">{formatPct(g.timeoutRate)}</NumLink></td>
                    {[g.p50Ms, g.p95Ms, g.p99Ms].map((v, i) => (
                      <td key={i} className="num"><NumLink href={v !== null ? traces(g, { minDurationMs: v }) : undefined}>{formatMs(v)}</NumLink></td>
                    ))}
                    <td className="num muted">{g.baseline.requests ? `${formatMs(g.baseline.p95Ms)} · ${formatPct(g.baseline.errorRate)}` : 'no baseline'}</td>
                    <td className="small">
                      {g.topErrors.length === 0 ? <span className="muted">—</span> : g.topErrors.map((e) => (
                        <div key={e.code} style={{ whiteSpace: 'nowrap' }}><NumLink href={traces(g, { status: 'error' })}><code>{e.code}</code> × {formatCount(e.count)}</NumLink></div>
                      ))}
                      {classes(g) && <div className="muted" data-col="classes">{classes(g)}</div>}
                    </td>
                    {!split && (
                      <td className="num" data-col="money">
                        {formatMoney(stakeOf.get(g.gateway)?.failed.amount ?? 0, money.currency)} · {formatMoney(stakeOf.get(g.gateway)?.stuck.amount ?? 0, money.currency)}
                      </td>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <p className="section-note" style={{ marginTop: 8 }}>
            Error rate counts every failed call, timeouts included; health is judged on provider errors (provider_error, timeout, network) and
            latency, so a wave of declines does not make a gateway unhealthy. Money: payments whose last attempt went to the gateway, in{' '}
            {money.currency} at rates as of {money.ratesAsOf}{money.unconverted.count > 0 && `, ${formatCount(money.unconverted.count)} payments in ${money.unconverted.currencies.join(', ') || 'no currency'} not converted`}. Slow calls by hop: <Link href={pageHref('/hops', sp, { channel })}>Hops</Link>.
          </p>
          <AlertStrip from={range.from} to={range.to} label="gateway" />
          <div className="grid-2" style={{ marginTop: 16 }}>
            <BarsChart
              title="Error, provider error and timeout rate"
              unit="pct"
              data={gateways.map((g) => ({ label: label(g), color: colorFor(g.gateway), errorRate: g.errorRate, providerErrorRate: g.providerErrorRate, timeoutRate: g.timeoutRate }))}
              bars={[{ key: 'errorRate', name: 'error rate', color: '#c62828' }, { key: 'providerErrorRate', name: 'provider error rate', color: '#6a1b9a' }, { key: 'timeoutRate', name: 'timeout rate', color: '#b26a00' }]}
            />
            <BarsChart
              title="p95 latency, now and baseline"
              unit="ms"
              data={gateways.map((g) => ({ label: label(g), color: colorFor(g.gateway), p95: g.p95Ms, baseline: g.baseline.p95Ms }))}
              bars={[{ key: 'p95', name: 'p95', color: '#3559e0' }, { key: 'baseline', name: 'baseline p95', color: '#b8c0cc' }]}
            />
          </div>
        </>
      )}
    </section>
  );
}
