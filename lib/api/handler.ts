import { z } from 'zod';
import { FunnelNotEditableError } from '../queries/funnels';
import { getStore, QueryBudgetError, StoreUnavailableError, type Store } from '../store/store';
import { describeZodError, searchParamsObject } from './params';
import { NoQuery } from './schemas';

/** An error with the HTTP status to answer (4xx for the caller's mistakes). */
export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = 'ApiError';
  }
}

type RouteContext = { params?: Promise<Record<string, string | string[]>> };

export interface RouteSpec<Q extends z.ZodType, P extends z.ZodType, B extends z.ZodType> {
  /** Query parameters; unknown ones are rejected. @default no parameters accepted */
  query?: Q;
  /** Dynamic route segments ([traceId], ...). */
  params?: P;
  /** JSON request body. */
  body?: B;
  /** Status of a successful answer. @default 200 */
  status?: number;
}

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Refuses a state-changing request a browser sent on behalf of another site (CSRF): a page elsewhere
 * can make the browser POST with its cached Basic credentials, and the browser then says where the
 * request came from. As Go's net/http CrossOriginProtection: `Sec-Fetch-Site` (set by the browser,
 * not by page scripts) decides when present: `same-origin` or `none` (typed by the user) pass.
 * Browsers without it: `Origin` must name this host (as the client saw it: X-Forwarded-Host behind
 * a proxy, like Next.js's own check for server actions). API clients such as curl send neither.
 */
function refuseCrossSite(req: Request): void {
  if (!UNSAFE_METHODS.has(req.method)) return;
  const site = req.headers.get('sec-fetch-site');
  if (site !== null) {
    if (site === 'same-origin' || site === 'none') return;
    throw new ApiError(403, `cross-site ${req.method} refused (Sec-Fetch-Site: ${site.slice(0, 40)})`);
  }
  const origin = req.headers.get('origin');
  if (origin === null) return;
  const host = req.headers.get('x-forwarded-host')?.split(',')[0].trim() || req.headers.get('host') || new URL(req.url).host;
  let originHost: string | null = null;
  try {
    originHost = origin === 'null' ? null : new URL(origin).host;
  } catch {
    // an unparsable Origin is refused below
  }
  if (originHost !== host) throw new ApiError(403, `cross-site ${req.method} refused (Origin ${JSON.stringify(origin.slice(0, 100))} is not this site)`);
}

/** A JSON body must say so: a form or text/plain body is what a cross-site page can send without CORS. */
function requireJson(req: Request): void {
  const type = (req.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json') throw new ApiError(415, `the request body must be JSON with Content-Type: application/json (got ${JSON.stringify(type.slice(0, 100) || 'none')})`);
}

/**
 * A route handler: parse (query, path, body) with zod → call the lib function → answer JSON.
 * Errors become `{ error }`: 400 for bad parameters, 403 for a cross-site POST/PUT/PATCH/DELETE or a
 * built-in funnel, 404 when the function returns null, 415 for a body that is not
 * `application/json`, 503 (with Retry-After) when the store is unreachable, 504 / 503 when a query
 * runs past its time / memory budget, 500 otherwise.
 */
export function apiRoute<Q extends z.ZodType = typeof NoQuery, P extends z.ZodType = z.ZodNever, B extends z.ZodType = z.ZodNever>(
  spec: RouteSpec<Q, P, B>,
  fn: (store: Store, input: { query: z.output<Q>; params: z.output<P>; body: z.output<B> }) => Promise<unknown>,
) {
  return async (req: Request, ctx?: RouteContext): Promise<Response> => {
    try {
      refuseCrossSite(req);
      const { values, repeated } = searchParamsObject(new URL(req.url).searchParams);
      if (repeated.length) throw new ApiError(400, `parameter ${repeated.map((k) => JSON.stringify(k)).join(', ')} given more than once`);
      const query = (spec.query ?? NoQuery).parse(values) as z.output<Q>;
      const params = (spec.params ? spec.params.parse((await ctx?.params) ?? {}) : undefined) as z.output<P>;
      let body = undefined as z.output<B>;
      if (spec.body) {
        requireJson(req);
        let raw: unknown;
        try {
          raw = await req.json();
        } catch {
          throw new ApiError(400, 'the request body must be JSON');
        }
        body = spec.body.parse(raw) as z.output<B>;
      }
      const result = await fn(await getStore(), { query, params, body });
      if (result === null || result === undefined) throw new ApiError(404, 'not found');
      return Response.json(result, { status: spec.status ?? 200, headers: { 'Cache-Control': 'no-store' } });
    } catch (err) {
      return errorResponse(err);
    }
  };
}

export function errorResponse(err: unknown): Response {
  if (err instanceof z.ZodError) return Response.json({ error: describeZodError(err) }, { status: 400 });
  if (err instanceof ApiError) return Response.json({ error: err.message }, { status: err.status });
  if (err instanceof FunnelNotEditableError) return Response.json({ error: err.message }, { status: 403 });
  // A query over its budget: the caller can narrow the range; the message names the budget and its knob.
  if (err instanceof QueryBudgetError) return Response.json({ error: err.message }, { status: err.budget === 'time' ? 504 : 503 });
  if (err instanceof StoreUnavailableError) {
    return Response.json({ error: 'the store is unavailable; retry shortly' }, { status: 503, headers: { 'Retry-After': '5' } });
  }
  console.error('payscope api:', err);
  return Response.json({ error: 'internal error; see the server log' }, { status: 500 });
}
