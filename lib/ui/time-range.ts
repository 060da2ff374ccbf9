/**
 * The time range every page shares, kept in the URL so a link reproduces the view:
 *   ?range=1h                      a preset relative to now (re-evaluated on refresh)
 *   ?from=<iso|ms>&to=<iso|ms>     an absolute range
 * Absolute wins when both are present; nothing given means the last hour.
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

/** Times the store takes: its DateTime64(9) ends in 2262; before 2000 no span was sent (and 1970 fails). */
const MIN_TIME_MS = Date.UTC(2000, 0, 1);
const MAX_TIME_MS = Date.UTC(2262, 0, 1);
/** The longest absolute range a page shows (as the JSON API). */
const MAX_RANGE_MS = 400 * 86_400_000;

// Date() alone reads much else as a time (`<img src=x onerror=…=1>` is 2001-01-01).
const ISO = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/** ISO 8601 or epoch milliseconds, from 2000 to 2261; undefined otherwise. */
export function parseTime(value: string | undefined): Date | undefined {
  if (!value) return undefined;
  const t = /^\d{10,}$/.test(value) ? Number(value) : ISO.test(value) ? new Date(value).getTime() : NaN;
  return Number.isNaN(t) || t < MIN_TIME_MS || t > MAX_TIME_MS ? undefined : new Date(t);
}

export function resolveTimeRange(params: SearchParams, now: Date = new Date()): TimeRange {
  const from = parseTime(one(params.from));
  const to = parseTime(one(params.to));
  const ok = (f: Date, t: Date) => f < t && t.getTime() - f.getTime() <= MAX_RANGE_MS;
  if (from && to && ok(from, to)) return { from, to };
  if (from && !to && ok(from, now)) return { from, to: now };
  const preset = RANGE_PRESETS.find((p) => p.key === one(params.range)) ?? RANGE_PRESETS[1];
  return { from: new Date(now.getTime() - preset.ms), to: now, preset: preset.key };
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
