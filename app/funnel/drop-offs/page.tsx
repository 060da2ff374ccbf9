import Link from 'next/link';
import { NothingHere } from '@/components/EmptyState';
import { PageHeader } from '@/components/PageHeader';
import { Swatch } from '@/components/Swatch';
import { DEFAULT_FLOW_KEY } from '@/lib/analytics/funnel';
import { ParamProblems } from '@/components/ParamProblems';
import { parsePageParams } from '@/lib/api/params';
import { DropOffsQuery } from '@/lib/api/schemas';
import { listFunnelDropOffs } from '@/lib/queries/funnel-drop-offs';
import { DEFAULT_FUNNEL_ID, getSavedFunnel } from '@/lib/queries/funnels';
import { getStore } from '@/lib/store/store';
import { formatCount, formatTime, shortId } from '@/lib/ui/format';
import { deltasHref } from '@/lib/ui/deltas';
import { pageHref, param, paymentHref, traceHref } from '@/lib/ui/links';
import { describeRange, type SearchParams } from '@/lib/ui/time-range';

export const dynamic = 'force-dynamic';
export const metadata = { title: 'Funnel drop-offs' };

/** The flows behind one drop-off number of the Funnel page. */
export default async function DropOffsPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const sp = await searchParams;
  const { query: range, problems } = parsePageParams(DropOffsQuery, sp);
  const { channel, gateway, step } = range;
  const store = await getStore();
  const funnel = await getSavedFunnel(store, param(sp, 'funnel') ?? DEFAULT_FUNNEL_ID);
  const back = pageHref('/funnel', sp, { funnel: funnel?.id, channel, gateway });
  if (!funnel || step < 1 || step >= funnel.steps.length) {
    return (
      <section>
        <PageHeader title="Funnel drop-offs" />
        <p className="error" role="alert">No such funnel step. <Link href={back}>Back to the funnel</Link>.</p>
      </section>
    );
  }
  const { flows, total } = await listFunnelDropOffs(store, { ...range, funnel, step, channel, gateway, limit: 200 });
  const byOrder = funnel.flowKey === DEFAULT_FLOW_KEY;
  return (
    <section>
      <PageHeader
        title={`Left before “${funnel.steps[step].name}”`}
        sub={<>{describeRange(range)} · funnel {funnel.name}: reached “{funnel.steps[step - 1].name}”, not “{funnel.steps[step].name}”{channel && <> · channel <Swatch name={channel} /></>}{gateway && <> · gateway <Swatch name={gateway} /></>} · {formatCount(total)} flows</>}
      >
        <Link href={back}>← funnel</Link>
        <Link href={deltasHref(sp, { cohort: 'failed', channel, gateway })} data-testid="deltas-link">What do failed payments have in common?</Link>
      </PageHeader>
      <ParamProblems problems={problems} />
      {flows.length === 0 ? (
        <NothingHere what="drop-offs" />
      ) : (
        <div className="table-wrap">
          <table data-testid="drop-offs">
            <thead>
              <tr><th>{byOrder ? 'order' : funnel.flowKey}</th><th>channel</th><th>gateway</th><th>reached “{funnel.steps[step - 1].name}” (UTC)</th><th>last stage seen</th><th>error code</th><th>traces</th></tr>
            </thead>
            <tbody>
              {flows.map((f) => (
                <tr key={`${f.flow} ${f.lastStepAt}`} data-flow={f.flow}>
                  <td>{byOrder ? <Link href={paymentHref(sp, f.flow)}><code>{f.flow}</code></Link> : <code>{f.flow}</code>}</td>
                  <td>{f.channel ? <Swatch name={f.channel} /> : '—'}</td>
                  <td>{f.gateway ? <Swatch name={f.gateway} /> : '—'}</td>
                  <td>{formatTime(f.lastStepAt)}</td>
                  <td>{f.lastStage || '—'}</td>
                  <td>{f.errorCode || '—'}</td>
                  <td>{f.traceIds.slice(0, 4).map((t, i) => <span key={t}>{i > 0 && ' · '}<Link href={traceHref(sp, t)} title={t}><code>{shortId(t, 8)}</code></Link></span>)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {total > flows.length && <p className="muted small">Showing {flows.length} of {formatCount(total)}, most recent first.</p>}
        </div>
      )}
    </section>
  );
}
