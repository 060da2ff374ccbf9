import { getStore } from '@/lib/store/store';
import { getIngestSummary } from '@/lib/queries/ingest-summary';

export const dynamic = 'force-dynamic';

export default async function HomePage() {
  const to = new Date();
  const from = new Date(to.getTime() - 60 * 60 * 1000);
  let services;
  try {
    services = await getIngestSummary(await getStore(), { from, to });
  } catch (err) {
    return (
      <section>
        <h1>Spans received</h1>
        <p className="error">The store could not be read: {(err as Error).message}</p>
        <p>Check that payscope was started with <code>npm start</code> and that no other process holds its data directory.</p>
      </section>
    );
  }
  return (
    <section>
      <h1>Spans received — last hour</h1>
      {services.length === 0 ? (
        <div className="empty">
          <p><strong>No spans yet.</strong> Point an OpenTelemetry SDK at this payscope and they appear here:</p>
          <pre>{`node --import @payscope/instrumentation/register app.js
# or any OTLP exporter:
OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318  (HTTP)   or  http://localhost:4317  (gRPC)`}</pre>
        </div>
      ) : (
        <table>
          <thead>
            <tr><th>service</th><th className="num">spans</th><th className="num">errors</th><th>last seen</th></tr>
          </thead>
          <tbody>
            {services.map((s) => (
              <tr key={s.service}>
                <td>{s.service || '(no service.name)'}</td>
                <td className="num">{s.spans.toLocaleString('en')}</td>
                <td className="num">{s.errors.toLocaleString('en')}</td>
                <td>{s.lastSeen}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
