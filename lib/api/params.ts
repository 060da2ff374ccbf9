import { z } from 'zod';
import { param, REPEATABLE_PARAMS } from '../ui/links';
import { MAX_RANGE_MS, parseTime, RANGE_PRESETS, timeInStoreRange, type RangePreset, type SearchParams, type TimeRange } from '../ui/time-range';

/**
 * Query-parameter building blocks shared by every endpoint and page: times (ISO 8601 or epoch ms,
 * read by lib/ui/time-range.ts `parseTime`), the range (a preset, or from/to; the last hour by
 * default), filters, limits. Parsing never lets a value reach SQL as text: the query layer binds
 * every value as a typed parameter.
 */

export const timeParam = z.string().transform((v, ctx) => {
  const d = parseTime(v);
  if (!d) {
    ctx.addIssue({ code: 'custom', message: `not a time: ${JSON.stringify(v)} (use ISO 8601, e.g. 2025-03-01T10:00:00Z, or epoch milliseconds)` });
    return z.NEVER;
  }
  if (!timeInStoreRange(d)) {
    ctx.addIssue({ code: 'custom', message: `time out of range: ${JSON.stringify(v)} (from 2000-01-01 up to 2262-01-01)` });
    return z.NEVER;
  }
  return d;
});

/** A filter value: any text (quotes, SQL, unicode all fine: values are bound, never spliced). */
export const filterParam = z.string().min(1, 'must not be empty').max(512, 'at most 512 characters');

export const limitParam = (max: number) => z.coerce.number().int('must be a whole number').min(1).max(max);

const PRESET_KEYS = RANGE_PRESETS.map((p) => p.key) as [RangePreset, ...RangePreset[]];

export const rangeShape = { from: timeParam.optional(), to: timeParam.optional(), range: z.enum(PRESET_KEYS).optional() };

export type Range = TimeRange;

/**
 * Fills the range and checks it: `from`/`to` when given (`to` defaulting to now), else the preset
 * `range` (default the last hour) before `to`. `preset` is set only for a range relative to now.
 */
export function resolveRange(q: { from?: Date; to?: Date; range?: RangePreset }, ctx: z.RefinementCtx, now = Date.now()): Range {
  const preset = RANGE_PRESETS.find((p) => p.key === (q.range ?? '1h'))!;
  const to = q.to ?? new Date(now);
  const from = q.from ?? new Date(to.getTime() - preset.ms);
  if (from.getTime() >= to.getTime()) ctx.addIssue({ code: 'custom', path: ['from'], message: '`from` must be before `to`' });
  else if (to.getTime() - from.getTime() > MAX_RANGE_MS) ctx.addIssue({ code: 'custom', path: ['from'], message: 'the range may span at most 400 days' });
  return q.from === undefined && q.to === undefined ? { from, to, preset: preset.key } : { from, to };
}

/** URL query parameters as an object; a parameter given twice is an error, not silently merged. */
export function searchParamsObject(params: URLSearchParams): { values: Record<string, string | string[]>; repeated: string[] } {
  const values: Record<string, string | string[]> = {};
  const repeated: string[] = [];
  for (const [k, v] of params) {
    if (REPEATABLE_PARAMS.has(k)) {
      ((values[k] ??= []) as string[]).push(v);
      continue;
    }
    if (Object.hasOwn(values, k)) repeated.push(k);
    values[k] = v;
  }
  return { values, repeated };
}

/** A parameter a page could not use, and why. */
export interface ParamProblem {
  param: string;
  message: string;
}

/**
 * A page's URL parameters through its view's schema (the one its JSON route uses), leniently: a
 * value the schema refuses is left out (its default applies) and reported, parameters the API does
 * not know (page-only ones such as `edit` or `span`) are ignored, and a value is read as the page
 * shows it back (first of repeated ones, trimmed, at most 512 characters). Never throws for input.
 */
export function parsePageParams<S extends z.ZodType>(schema: S, sp: SearchParams): { query: z.output<S>; problems: ParamProblem[] } {
  const entries: [string, string | string[]][] = [];
  for (const k of Object.keys(sp)) {
    if (REPEATABLE_PARAMS.has(k)) {
      const raw = sp[k];
      const all = (Array.isArray(raw) ? raw : [raw]).filter((v): v is string => typeof v === 'string').map((v) => v.trim().slice(0, 512)).filter(Boolean);
      if (all.length) entries.push([k, all]);
    } else {
      const v = param(sp, k);
      if (v !== undefined) entries.push([k, v]);
    }
  }
  // fromEntries: `?__proto__=x` becomes an own key (refused as unknown), not the object's prototype.
  const values: Record<string, string | string[]> = Object.fromEntries(entries);
  const problems: ParamProblem[] = [];
  // Each round drops at least one parameter: at most one round per parameter, plus the last.
  for (let round = Object.keys(values).length + 1; round > 0; round--) {
    const r = schema.safeParse(values);
    if (r.success) return { query: r.data, problems };
    let dropped = false;
    for (const issue of r.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        for (const k of issue.keys) {
          if (Object.hasOwn(values, k)) dropped = true;
          delete values[k];
        }
        continue;
      }
      const k = issue.path[0];
      if (typeof k === 'string' && Object.hasOwn(values, k)) {
        problems.push({ param: k, message: issue.message });
        delete values[k];
        dropped = true;
      }
    }
    if (!dropped) break;
  }
  return { query: schema.parse({}), problems };
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
