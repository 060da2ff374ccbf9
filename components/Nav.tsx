'use client';
import Link from 'next/link';
import { usePathname, useSearchParams } from 'next/navigation';

const PAGES = [
  { href: '/', label: 'Overview' },
  { href: '/funnel', label: 'Funnel' },
  { href: '/hops', label: 'Hops' },
  { href: '/gateways', label: 'Gateways' },
  { href: '/payments', label: 'Payments' },
  { href: '/stuck', label: 'Stuck payments' },
  { href: '/deltas', label: "What's different" },
  { href: '/retries', label: 'Retries' },
  { href: '/transactions', label: 'Transactions' },
  { href: '/traces', label: 'Traces' },
  { href: '/alerts', label: 'Alerts' },
];

/** Top navigation; the time range travels with every link so switching pages keeps the view. */
export function Nav() {
  const pathname = usePathname();
  const params = useSearchParams();
  const keep = new URLSearchParams();
  for (const k of ['range', 'from', 'to', 'channel']) {
    const v = params.get(k);
    if (v) keep.set(k, v);
  }
  const qs = keep.toString() ? `?${keep}` : '';
  return (
    <nav aria-label="Pages" className="nav">
      {PAGES.map((p) => {
        const active = p.href === '/' ? pathname === '/' : pathname.startsWith(p.href);
        return (
          <Link key={p.href} href={`${p.href}${qs}`} aria-current={active ? 'page' : undefined} className={active ? 'active' : undefined}>
            {p.label}
          </Link>
        );
      })}
    </nav>
  );
}
