import Link from 'next/link';

export default function TraceNotFound() {
  return (
    <section className="empty" data-empty="trace-not-found">
      <h1>Trace not found</h1>
      <p>No span with this trace id has been stored (yet). A trace id is 32 hexadecimal characters.</p>
      <p>Spans may still be on their way: exporters batch for a few seconds. Or search for it by order id on the <Link href="/traces">Traces</Link> page.</p>
    </section>
  );
}
