/**
 * The time range every page shares, kept in the URL so a link reproduces the view:
 *   ?range=1h                      a preset relative to now (re-evaluated on refresh)
 *   ?from=<iso|ms>&to=<iso|ms>     an absolute range
 * Absolute wins when both are present; nothing given means the last hour (lib/api/params.ts
 * `resolveRange`, for the pages and the JSON API alike).
 */
export const RANGE_PRESETS = [
  { key: '15m', label: 'Last 15 minutes', ms: 15 * 60_000 },
  { key: '1h', label: 'Last hour', ms: 60 * 60_000 },
  { key: '6h', label: 'Last 6 hours', ms: 6 * 60 * 60_000 },
  { key: '24h', label: 'Last 24 hours', ms: 24 * 60 * 60_000 },
  { key: '7d', label: 'Last 7 days', ms: 7 * 24 * 60 * 60_000 },
  { key: '30d', label: 'Last 30 days', ms: 30 * 24 * 60 * 60_000 },
] as const;

export type RangePreset = (typeof RANGE_PRESETS)[number]['key'];

export interface TimeRange {
  from: Date;
  to: Date;
  /** The preset the range came from, if any. */
  preset?: RangePreset;
}

export type SearchParams = Record<string, string | string[] | undefined>;

function one(v: string | string[] | undefined): string | undefined {
  const s: unknown = Array.isArray(v) ? v[0] : v;
  return typeof s === 'string' ? s : undefined;
}

/**
 * The one reader of times in URLs (pages, the JSON API through lib/api/params.ts, the range
 * picker): epoch milliseconds, or ISO 8601 where a time without an offset is UTC (as the pages
 * print times) and an impossible date (2025-02-30) is refused rather than rolled over.
 */
const EPOCH_MS = /^\d{1,15}$/;
// 2025-03-01, 2025-03-01T10:00, 2025-03-01T10:00:00.123456Z, 2025-03-01 10:00:00+08:00
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** A time given as epoch milliseconds or ISO 8601 (no offset = UTC); undefined when unparseable. */
export function parseTime(text: string | undefined): Date | undefined {
  const t = text?.trim();
  if (!t) return undefined;
  if (EPOCH_MS.test(t)) return new Date(Number(t));
  const m = ISO.exec(t);
  if (!m) return undefined;
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', off = 'Z'] = m;
  const ms = frac ? `.${frac.slice(1, 4).padEnd(3, '0')}` : '';
  const offset = off === 'Z' ? 'Z' : `${off.slice(0, 3)}:${off.slice(-2)}`;
  const date = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}${ms}${offset}`);
  // Date rolls 2025-02-30 over to March: check the fields against the calendar first.
  const daysInMonth = new Date(Date.UTC(Number(y), Number(mo), 0)).getUTCDate();
  if (Number(mo) < 1 || Number(mo) > 12 || Number(d) < 1 || Number(d) > daysInMonth || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return undefined;
  if (Number.isNaN(date.getTime())) return undefined;
  return date;
}

/** Times the store's DateTime64(9) columns hold and a span can have: [2000-01-01, 2262-01-01). */
export const MIN_TIME_MS = Date.UTC(2000, 0, 1);
export const MAX_TIME_MS = Date.UTC(2262, 0, 1);
/** The longest range one page or API request may ask for. */
export const MAX_RANGE_MS = 400 * 86_400_000;

export function timeInStoreRange(d: Date): boolean {
  return d.getTime() >= MIN_TIME_MS && d.getTime() < MAX_TIME_MS;
}

/** The query string for `params` with some keys replaced (undefined removes a key). */
export function withParams(params: SearchParams, changes: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    const s = one(v);
    if (s !== undefined && !(k in changes)) q.set(k, s);
  }
  for (const [k, v] of Object.entries(changes)) if (v !== undefined && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}

export function describeRange(r: TimeRange): string {
  if (r.preset) return RANGE_PRESETS.find((p) => p.key === r.preset)!.label;
  const f = (d: Date) => d.toISOString().replace('T', ' ').slice(0, 16);
  return `${f(r.from)} – ${f(r.to)} UTC`;
}
