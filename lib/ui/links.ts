import { MAX_TIME_MS, type SearchParams } from './time-range';

/**
 * Links between pages. The time range travels with every link (as the page has it: a relative
 * preset stays relative, an absolute range stays absolute), so a drill-down shows the same period
 * and the URL can be shared. Filters are plain query parameters named as in the JSON API.
 */

const TIME_KEYS = ['range', 'from', 'to'] as const;

/** A single, trimmed, non-empty query parameter (the first when repeated), at most 512 characters. */
export function param(sp: SearchParams, key: string): string | undefined {
  const v = Object.hasOwn(sp, key) ? sp[key] : undefined;
  const first: unknown = Array.isArray(v) ? v[0] : v;
  // Strings only: Next.js makes `?constructor=x` [Object, 'x'] (the name is `in` every object).
  const s = typeof first === 'string' ? first.trim() : undefined;
  return s ? s.slice(0, 512) : undefined;
}

/** One of a fixed set of values, else undefined. */
export function choice<T extends string>(sp: SearchParams, key: string, allowed: readonly T[]): T | undefined {
  const v = param(sp, key);
  return allowed.includes(v as T) ? (v as T) : undefined;
}

/** A non-negative number parameter, else undefined. */
export function numberParam(sp: SearchParams, key: string, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const v = param(sp, key);
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 && n <= max ? n : undefined;
}

/** The time parameters of the current URL. */
export function timeParams(sp: SearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of TIME_KEYS) {
    const v = param(sp, k);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

export type LinkParams = Record<string, string | number | boolean | null | undefined>;

/** `path?k=v&...` with empty values left out; numbers are written as they are (ms floats rounded to µs). */
export function href(path: string, params: LinkParams = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '' || v === false) continue;
    q.set(k, typeof v === 'number' ? String(Math.round(v * 1000) / 1000) : String(v));
  }
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

export interface TraceFilters {
  service?: string;
  stage?: string;
  channel?: string;
  gateway?: string;
  status?: 'error' | 'ok';
  minDurationMs?: number | null;
  orderId?: string;
  sort?: 'recent' | 'duration';
}

/** The trace search behind a number, in the page's time range. */
export function tracesHref(sp: SearchParams, filters: TraceFilters): string {
  const { minDurationMs, ...rest } = filters;
  // Round down so the trace at exactly the percentile is included.
  const min = minDurationMs === null || minDurationMs === undefined ? undefined : Math.floor(minDurationMs * 1000) / 1000;
  return href('/traces', { ...timeParams(sp), ...rest, minDurationMs: min, sort: filters.sort ?? (min !== undefined ? 'duration' : undefined) });
}

/** A page link keeping the time range and the given filters. */
export function pageHref(path: string, sp: SearchParams, params: LinkParams = {}): string {
  return href(path, { ...timeParams(sp), ...params });
}

/**
 * `atMs`: when the linking page knows when the trace (or payment) started, it says so (`at`, epoch ms),
 * and the trace or payment page reads it from a day before to a day after (traceHintOf) instead of
 * looking it up in all of history (lib/queries/traces.ts TraceHint).
 */
export function traceHref(sp: SearchParams, traceId: string, spanId?: string, atMs?: number): string {
  return href(`/traces/${encodeURIComponent(traceId)}`, { ...timeParams(sp), span: spanId, at: atMs === undefined ? undefined : Math.floor(atMs) });
}

export function paymentHref(sp: SearchParams, orderId: string, atMs?: number): string {
  return href(`/payments/${encodeURIComponent(orderId)}`, { ...timeParams(sp), at: atMs === undefined ? undefined : Math.floor(atMs) });
}

/**
 * How far from a link's `at` a trace or payment page reads: a payment's callbacks come within its
 * SLA (minutes to hours), before or after the trace a link starts from.
 */
const HINT_MS = 86_400_000;

/** The window to read a trace or payment in, from the `at` of a link; undefined without one. */
export function traceHintOf(sp: SearchParams): { from: Date; to: Date } | undefined {
  const at = numberParam(sp, 'at', MAX_TIME_MS - HINT_MS);
  return at === undefined ? undefined : { from: new Date(Math.max(0, at - HINT_MS)), to: new Date(at + HINT_MS) };
}

/** Parameters that may be given more than once, each one more filter (`attr=a:1&attr=b:2`); any other once. */
export const REPEATABLE_PARAMS: ReadonlySet<string> = new Set(['attr']);

/** The URL's parameters for a filter form: as flatParams, but every value of a repeatable one. */
export function formParams(sp: SearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = flatParams(sp);
  for (const k of REPEATABLE_PARAMS) {
    const v = Object.hasOwn(sp, k) ? sp[k] : undefined;
    const all = (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string').map((x) => x.trim().slice(0, 512)).filter(Boolean);
    if (all.length) out[k] = all;
  }
  return out;
}

/** The URL's parameters as plain strings (first value of repeated ones), for client components. */
export function flatParams(sp: SearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(sp)) {
    const v = param(sp, k);
    if (v !== undefined) out[k] = v;
  }
  return out;
}
