import type { ReactNode } from 'react';
import { FiringAlertsLink } from './AlertMarker';

export function PageHeader({ title, sub, children }: { title: string; sub?: ReactNode; children?: ReactNode }) {
  return (
    <div className="page-header">
      <div>
        <h1>{title}</h1>
        {sub && <div className="sub">{sub}</div>}
      </div>
      {children}
      <FiringAlertsLink />
    </div>
  );
}
