import Link from 'next/link';
import { notFound } from 'next/navigation';
import { StatusBadge } from '@/components/HealthBadge';
import { PageHeader } from '@/components/PageHeader';
import { Swatch } from '@/components/Swatch';
import { Waterfall } from '@/components/waterfall/Waterfall';
import { OrderIdParam } from '@/lib/api/schemas';
import { getPayment } from '@/lib/queries/traces';
import { getStore } from '@/lib/store/store';
import { formatMs, formatTime, shortId } from '@/lib/ui/format';
import { href, pageHref, param, timeParams, traceHintOf, traceHref } from '@/lib/ui/links';
import type { SearchParams } from '@/lib/ui/time-range';
import { toWaterfallData } from '@/lib/ui/waterfall-data';

export const dynamic = 'force-dynamic';

export async function generateMetadata({ params }: { params: Promise<{ orderId: string }> }) {
  // Already decoded here (unlike the page's params): decoding again turned `%2F` in an id into `/`.
  const { orderId } = await params;
  return { title: `Payment ${orderId}` };
}

/** Route params arrive percent-encoded; an id with a literal % that does not decode is taken as is. */
function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** One payment: its stages in order and every trace it touched (callbacks included) on one timeline. */
export default async function PaymentPage({ params, searchParams }: { params: Promise<{ orderId: string }>; searchParams: Promise<SearchParams> }) {
  const [{ orderId: raw }, sp] = await Promise.all([params, searchParams]);
  // The id as GET /api/payments/{orderId} reads it (1 to 512 characters), else not found.
  const id = OrderIdParam.safeParse({ orderId: safeDecode(raw) });
  if (!id.success) notFound();
  const { orderId } = id.data;
  const store = await getStore();
  // Read where the link says the payment is; all of history when it says nothing or it is not there.
  const hint = traceHintOf(sp);
  const hinted = hint && (await getPayment(store, orderId, hint));
  const payment = hinted || (await getPayment(store, orderId));
  if (!payment) notFound();

  const data = toWaterfallData(payment.spans, { critical: payment.criticalPaths });
  let start = Infinity;
  let end = -Infinity;
  for (const s of payment.spans) {
    start = Math.min(start, s.startMs);
    end = Math.max(end, s.startMs + s.durationMs);
  }
  const attr = (k: string) => payment.spans.map((s) => s.attributes[k]).find((v) => v);
  const channel = attr('payment.channel');
  const gateway = payment.stages.find((s) => s.stage === 'gateway.request')
    ? payment.spans.find((s) => s.attributes['payment.stage'] === 'gateway.request')?.attributes['payment.gateway']
    : undefined;
  const amount = attr('payment.amount');
  const currency = attr('payment.currency');
  const lastOutcome = [...payment.stages].reverse().find((s) => s.outcome)?.outcome;
  const firstTrace = payment.traceIds[0];
  const rootOf = (traceId: string) => {
    const ts = payment.spans.filter((s) => s.traceId === traceId);
    return ts.find((s) => !s.parentSpanId) ?? ts[0];
  };
  const traceLinks = Object.fromEntries(payment.traceIds.map((t, i) => {
    const r = rootOf(t);
    const callback = payment.spans.some((s) => s.traceId === t && s.attributes['payment.stage'] === 'gateway.callback');
    return [t, { label: `Trace ${i + 1}${callback ? ' (callback)' : ''} · ${r?.service ?? ''} ${r?.name ?? ''} · ${shortId(t, 8)}`, href: traceHref(sp, t, undefined, r?.startMs) }];
  }));

  return (
    <section>
      <PageHeader title={`Payment ${orderId}`} sub={<>started {formatTime(start, true)} UTC · {payment.traceIds.length} trace{payment.traceIds.length > 1 ? 's' : ''}</>}>
        <Link href={pageHref('/payments', sp, { channel })}>← payments</Link>
      </PageHeader>
      <div className="kpis" role="group" aria-label="Payment summary">
        <div className="kpi" data-kpi="outcome"><div className="label">Outcome (last reported)</div><div className="value"><StatusBadge status={lastOutcome ?? 'pending'} /></div></div>
        <div className="kpi" data-kpi="elapsed"><div className="label">First to last span</div><div className="value">{formatMs(end - start)}</div></div>
        <div className="kpi"><div className="label">Channel · gateway</div><div className="value" style={{ fontSize: '1rem' }}>{channel ? <Swatch name={channel} /> : '—'} · {gateway ? <Swatch name={gateway} /> : '—'}</div></div>
        <div className="kpi"><div className="label">Amount</div><div className="value" style={{ fontSize: '1rem' }}>{amount ? `${amount} ${currency ?? ''}` : '—'}</div></div>
      </div>

      <h2>Stages</h2>
      <div className="table-wrap">
        <table data-testid="stages">
          <thead>
            <tr><th>stage</th><th>service</th><th className="num">at</th><th className="num">duration</th><th>status</th><th>outcome</th><th>error code</th><th>trace</th></tr>
          </thead>
          <tbody>
            {payment.stages.map((s) => (
              <tr key={`${s.traceId}-${s.spanId}`} data-stage={s.stage}>
                <td>{s.stage}</td>
                <td><Swatch name={s.service} /></td>
                <td className="num">+{formatMs(s.startMs - start)}</td>
                <td className="num">{formatMs(s.durationMs)}</td>
                <td><StatusBadge status={s.status} /></td>
                <td>{s.outcome ? <StatusBadge status={s.outcome} /> : <span className="muted">—</span>}</td>
                <td>{s.errorCode || <span className="muted">—</span>}</td>
                <td>
                  <Link href={traceHref(sp, s.traceId, s.spanId, rootOf(s.traceId)?.startMs)} title={s.traceId}><code>{shortId(s.traceId, 8)}</code></Link>
                  {s.traceId !== firstTrace && <span className="muted small"> (new trace)</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      <h2>Every trace of the payment, on one timeline</h2>
      <Waterfall
        data={data}
        detailsUrl={href(`/api/payments/${encodeURIComponent(orderId)}`, hinted && hint ? { from: hint.from.getTime(), to: hint.to.getTime() } : {})}
        groupByTrace
        traceLinks={traceLinks}
        initialSpanId={param(sp, 'span')}
        paymentHrefBase={href('', timeParams(sp))}
      />
    </section>
  );
}
