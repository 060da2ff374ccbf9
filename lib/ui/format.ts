/**
 * How numbers read on every page (and in the e2e tests, which format the API's numbers with these
 * same functions to compare them with the page text). Times are shown in UTC, labelled as such.
 */

const count = new Intl.NumberFormat('en-US');

/** 1234567 → "1,234,567". */
export function formatCount(n: number): string {
  return count.format(n);
}

/** A fraction 0..1 as a percentage: "12.3%", "0.42%" (two decimals under 1%), "0%" for 0. */
export function formatPct(rate: number | null | undefined): string {
  if (rate === null || rate === undefined || !Number.isFinite(rate)) return '—';
  const pct = rate * 100;
  if (pct === 0) return '0%';
  if (pct === 100) return '100%';
  return `${pct < 1 ? pct.toFixed(2) : pct.toFixed(1)}%`;
}

/** A duration in ms, human-sized: "0.42 ms", "12.3 ms", "845 ms", "1.23 s", "12.3 s", "10.0 min"; "—" for none. */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  const a = Math.abs(ms);
  if (a < 10) return `${ms.toFixed(2)} ms`;
  if (a < 100) return `${ms.toFixed(1)} ms`;
  if (a < 1000) return `${Math.round(ms)} ms`;
  if (a < 10_000) return `${(ms / 1000).toFixed(2)} s`;
  if (a < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (a < 3_600_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

/** Seconds as a wait: "45 s", "12 min", "3.5 h". */
export function formatSec(sec: number): string {
  if (sec < 120) return `${Math.round(sec)} s`;
  if (sec < 7200) return `${Math.round(sec / 60)} min`;
  if (sec < 172_800) return `${(sec / 3600).toFixed(1)} h`;
  return `${(sec / 86_400).toFixed(1)} d`;
}

/** Epoch ms from ISO 8601 text, also with more than millisecond precision (nanoseconds from the API). */
export function parseIsoMs(iso: string): number {
  const m = /^(.*T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/.exec(iso);
  if (!m) return Date.parse(iso);
  const frac = m[2] ? Number(`0${m[2]}`) * 1000 : 0;
  return Date.parse(`${m[1]}${m[3] ?? 'Z'}`) + frac;
}

/** Epoch ms or ISO text → "2026-11-21 21:50:03" (UTC). */
export function formatTime(t: number | string, withMs = false): string {
  const d = new Date(typeof t === 'string' ? Math.floor(parseIsoMs(t)) : t);
  if (Number.isNaN(d.getTime())) return String(t);
  const iso = d.toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, withMs ? 23 : 19)}`;
}

/** A signed change in percentage points: "+1.2 pp", "−0.4 pp". */
export function formatPp(delta: number): string {
  const pp = delta * 100;
  if (Math.abs(pp) < 0.05) return '±0 pp';
  return `${pp > 0 ? '+' : '−'}${Math.abs(pp).toFixed(1)} pp`;
}

/** The first characters of a long id, for tables (the full id stays in the link and title). */
export function shortId(id: string, n = 12): string {
  return id.length > n ? `${id.slice(0, n)}…` : id;
}

/** An amount in a currency: "$48,210.00", "CN¥300.00"; a code Intl does not know is written after the number. */
export function formatMoney(amount: number, currency: string): string {
  try {
    return new Intl.NumberFormat('en-US', { style: 'currency', currency }).format(amount);
  } catch {
    return `${amount.toFixed(2)} ${currency}`;
  }
}
