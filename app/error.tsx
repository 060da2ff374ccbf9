'use client';
import { useEffect } from 'react';

/** Any page's error: what probably happened and what to do, with a retry. */
export default function PageError({ error, retry }: { error: unknown; retry: () => void }) {
  useEffect(() => {
    console.error(error);
  }, [error]);
  const digest = error instanceof Error ? (error as Error & { digest?: string }).digest : undefined;
  return (
    <section className="empty" role="alert" data-error="page">
      <h1>This page could not be loaded</h1>
      <p>payscope could not read the span store for this view. The usual causes:</p>
      <ul>
        <li>The store is starting or busy: try again in a few seconds.</li>
        <li>Another process holds the embedded data directory (only one <code>npm start</code> per directory).</li>
        <li>With <code>CLICKHOUSE_URL</code>: the ClickHouse server is down or the credentials are wrong.</li>
        <li>
          The query ran past its time or memory budget (a long range, a funnel of many steps): narrow the range; the limits are{' '}
          <code>PAYSCOPE_QUERY_TIMEOUT_SEC</code> and <code>PAYSCOPE_QUERY_MAX_MEMORY_BYTES</code>.
        </li>
      </ul>
      <p className="muted small">The server log has the details{digest ? <> (error id <code>{digest}</code>)</> : null}.</p>
      <button type="button" className="primary" onClick={() => retry()}>Try again</button>
    </section>
  );
}
