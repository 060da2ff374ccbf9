export function HealthBadge({ health, reasons }: { health: 'healthy' | 'degraded' | 'failing'; reasons?: string[] }) {
  return (
    <span className={`badge ${health}`} title={reasons?.join('; ')}>
      {health}
    </span>
  );
}

export function StatusBadge({ status }: { status: string }) {
  const cls = status === 'error' || status === 'failed' || status === 'cancelled' ? 'error' : status === 'ok' || status === 'succeeded' ? 'ok' : status === 'pending' ? 'pending' : 'neutral';
  return <span className={`badge ${cls}`}>{status || 'unset'}</span>;
}
