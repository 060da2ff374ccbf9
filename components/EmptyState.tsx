import Link from 'next/link';
import type { ReactNode } from 'react';

/** The store holds no span at all: how to send some. */
export function NoSpansYet() {
  return (
    <div className="empty" data-empty="no-spans">
      <h2>No spans yet — here is how to send some</h2>
      <p>payscope receives OpenTelemetry traces over OTLP. Point any service at it:</p>
      <pre>{`# Node.js: payment context (payment.order_id, channel, gateway...) included
node --import @payscope/instrumentation/register app.js

# any OpenTelemetry SDK or Collector
OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318     # OTLP/HTTP (also on this dashboard's port)
OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4317     # OTLP/gRPC

# or try it with the simulated payment platform
npm run demo`}</pre>
      <p className="muted">
        Payment pages need spans with <code>payment.order_id</code> and <code>payment.stage</code> (order.create, payment.submit,
        gateway.request, gateway.callback, order.confirm). Spans appear here within seconds.
      </p>
    </div>
  );
}

/** Spans exist, but none match the range and filters. */
export function NothingHere({ what, children, longerRange }: { what: string; children?: ReactNode; longerRange?: string }) {
  return (
    <div className="empty" data-empty="range">
      <h2>No {what} in this range</h2>
      {children}
      <p>
        Try a longer time range{longerRange ? <> (<Link href={longerRange}>last 7 days</Link>)</> : null} or remove a filter.
      </p>
    </div>
  );
}
