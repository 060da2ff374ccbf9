import Link from 'next/link';
import { Suspense } from 'react';
import { NoSpansYet, NothingHere } from '@/components/EmptyState';
import { FilterBar } from '@/components/FilterBar';
import { FunnelEditor } from '@/components/FunnelEditor';
import { Kpi, NumLink } from '@/components/Kpi';
import { PageHeader } from '@/components/PageHeader';
import { Swatch } from '@/components/Swatch';
import { BarsChart } from '@/components/charts/lazy';
import { DEFAULT_FLOW_KEY, DEFAULT_WINDOW_SEC, type FunnelStepDef, type FunnelStepResult } from '@/lib/analytics/funnel';
import { ParamProblems } from '@/components/ParamProblems';
import { funnel as computeFunnel, stages as stageLatency } from '@/lib/api/operations';
import { parsePageParams } from '@/lib/api/params';
import { FunnelQuery } from '@/lib/api/schemas';
import { DEFAULT_FUNNEL_ID, getSavedFunnel, listFunnels } from '@/lib/queries/funnels';
import { hasAnySpans } from '@/lib/queries/overview';
import { getStore } from '@/lib/store/store';
import { cachedFilterValues } from '@/lib/api/filter-values';
import { colorFor } from '@/lib/ui/colors';
import { formatCount, formatMs, formatPct, formatPp, formatTime } from '@/lib/ui/format';
import { flatParams, href, pageHref, param, timeParams, tracesHref, type TraceFilters } from '@/lib/ui/links';
import { describeRange, type SearchParams } from '@/lib/ui/time-range';
import { deleteFunnelAction } from '@/lib/actions/funnel';

export const dynamic = 'force-dynamic';
export const metadata = { title: 'Funnel' };

/** The trace search for the spans of one step (what trace search can filter on). */
function stepFilters(step: FunnelStepDef, channel?: string, gateway?: string): TraceFilters {
  return { stage: step.stage, service: step.service, channel, gateway };
}

