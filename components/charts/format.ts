import { formatCount, formatMs, formatPct } from '@/lib/ui/format';

export type Unit = 'count' | 'pct' | 'ms';

export function formatUnit(unit: Unit, v: number | null | undefined): string {
  if (v === null || v === undefined) return '—';
  return unit === 'count' ? formatCount(v) : unit === 'pct' ? formatPct(v) : formatMs(v);
}

/** Axis labels: short. */
export function tickUnit(unit: Unit, v: number): string {
  if (unit === 'pct') return `${Math.round(v * 1000) / 10}%`;
  if (unit === 'ms') return v >= 60_000 ? `${Math.round(v / 6000) / 10}min` : v >= 1000 ? `${Math.round(v / 100) / 10}s` : `${Math.round(v)}ms`;
  return v >= 10_000 ? `${Math.round(v / 1000)}k` : String(v);
}

/** UTC clock time for axes; the date too when the range spans days. */
export function tickTime(ms: number, spanMs: number): string {
  const iso = new Date(ms).toISOString();
  return spanMs > 36 * 3_600_000 ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : iso.slice(11, 16);
}
