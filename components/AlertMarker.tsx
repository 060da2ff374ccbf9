import { listAlerts } from '@/lib/alerts/store';
import type { Severity } from '@/lib/alerts/evaluate';
import { getStore } from '@/lib/store/store';
import { formatTime } from '@/lib/ui/format';

const SEVERITY_CLASS: Record<string, string> = { critical: 'failing', warning: 'degraded', info: 'neutral' };

export function SeverityBadge({ severity }: { severity: Severity | string }) {
  return <span className={`badge ${SEVERITY_CLASS[severity] ?? 'neutral'}`} data-severity={severity}>{severity}</span>;
}

/** Alerts firing now, for the page header: a link to the Alerts page, nothing when none fires (or the store cannot say). */
export async function FiringAlertsLink() {
  let firing;
  try {
    const now = new Date();
    firing = (await listAlerts(await getStore(), { from: now, to: now, state: 'firing' }));
  } catch {
    return null;
  }
  if (!firing.length) return null;
  const worst = firing.some((a) => a.severity === 'critical') ? 'critical' : firing.some((a) => a.severity === 'warning') ? 'warning' : 'info';
  const names = firing.map((a) => `${a.name} ${Object.entries(a.labels).filter(([k]) => k !== 'alertname').map(([k, v]) => `${k}=${v}`).join(' ')}`);
  return (
    <a href="/alerts#firing" className={`badge ${SEVERITY_CLASS[worst]}`} data-testid="firing-alerts" title={names.join('\n')}>
      {firing.length} alert{firing.length > 1 ? 's' : ''} firing
    </a>
  );
}

/**
 * The alerts that fired in a range, above a page's charts: what the lines show, named (severity,
 * labels, from–to). With `label`, only alerts carrying that label (e.g. `gateway` on the gateways page).
 */
export async function AlertStrip({ from, to, label }: { from: Date; to: Date; label?: string }) {
  let alerts;
  try {
    alerts = (await listAlerts(await getStore(), { from, to, limit: 20 })).filter((a) => a.startsAt !== null && (!label || a.labels[label] !== undefined));
  } catch {
    return null;
  }
  if (!alerts.length) return null;
  return (
    <ul className="chips" data-testid="alert-strip" aria-label="Alerts in this range">
      {alerts.map((a) => (
        <li key={a.id} className="chip" data-alert={a.id}>
          <SeverityBadge severity={a.severity} />{' '}
          <a href={`/alerts?alert=${encodeURIComponent(a.id)}`}>{a.name}</a>{' '}
          {Object.entries(a.labels).filter(([k]) => k !== 'alertname').map(([k, v]) => `${k}=${v}`).join(' ')}{' '}
          <span className="muted small">{formatTime(a.startsAt!)}–{a.endsAt ? formatTime(a.endsAt) : 'now'}</span>
        </li>
      ))}
    </ul>
  );
}
