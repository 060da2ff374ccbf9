import Link from 'next/link';
import type { ReactNode } from 'react';

/** A key number, as text (and a link to the traces behind it when there is one). */
export function Kpi({ id, label, value, href, hint }: { id: string; label: string; value: string; href?: string; hint?: ReactNode }) {
  return (
    <div className="kpi" data-kpi={id}>
      <div className="label">{label}</div>
      <div className="value">{href ? <Link href={href}>{value}</Link> : value}</div>
      {hint && <div className="hint">{hint}</div>}
    </div>
  );
}

/** A number in a table cell that links to the traces (or payments) behind it. */
export function NumLink({ href, children, title }: { href?: string; children: ReactNode; title?: string }) {
  if (!href) return <>{children}</>;
  return (
    <Link className="num-link" href={href} title={title}>
      {children}
    </Link>
  );
}
