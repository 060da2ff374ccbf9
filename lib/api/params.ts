import { z } from 'zod';

/**
 * Query-parameter building blocks shared by every endpoint: times (ISO 8601 or epoch ms), the
 * default range (the last hour), filters, limits. Parsing never lets a value reach SQL as text:
 * the query layer binds every value as a typed parameter.
 */

const DEFAULT_RANGE_MS = 3_600_000;
/** The longest range one request may ask for. */
const MAX_RANGE_MS = 400 * 86_400_000;

const EPOCH_MS = /^\d{1,15}$/;
// 2025-03-01, 2025-03-01T10:00, 2025-03-01T10:00:00.123456Z, 2025-03-01 10:00:00+08:00
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** A time given as epoch milliseconds or ISO 8601 (no offset = UTC); undefined when unparseable. */
export function parseTime(text: string): Date | undefined {
  const t = text.trim();
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

/** Times the store's DateTime64 columns hold and a span can have: 2000-01-01 up to 2262. */
const MIN_TIME_MS = Date.UTC(2000, 0, 1);
const MAX_TIME_MS = Date.UTC(2262, 0, 1);

export const timeParam = z.string().transform((v, ctx) => {
  const d = parseTime(v);
  if (!d) {
    ctx.addIssue({ code: 'custom', message: `not a time: ${JSON.stringify(v)} (use ISO 8601, e.g. 2025-03-01T10:00:00Z, or epoch milliseconds)` });
    return z.NEVER;
  }
  if (d.getTime() < MIN_TIME_MS || d.getTime() >= MAX_TIME_MS) {
    ctx.addIssue({ code: 'custom', message: `time out of range: ${JSON.stringify(v)} (from 2000-01-01 up to 2262-01-01)` });
    return z.NEVER;
  }
  return d;
});

/** A filter value: any text (quotes, SQL, unicode all fine: values are bound, never spliced). */
export const filterParam = z.string().min(1, 'must not be empty').max(512, 'at most 512 characters');

export const limitParam = (max: number) => z.coerce.number().int('must be a whole number').min(1).max(max);

export const rangeShape = { from: timeParam.optional(), to: timeParam.optional() };

export interface Range {
  from: Date;
  to: Date;
}

/** Fills the default range (the hour before `to`, `to` defaulting to now) and checks it. */
export function resolveRange(q: { from?: Date; to?: Date }, ctx: z.RefinementCtx, now = Date.now()): Range {
  const to = q.to ?? new Date(now);
  const from = q.from ?? new Date(to.getTime() - DEFAULT_RANGE_MS);
  if (from.getTime() >= to.getTime()) ctx.addIssue({ code: 'custom', path: ['from'], message: '`from` must be before `to`' });
  else if (to.getTime() - from.getTime() > MAX_RANGE_MS) ctx.addIssue({ code: 'custom', path: ['from'], message: 'the range may span at most 400 days' });
  return { from, to };
}

/** URL query parameters as an object; a parameter given twice is an error, not silently merged. */
export function searchParamsObject(params: URLSearchParams): { values: Record<string, string>; repeated: string[] } {
  const values: Record<string, string> = {};
  const repeated: string[] = [];
  for (const [k, v] of params) {
    if (Object.hasOwn(values, k)) repeated.push(k);
    values[k] = v;
  }
  return { values, repeated };
}

/** One readable line from a zod error: `from: not a time: "yesterday"; unknown parameter "foo"`. */
export function describeZodError(err: z.ZodError): string {
  return err.issues
    .map((i) => {
      if (i.code === 'unrecognized_keys') return `unknown parameter${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => JSON.stringify(k)).join(', ')}`;
      const where = i.path.length ? `${i.path.join('.')}: ` : '';
      return `${where}${i.message}`;
    })
    .join('; ');
}
