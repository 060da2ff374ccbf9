import Link from 'next/link';
import { Swatch } from '@/components/Swatch';
import type { DoubleCharge } from '@/lib/queries/retries';
import { shortId } from '@/lib/ui/format';
import { paymentHref, traceHref } from '@/lib/ui/links';
import type { SearchParams } from '@/lib/ui/time-range';

/** Orders charged more than once at the provider (lib/analytics/retries.ts says what counts), with their traces. */
export function DoubleChargesTable({ sp, payments }: { sp: SearchParams; payments: readonly DoubleCharge[] }) {
  return (
    <>
      <p className="section-note">
        More than one successful charge at the provider for one order: a retry after a timeout whose first attempt went through, or a
        success fulfilled twice. A repeated callback the service recognised as a duplicate is not one; refund the extra charge.
      </p>
      {payments.length === 0 ? (
        <p className="empty">No double charges in this range.</p>
      ) : (
        <div className="table-wrap">
          <table data-testid="double-charges">
            <thead><tr><th>order</th><th>channel</th><th>charged by</th><th className="num">charges</th><th className="num">amount</th><th>traces</th></tr></thead>
            <tbody>
              {payments.map((p) => (
                <tr key={p.orderId} data-order={p.orderId}>
                  <td><Link href={paymentHref(sp, p.orderId)}><code>{p.orderId}</code></Link></td>
                  <td>{p.channel ? <Swatch name={p.channel} /> : '—'}</td>
                  <td>{p.gateways.map((g, i) => <span key={g}>{i > 0 && ', '}<Swatch name={g} /></span>)}</td>
                  <td className="num">{p.charges}</td>
                  <td className="num">{p.amount ? `${p.amount} ${p.currency}` : '—'}</td>
                  <td>
                    {p.traceIds.map((t, i) => (
                      <span key={t}>{i > 0 && ' · '}<Link href={traceHref(sp, t)} title={t}><code>{shortId(t, 8)}</code></Link></span>
                    ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
