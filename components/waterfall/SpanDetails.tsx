'use client';
import Link from 'next/link';
import { formatMs } from '@/lib/ui/format';
import type { Span, SpanDetailFields } from '@/lib/analytics/span';

function KeyValues({ title, values, testId }: { title: string; values: Record<string, string>; testId?: string }) {
  const keys = Object.keys(values).sort();
  if (!keys.length) return null;
  return (
    <>
      <h3>{title}</h3>
      <table data-testid={testId}>
        <tbody>
          {keys.map((k) => (
            <tr key={k}>
              <th scope="row" style={{ width: '40%' }}>{k}</th>
              <td><code>{values[k]}</code></td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

/** One span: timing, status, attributes, resource, events, exceptions (with stack traces). */
export function SpanDetails({ span, details, traceStartMs, critical, criticalMs, paymentHrefBase, onClose }: {
  span: Span;
  /** null while loading. */
  details: SpanDetailFields | null | 'error';
  traceStartMs: number;
  critical: boolean;
  criticalMs: number;
  paymentHrefBase?: string;
  onClose: () => void;
}) {
  const d: SpanDetailFields = details && details !== 'error' ? details : { statusMessage: '', attributes: {}, resource: {}, scope: '', events: [] };
  const exceptions = d.events.filter((e) => e.name === 'exception');
  const others = d.events.filter((e) => e.name !== 'exception');
  const orderId = d.attributes['payment.order_id'];
  const offset = (iso: string) => {
    const ms = Date.parse(iso);
    return Number.isNaN(ms) ? iso : `+${formatMs(ms - traceStartMs)}`;
  };
  return (
    <aside className="details" aria-label="Span details" data-testid="span-details">
      <div style={{ display: 'flex', justifyContent: 'space-between', gap: 8 }}>
        <h2>{span.service} · {span.name}</h2>
        <button type="button" onClick={onClose} aria-label="Close span details">✕</button>
      </div>
      <table>
        <tbody>
          <tr><th scope="row">duration</th><td data-testid="span-duration">{formatMs(span.durationMs)}</td></tr>
          <tr><th scope="row">starts at</th><td>+{formatMs(span.startMs - traceStartMs)}</td></tr>
          <tr><th scope="row">status</th><td><span className={`badge ${span.status === 'error' ? 'error' : span.status === 'ok' ? 'ok' : 'neutral'}`}>{span.status}</span> {d.statusMessage}</td></tr>
          <tr><th scope="row">kind</th><td>{span.kind}</td></tr>
          <tr>
            <th scope="row">critical path</th>
            <td>{critical ? <>yes{criticalMs > 0 && <> · {formatMs(criticalMs)} of it ({Math.round((criticalMs / Math.max(span.durationMs, 1e-9)) * 100)}% of the span)</>}</> : 'no'}</td>
          </tr>
          <tr><th scope="row">span id</th><td><code>{span.spanId}</code></td></tr>
          <tr><th scope="row">parent</th><td><code>{span.parentSpanId || '(root)'}</code></td></tr>
          <tr><th scope="row">trace</th><td><Link href={`/traces/${span.traceId}?span=${span.spanId}`}><code>{span.traceId}</code></Link></td></tr>
          {d.scope && <tr><th scope="row">scope</th><td>{d.scope}</td></tr>}
          {orderId && paymentHrefBase !== undefined && (
            <tr><th scope="row">payment</th><td><Link href={`/payments/${encodeURIComponent(orderId)}${paymentHrefBase}`}>{orderId}</Link> (every trace of it)</td></tr>
          )}
        </tbody>
      </table>
      {details === null && <p className="muted">Loading attributes and events…</p>}
      {details === 'error' && <p className="error">The span’s attributes could not be loaded; reload the page to try again.</p>}
      {exceptions.map((e, i) => (
        <div key={i} className="exception" data-testid="exception">
          <h3 className="error">Exception{e.attributes['exception.type'] ? `: ${e.attributes['exception.type']}` : ''}</h3>
          <p>{e.attributes['exception.message']}</p>
          <p className="muted small">at {offset(e.time)}</p>
          {e.attributes['exception.stacktrace'] && <pre>{e.attributes['exception.stacktrace']}</pre>}
        </div>
      ))}
      <KeyValues title="Attributes" values={d.attributes} testId="span-attributes" />
      {others.length > 0 && (
        <>
          <h3>Events</h3>
          <ul data-testid="span-events">
            {others.map((e, i) => (
              <li key={i}>
                <strong>{e.name}</strong> <span className="muted">{offset(e.time)}</span>
                {Object.keys(e.attributes).length > 0 && (
                  <div className="small">{Object.entries(e.attributes).map(([k, v]) => <div key={k}><code>{k}={v}</code></div>)}</div>
                )}
              </li>
            ))}
          </ul>
        </>
      )}
      <KeyValues title="Resource" values={d.resource} />
    </aside>
  );
}
