import Link from 'next/link';
import { notFound } from 'next/navigation';
import { PageHeader } from '@/components/PageHeader';
import { Swatch } from '@/components/Swatch';
import { Waterfall } from '@/components/waterfall/Waterfall';
import { TraceIdParam } from '@/lib/api/schemas';
import { getTraceOutline } from '@/lib/queries/traces';
import { getStore } from '@/lib/store/store';
import { formatCount, formatMs, formatTime } from '@/lib/ui/format';
import { href, param, paymentHref, timeParams, traceHintOf, tracesHref } from '@/lib/ui/links';
import { toWaterfallData } from '@/lib/ui/waterfall-data';
import type { SearchParams } from '@/lib/ui/time-range';

export const dynamic = 'force-dynamic';

export async function generateMetadata({ params }: { params: Promise<{ traceId: string }> }) {
  const { traceId } = await params;
  return { title: `Trace ${traceId.slice(0, 12)}` };
}

/** One trace: its waterfall with the critical path, span details, and where its time went. */
export default async function TracePage({ params, searchParams }: { params: Promise<{ traceId: string }>; searchParams: Promise<SearchParams> }) {
  const [{ traceId: raw }, sp] = await Promise.all([params, searchParams]);
  // The id as GET /api/traces/{traceId} reads it; one that is no trace id is not found.
  const id = TraceIdParam.safeParse({ traceId: raw });
  if (!id.success) notFound();
  const { traceId } = id.data;
  const store = await getStore();
  // Read where the link says the trace is; all of history when it says nothing or the trace is not there.
  // Without the spans' details: the waterfall fetches them from the JSON API when first wanted.
  const hint = traceHintOf(sp);
  const hinted = hint && (await getTraceOutline(store, traceId, hint));
  const trace = hinted || (await getTraceOutline(store, traceId));
  if (!trace) notFound();

  const data = toWaterfallData(trace.spans, {
    critical: { [traceId]: trace.criticalPath },
    segments: trace.criticalPathSegments.map((s) => ({ ...s, traceId })),
  });
  let start = Infinity;
  let end = -Infinity;
  for (const s of trace.spans) {
    start = Math.min(start, s.startMs);
    end = Math.max(end, s.startMs + s.durationMs);
  }
  const root = trace.spans.find((s) => !s.parentSpanId) ?? trace.spans[0];
  const errors = trace.spans.filter((s) => s.status === 'error').length;
  const services = [...new Set(trace.spans.map((s) => s.service))].sort();
  const orders = [...new Set(trace.spans.map((s) => s.orderId).filter(Boolean))].sort();
  // Where the critical path's time went, per service.
  const byId = new Map(trace.spans.map((s) => [s.spanId, s]));
  const critByService = new Map<string, number>();
  let critTotal = 0;
  for (const seg of trace.criticalPathSegments) {
    const svc = byId.get(seg.spanId)?.service ?? '?';
    critByService.set(svc, (critByService.get(svc) ?? 0) + seg.endMs - seg.startMs);
    critTotal += seg.endMs - seg.startMs;
  }
  const critTop = [...critByService].sort((a, b) => b[1] - a[1]).slice(0, 5);
  const keep = timeParams(sp);

  return (
    <section>
      <PageHeader
        title={`${root.service} · ${root.name}`}
        sub={<>trace <code data-testid="trace-id">{traceId}</code> · started {formatTime(start, true)} UTC</>}
      >
        <Link href={tracesHref(sp, {})}>← back to traces</Link>
      </PageHeader>
      <div className="kpis" role="group" aria-label="Trace summary">
        <div className="kpi" data-kpi="duration"><div className="label">Duration</div><div className="value">{formatMs(end - start)}</div></div>
        <div className="kpi" data-kpi="spans"><div className="label">Spans</div><div className="value">{formatCount(trace.spans.length)}</div></div>
        <div className="kpi" data-kpi="errors"><div className="label">Errors</div><div className="value">{formatCount(errors)}</div></div>
        <div className="kpi" data-kpi="critical-path">
          <div className="label">Critical path</div>
          <div className="value">{formatCount(trace.criticalPath.length)} spans</div>
          <div className="hint">{critTop.map(([s, ms]) => `${s} ${Math.round((ms / Math.max(critTotal, 1e-9)) * 100)}%`).join(' · ')}</div>
        </div>
      </div>
      <p className="small">
        Services: {services.map((s, i) => <span key={s}>{i > 0 && ', '}<Swatch name={s} /></span>)}
        {orders.length > 0 && (
          <> · Payment{orders.length > 1 ? 's' : ''}: {orders.slice(0, 5).map((o, i) => (
            <span key={o}>{i > 0 && ', '}<Link href={paymentHref(sp, o, start)} data-testid="payment-link">{o}</Link></span>
          ))} (every trace of the payment, callbacks included)</>
        )}
      </p>
      <Waterfall
        data={JSON.stringify(data)}
        detailsUrl={href(`/api/traces/${traceId}`, hinted && hint ? { from: hint.from.getTime(), to: hint.to.getTime() } : {})}
        initialSpanId={param(sp, 'span')}
        paymentHrefBase={href('', keep)}
      />
    </section>
  );
}
