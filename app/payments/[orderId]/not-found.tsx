import Link from 'next/link';

export default function PaymentNotFound() {
  return (
    <section className="empty" data-empty="payment-not-found">
      <h1>Payment not found</h1>
      <p>No span carries this <code>payment.order_id</code>. Spans may still be on their way, or the instrumentation does not set the attribute.</p>
      <p>Look for the payment on the <Link href="/payments">Payments</Link> or <Link href="/traces">Traces</Link> page.</p>
    </section>
  );
}