export default async function FunnelPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const sp = await searchParams;
  // `funnel` and `edit` are the page's own (the API names a saved funnel `funnelId`).
  const { query: range, problems } = parsePageParams(FunnelQuery, sp);
  const { channel, gateway, split, compareMode } = range;
  const funnelId = param(sp, 'funnel') ?? DEFAULT_FUNNEL_ID;
  const edit = param(sp, 'edit');
  const store = await getStore();

  const [funnels, saved, values] = await Promise.all([listFunnels(store), getSavedFunnel(store, funnelId), cachedFilterValues(store, range)]);
  const keep = flatParams(sp);
  const returnQuery = href('', { ...timeParams(sp), channel, gateway, split, compare: compareMode });

  if (!saved) {
    return (
      <section>
        <PageHeader title="Funnel" />
        <div className="empty" role="alert">
          <h2>No funnel “{funnelId}”</h2>
          <p>It may have been deleted. <Link href={pageHref('/funnel', sp)}>Open the checkout funnel</Link>.</p>
        </div>
      </section>
    );
  }
  const result = await computeFunnel(store, { query: { ...range, steps: undefined, funnelId: saved.id } });
  const steps = result.steps;
  const entered = steps[0]?.reached ?? 0;
  if (entered === 0 && !(await hasAnySpans(store))) {
    return <section><PageHeader title="Funnel" /><NoSpansYet /></section>;
  }
  const completed = steps[steps.length - 1]?.reached ?? 0;
  const worst = steps.slice(1).reduce<{ i: number; d: number } | null>((w, s, i) => (!w || s.dropOff > w.d ? { i: i + 1, d: s.dropOff } : w), null);
  const dropHref = (k: number, extra: { channel?: string; gateway?: string } = {}) =>
    pageHref('/funnel/drop-offs', sp, { funnel: saved.id, step: k, channel, gateway, ...extra });
  const stepName = (i: number) => saved.steps[i].name;
  const editorFunnel = edit === 'new'
    ? { name: '', flowKey: DEFAULT_FLOW_KEY, windowSec: DEFAULT_WINDOW_SEC, steps: [] }
    : edit && edit === saved.id && !saved.builtIn ? saved : null;

  return (
    <section>
      <PageHeader title={`Funnel: ${saved.name}`} sub={<>{describeRange(range)} · flows joined by <code>{saved.flowKey}</code>, steps within {formatMs(saved.windowSec * 1000)} of step 1</>}>
        <div style={{ display: 'flex', gap: 8, alignItems: 'center' }}>
          <Link href={pageHref('/funnel', sp, { funnel: saved.id, channel, gateway, split, compare: compareMode, edit: 'new' })}>New funnel</Link>
          {!saved.builtIn && (
            <>
              <Link href={pageHref('/funnel', sp, { funnel: saved.id, channel, gateway, split, compare: compareMode, edit: saved.id })}>Edit</Link>
              <form action={deleteFunnelAction}>
                <input type="hidden" name="id" value={saved.id} />
                <input type="hidden" name="return" value={returnQuery} />
                <button type="submit" className="danger" aria-label={`Delete funnel ${saved.name}`}>Delete</button>
              </form>
            </>
          )}
        </div>
      </PageHeader>

      <nav className="chips" aria-label="Funnels" style={{ marginBottom: 10 }}>
        {funnels.map((f) => (
          <Link key={f.id} className="chip" aria-current={f.id === saved.id ? 'true' : undefined} href={pageHref('/funnel', sp, { funnel: f.id, channel, gateway, split, compare: compareMode })}>
            {f.name}{f.builtIn && <span className="muted"> (built in)</span>}
          </Link>
        ))}
      </nav>

      {editorFunnel && (
        <div style={{ marginBottom: 16 }}>
          <FunnelEditor
            funnel={editorFunnel}
            stages={values.stages}
            services={values.services}
            returnQuery={returnQuery}
            cancelHref={pageHref('/funnel', sp, { funnel: saved.id, channel, gateway, split, compare: compareMode })}
          />
        </div>
      )}

      <FilterBar
        params={keep}
        fields={[
          { name: 'channel', label: 'Channel', options: values.channels, allLabel: 'all channels' },
          { name: 'gateway', label: 'Gateway', options: values.gateways, allLabel: 'all gateways' },
          { name: 'split', label: 'Split by', options: ['channel', 'gateway'], allLabel: 'no split' },
          { name: 'compare', label: 'Compare with', options: [{ value: 'previous', label: 'the previous period' }, { value: 'week', label: 'a week earlier' }], allLabel: 'nothing' },
        ]}
      />
      <ParamProblems problems={problems} />

      {entered === 0 ? (
        <NothingHere what="flows entered the funnel" longerRange={href('/funnel', { ...keep, range: '7d', from: undefined, to: undefined })}>
          <p>Step 1 ({stepName(0)}) matched no span in this range.</p>
        </NothingHere>
      ) : (
        <>
          <div className="kpis" role="group" aria-label="Key numbers">
            <Kpi id="entered" label={`Entered (${stepName(0)})`} value={formatCount(entered)} href={tracesHref(sp, stepFilters(saved.steps[0], channel, gateway))} />
            <Kpi id="completed" label={`Completed (${stepName(steps.length - 1)})`} value={formatCount(completed)} href={tracesHref(sp, stepFilters(saved.steps[steps.length - 1], channel, gateway))} />
            <Kpi id="conversion" label="Overall conversion" value={formatPct(steps[steps.length - 1].conversion)}
              hint={result.compare ? `${formatPct(result.compare.steps[steps.length - 1].conversion)} before (${formatPp(steps[steps.length - 1].conversion - result.compare.steps[steps.length - 1].conversion)})` : undefined} />
            {worst && <Kpi id="worst" label="Largest drop-off" value={formatPct(worst.d)} href={dropHref(worst.i)} hint={`before ${stepName(worst.i)}`} />}
          </div>

          <div className="grid-2">
            <div className="table-wrap" style={{ alignSelf: 'start' }}>
              <table data-testid="funnel-steps">
                <thead>
                  <tr>
                    <th>step</th><th className="num">reached</th><th className="num">conversion</th><th className="num">drop-off</th>
                    <th className="num">wait p50</th><th className="num">p95</th><th className="num">p99</th>
                    {result.compare && <><th className="num">before</th><th className="num">Δ conversion</th></>}
                  </tr>
                </thead>
                <tbody>
                  {steps.map((s: FunnelStepResult, i) => {
                    const f = stepFilters(saved.steps[i], channel, gateway);
                    const before = result.compare?.steps[i];
                    const delta = before ? s.conversion - before.conversion : 0;
                    return (
                      <tr key={i} data-step={s.name}>
                        <td>{i + 1}. {s.name}</td>
                        <td className="num"><NumLink href={tracesHref(sp, f)}>{formatCount(s.reached)}</NumLink></td>
                        <td className="num">{formatPct(s.conversion)}</td>
                        <td className="num">{i === 0 ? '—' : <NumLink href={dropHref(i)} title="the flows that left here">{formatPct(s.dropOff)}</NumLink>}</td>
                        {[s.p50Ms, s.p95Ms, s.p99Ms].map((v, j) => (
                          <td key={j} className="num"><NumLink href={v !== null ? tracesHref(sp, { ...f, sort: 'duration' }) : undefined}>{formatMs(v)}</NumLink></td>
                        ))}
                        {before && (
                          <>
                            <td className="num">{formatCount(before.reached)}</td>
                            <td className={`num ${delta > 0.0005 ? 'delta-up' : delta < -0.0005 ? 'delta-down' : ''}`}>{i === 0 ? '—' : formatPp(delta)}</td>
                          </>
                        )}
                      </tr>
                    );
                  })}
                </tbody>
              </table>
              <p className="muted small" style={{ padding: '0.4rem 0.6rem' }}>
                Wait: time from the previous step. Drop-off: flows that reached the previous step and not this one (click for them).
                {result.compare && <> Compared with {formatTime(result.compare.from)} – {formatTime(result.compare.to)} UTC.</>}
              </p>
            </div>
            <BarsChart
              title={result.compare ? 'Flows reaching each step, now and before' : 'Flows reaching each step'}
              unit="count"
              data={steps.map((s, i) => ({ label: `${i + 1}. ${s.name}`, reached: s.reached, before: result.compare?.steps[i].reached ?? null }))}
              bars={[{ key: 'reached', name: 'reached', color: '#3559e0' }, ...(result.compare ? [{ key: 'before', name: 'before', color: '#b8c0cc' }] : [])]}
              labelWidth={150}
            />
          </div>

          {result.splits && (
            <>
              <h2>By {split}</h2>
              <div className="table-wrap">
                <table data-testid="funnel-splits">
                  <thead>
                    <tr>
                      <th>{split}</th>
                      {steps.map((s, i) => <th key={i} className="num">{i + 1}. {s.name}</th>)}
                      <th className="num">conversion</th>
                    </tr>
                  </thead>
                  <tbody>
                    {result.splits.map((sv) => {
                      const extra = split === 'channel' ? { channel: sv.value } : { gateway: sv.value };
                      return (
                        <tr key={sv.value} data-split={sv.value}>
                          <td><Link href={pageHref('/funnel', sp, { funnel: saved.id, compare: compareMode, channel, gateway, ...extra })}><Swatch name={sv.value} /></Link></td>
                          {sv.steps.map((s, i) => (
                            <td key={i} className="num">
                              <NumLink href={tracesHref(sp, { ...stepFilters(saved.steps[i], channel, gateway), ...extra })}>{formatCount(s.reached)}</NumLink>
                              {i > 0 && s.dropOff > 0 && <span className="muted small"> <NumLink href={dropHref(i, extra)} title="drop-off: the flows that left">−{formatPct(s.dropOff)}</NumLink></span>}
                            </td>
                          ))}
                          <td className="num">{formatPct(sv.steps[sv.steps.length - 1].conversion)}</td>
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
              </div>
              <div style={{ marginTop: 12 }}>
                <BarsChart
                  title={`Conversion to the last step, by ${split}`}
                  unit="pct"
                  colorByItem
                  data={result.splits.map((sv) => ({ label: sv.value || '(none)', color: colorFor(sv.value), conversion: sv.steps[sv.steps.length - 1].conversion }))}
                  bars={[{ key: 'conversion', name: 'conversion', color: '#3559e0' }]}
                />
              </div>
            </>
          )}

          <h2>Time in each stage</h2>
          <p className="section-note">
            Every span with <code>payment.stage</code> that started in the range{channel && <> (channel {channel})</>}: how long the stage took, and how long the payment waited
            before it (since the previous stage ended; for the callback, the wait for the gateway).
          </p>
          {/* Below the fold and slower over long ranges: streamed after the funnel. */}
          <Suspense fallback={<p className="muted" data-testid="stage-latency-loading">Loading stage timings…</p>}>
            <StageLatencyTable sp={sp} range={range} channel={channel} />
          </Suspense>
        </>
      )}
    </section>
  );
}

/** Duration and wait per stage (lib/queries/stage-latency.ts), all channels together. */
async function StageLatencyTable({ sp, range, channel }: { sp: SearchParams; range: { from: Date; to: Date }; channel?: string }) {
  const { stages } = await stageLatency(await getStore(), { query: { ...range, channel } });
  const stageRows = stages.filter((s) => s.channel === null);
  return (
    <div className="table-wrap">
      <table data-testid="stage-latency">
        <thead>
          <tr>
            <th>stage</th><th className="num">spans</th><th className="num">error rate</th>
            <th className="num">duration p50</th><th className="num">p95</th><th className="num">p99</th>
            <th className="num">wait before p50</th><th className="num">p95</th><th className="num">p99</th>
          </tr>
        </thead>
        <tbody>
          {stageRows.map((s) => {
            const f = { stage: s.stage, channel };
            return (
              <tr key={s.stage} data-stage={s.stage}>
                <td>{s.stage}</td>
                <td className="num"><NumLink href={tracesHref(sp, f)}>{formatCount(s.count)}</NumLink></td>
                <td className="num"><NumLink href={tracesHref(sp, { ...f, status: 'error' })}>{formatPct(s.errorRate)}</NumLink></td>
                {[s.p50Ms, s.p95Ms, s.p99Ms].map((v, j) => (
                  <td key={j} className="num"><NumLink href={v !== null ? tracesHref(sp, { ...f, minDurationMs: v }) : undefined}>{formatMs(v)}</NumLink></td>
                ))}
                {[s.waitP50Ms, s.waitP95Ms, s.waitP99Ms].map((v, j) => <td key={j} className="num">{formatMs(v)}</td>)}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
