import { z } from 'zod';
import { parseGatewaySeconds } from '../config';
import { DEFAULT_FLOW_KEY, DEFAULT_WINDOW_SEC } from '../analytics/funnel';
import { filterParam, limitParam, rangeShape, resolveRange, timeParam } from './params';
import { ErrorClassCountsSchema } from './error-classes';

/**
 * The JSON API v1 (docs/design.md): one zod schema per endpoint for its query parameters (unknown
 * parameters are errors) and one for its response. Route handlers parse with the first; tests
 * validate responses with the second.
 */

const hex = (name: string) =>
  z.string().regex(/^[0-9a-fA-F]{16,64}$/, `${name} must be 16 to 64 hex digits`).transform((v) => v.toLowerCase());

// ── query schemas ─────────────────────────────────────────────────────────────────────────────

/**
 * `attr=key:value`, repeatable: a span or resource attribute equal to the value. The key ends at the
 * first colon (OpenTelemetry keys have none; values such as URLs may).
 */
const attrParam = z
  .union([z.string(), z.array(z.string())])
  .transform((v, ctx) => {
    const out: { key: string; value: string }[] = [];
    for (const item of Array.isArray(v) ? v : [v]) {
      const colon = item.indexOf(':');
      const key = item.slice(0, Math.max(colon, 0));
      const value = item.slice(colon + 1);
      if (colon <= 0 || value === '') ctx.addIssue({ code: 'custom', message: `expected key:value, got ${JSON.stringify(item.slice(0, 100))}` });
      else if (key.length > 256 || value.length > 512) ctx.addIssue({ code: 'custom', message: 'a key has at most 256 characters, a value at most 512' });
      else out.push({ key, value });
    }
    // Each is one more condition on every span read: a handful is what a search needs.
    if (out.length > 10) ctx.addIssue({ code: 'custom', message: 'at most 10 attribute filters' });
    return out;
  });

const durationMsParam = z.coerce.number().min(0).max(86_400_000);

export const TracesQuery = z
  .strictObject({
    ...rangeShape,
    service: filterParam.optional(),
    /** The span name (operation). */
    name: filterParam.optional(),
    stage: filterParam.optional(),
    channel: filterParam.optional(),
    gateway: filterParam.optional(),
    status: z.enum(['error', 'ok']).optional(),
    attr: attrParam.optional(),
    minDurationMs: durationMsParam.optional(),
    maxDurationMs: durationMsParam.optional(),
    /** `trace`: each filter may hold on a different span; `span`: service, name, attributes and duration on one span. */
    match: z.enum(['trace', 'span']).optional(),
    orderId: filterParam.optional(),
    traceId: hex('traceId').optional(),
    sort: z.enum(['recent', 'duration']).optional(),
    limit: limitParam(1000).optional(),
  })
  .transform((q, ctx) => {
    if (q.minDurationMs !== undefined && q.maxDurationMs !== undefined && q.minDurationMs > q.maxDurationMs) {
      ctx.addIssue({ code: 'custom', path: ['maxDurationMs'], message: 'must not be below minDurationMs' });
    }
    return { ...q, ...resolveRange(q, ctx) };
  });

export const TraceIdParam = z.strictObject({ traceId: hex('traceId') });
export const OrderIdParam = z.strictObject({ orderId: filterParam });
export const FunnelIdParam = z.strictObject({ id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'id must be 1 to 64 letters, digits, _ or -') });
/** Endpoints that take no query parameters at all. */
export const NoQuery = z.strictObject({});

export const FunnelStepSchema = z
  .strictObject({
    name: z.string().min(1).max(128).optional(),
    stage: filterParam.optional(),
    service: filterParam.optional(),
    spanName: filterParam.optional(),
    // Each attribute is one more condition in the funnel query: a few are all a step needs.
    attributes: z.record(z.string().min(1).max(256), z.string().max(512))
      .refine((a) => Object.keys(a).length <= 20, { message: 'at most 20 attributes per step' })
      .optional(),
  })
  .refine((s) => s.stage !== undefined || s.service !== undefined || s.spanName !== undefined || Object.keys(s.attributes ?? {}).length > 0, {
    message: 'a step needs a stage, a service, a span name or attributes to match',
  })
  .transform((s) => ({ ...s, name: s.name ?? s.stage ?? s.spanName ?? s.service ?? 'step' }));

export const FunnelDefinitionBody = z.strictObject({
  name: z.string().min(1).max(128),
  steps: z.array(FunnelStepSchema).min(1, 'a funnel needs at least one step').max(20),
  flowKey: z.string().min(1).max(256).default(DEFAULT_FLOW_KEY),
  windowSec: z.coerce.number().positive().max(30 * 86_400).default(DEFAULT_WINDOW_SEC),
});

/** `steps=order.create,payment.submit` (stages) or a JSON array of step objects. */
const stepsParam = z.string().transform((v, ctx) => {
  const text = v.trim();
  let raw: unknown;
  if (text.startsWith('[')) {
    try {
      raw = JSON.parse(text);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'steps: not valid JSON' });
      return z.NEVER;
    }
  } else {
    raw = text.split(',').map((s) => s.trim()).filter(Boolean).map((stage) => ({ stage }));
  }
  const parsed = z.array(FunnelStepSchema).min(1, 'at least one step').max(20).safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', message: `steps${issue.path.length ? `[${issue.path.join('.')}]` : ''}: ${issue.message}` });
    return z.NEVER;
  }
  return parsed.data;
});

export const FunnelQuery = z
  .strictObject({
    ...rangeShape,
    steps: stepsParam.optional(),
    funnelId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'funnelId must be 1 to 64 letters, digits, _ or -').optional(),
    flowKey: filterParam.optional(),
    windowSec: z.coerce.number().positive().max(30 * 86_400).optional(),
    channel: filterParam.optional(),
    gateway: filterParam.optional(),
    split: z.enum(['channel', 'gateway']).optional(),
    /** `previous`: the same length just before; or give compareFrom/compareTo. */
    compare: z.enum(['previous', 'week']).optional(),
    compareFrom: timeParam.optional(),
    compareTo: timeParam.optional(),
  })
  .transform((q, ctx) => {
    const range = resolveRange(q, ctx);
    if (q.steps && q.funnelId) ctx.addIssue({ code: 'custom', path: ['steps'], message: 'give either steps or funnelId, not both' });
    let compare: { from: Date; to: Date } | undefined;
    const len = range.to.getTime() - range.from.getTime();
    if (q.compare === 'previous') compare = { from: new Date(range.from.getTime() - len), to: new Date(range.from.getTime()) };
    else if (q.compare === 'week') compare = { from: new Date(range.from.getTime() - 7 * 86_400_000), to: new Date(range.to.getTime() - 7 * 86_400_000) };
    if (q.compareFrom || q.compareTo) {
      if (q.compare) ctx.addIssue({ code: 'custom', path: ['compare'], message: 'give either compare or compareFrom/compareTo' });
      if (!q.compareFrom || !q.compareTo) ctx.addIssue({ code: 'custom', path: ['compareFrom'], message: 'compareFrom and compareTo go together' });
      else if (q.compareFrom >= q.compareTo) ctx.addIssue({ code: 'custom', path: ['compareFrom'], message: '`compareFrom` must be before `compareTo`' });
      else compare = { from: q.compareFrom, to: q.compareTo };
    }
    // `compare` becomes the window; the mode asked for stays as `compareMode` (pages keep it in links).
    return { ...q, ...range, compare, compareMode: q.compare };
  });

export const GatewaysQuery = z
  .strictObject({
    ...rangeShape,
    channel: filterParam.optional(),
    split: z.enum(['channel']).optional(),
    baselineHours: z.coerce.number().positive().max(24 * 90).optional(),
  })
  .transform((q, ctx) => ({ ...q, ...resolveRange(q, ctx) }));

export const HopsQuery = z
  .strictObject({
    ...rangeShape,
    channel: filterParam.optional(),
    gateway: filterParam.optional(),
    limit: limitParam(1000).optional(),
  })
  .transform((q, ctx) => ({ ...q, ...resolveRange(q, ctx) }));

/** `paypal=900,alipay=120`: callback SLA per gateway, seconds (the format of PAYSCOPE_CALLBACK_SLA). */
const slaMapParam = z.string().transform((v, ctx) => {
  try {
    return parseGatewaySeconds(v, 'sla');
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

export const StuckQuery = z
  .strictObject({
    ...rangeShape,
    slaSec: z.coerce.number().positive().max(30 * 86_400).optional(),
    sla: slaMapParam.optional(),
    limit: limitParam(10_000).optional(),
  })
  .transform((q, ctx) => ({ ...q, ...resolveRange(q, ctx) }));

export const InconsistentQuery = z
  .strictObject({ ...rangeShape, limit: limitParam(10_000).optional() })
  .transform((q, ctx) => ({ ...q, ...resolveRange(q, ctx) }));

export const StagesQuery = z
  .strictObject({ ...rangeShape, channel: filterParam.optional() })
  .transform((q, ctx) => ({ ...q, ...resolveRange(q, ctx) }));

/** `GET /api/payments` and the Payments page: attr as trace search's; cohort, slowMs, slaSec as /api/deltas. */
export const PaymentsQuery = z
  .strictObject({
    ...rangeShape,
    channel: filterParam.optional(),
    gateway: filterParam.optional(),
    outcome: z.enum(['succeeded', 'failed', 'pending']).optional(),
    minE2eMs: z.coerce.number().min(0).max(30 * 86_400_000).optional(),
    attr: attrParam.optional(),
    cohort: z.enum(['failed', 'slow', 'stuck']).optional(),
    slowMs: z.coerce.number().positive().max(86_400_000).optional(),
    slaSec: z.coerce.number().positive().max(30 * 86_400).optional(),
    sort: z.enum(['recent', 'slowest']).optional(),
    limit: limitParam(1000).optional(),
  })
  .transform((q, ctx) => {
    if (q.slowMs !== undefined && q.cohort !== 'slow') ctx.addIssue({ code: 'custom', path: ['slowMs'], message: 'only with cohort=slow' });
    if (q.slaSec !== undefined && q.cohort !== 'stuck') ctx.addIssue({ code: 'custom', path: ['slaSec'], message: 'only with cohort=stuck' });
    return { ...q, ...resolveRange(q, ctx) };
  });

// Views with a page and no JSON route of their own: the pages parse with these (lenient).

export const OverviewQuery = z
  .strictObject({ ...rangeShape, channel: filterParam.optional() })
  .transform((q, ctx) => ({ ...q, ...resolveRange(q, ctx) }));

export const DropOffsQuery = z
  .strictObject({
    ...rangeShape,
    channel: filterParam.optional(),
    gateway: filterParam.optional(),
    /** The step the flows did not reach, 1-based after the first (a funnel has at most 20 steps). */
    step: z.coerce.number().int('must be a whole number').min(1).max(19).default(1),
  })
  .transform((q, ctx) => ({ ...q, ...resolveRange(q, ctx) }));

// ── response schemas ───────────────────────────────────────────────────────────────────────────

const ms = z.number().nonnegative();
const msOrNull = ms.nullable();
const rate = z.number().min(0).max(1);
const iso = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);

export const ErrorResponse = z.strictObject({ error: z.string().min(1) });

export const TracesResponse = z.strictObject({
  traces: z.array(z.strictObject({
    traceId: z.string(), rootService: z.string(), rootName: z.string(), start: iso, durationMs: ms, spanCount: z.number().int().positive(), error: z.boolean(),
  })),
});

const SpanSchema = z.strictObject({
  traceId: z.string(), spanId: z.string(), parentSpanId: z.string(), service: z.string(), name: z.string(),
  kind: z.enum(['server', 'client', 'producer', 'consumer', 'internal', 'unspecified']),
  start: iso, startMs: z.number(), durationMs: ms, status: z.enum(['error', 'ok', 'unset']), statusMessage: z.string(),
  attributes: z.record(z.string(), z.string()), resource: z.record(z.string(), z.string()), scope: z.string(),
  events: z.array(z.strictObject({ time: iso, name: z.string(), attributes: z.record(z.string(), z.string()) })),
});

export const TraceResponse = z.strictObject({
  traceId: z.string(),
  spans: z.array(SpanSchema),
  criticalPath: z.array(z.string()),
  criticalPathSegments: z.array(z.strictObject({ spanId: z.string(), startMs: z.number(), endMs: z.number() })),
});

export const PaymentResponse = z.strictObject({
  orderId: z.string(),
  traceIds: z.array(z.string()),
  spans: z.array(SpanSchema),
  stages: z.array(z.strictObject({
    stage: z.string(), traceId: z.string(), spanId: z.string(), service: z.string(), start: iso, startMs: z.number(), durationMs: ms,
    status: z.enum(['error', 'ok', 'unset']), outcome: z.string(), errorCode: z.string(),
  })),
  criticalPaths: z.record(z.string(), z.array(z.string())),
});

const FunnelStepResultSchema = z.strictObject({
  name: z.string(), reached: z.number().int().nonnegative(), conversion: rate, dropOff: rate, p50Ms: msOrNull, p95Ms: msOrNull, p99Ms: msOrNull,
});
const FunnelDefinitionSchema = z.strictObject({
  id: z.string().optional(),
  name: z.string(),
  steps: z.array(z.object({ name: z.string() }).passthrough()),
  flowKey: z.string(),
  windowSec: z.number().positive(),
});

export const FunnelResponse = z.strictObject({
  funnel: FunnelDefinitionSchema,
  from: iso,
  to: iso,
  steps: z.array(FunnelStepResultSchema),
  splits: z.array(z.strictObject({ value: z.string(), steps: z.array(FunnelStepResultSchema) })).optional(),
  compare: z.strictObject({ from: iso, to: iso, steps: z.array(FunnelStepResultSchema) }).optional(),
});

const SavedFunnelSchema = FunnelDefinitionSchema.extend({ id: z.string(), builtIn: z.boolean(), updatedAt: z.string().nullable() });
export const FunnelsResponse = z.strictObject({ funnels: z.array(SavedFunnelSchema) });
export const SavedFunnelResponse = z.strictObject({ funnel: SavedFunnelSchema });

export const GatewaysResponse = z.strictObject({
  gateways: z.array(z.strictObject({
    gateway: z.string(), channel: z.string().optional(), requests: z.number().int().nonnegative(), errorRate: rate, timeoutRate: rate,
    errorClasses: ErrorClassCountsSchema, providerErrorRate: rate, declineRate: rate,
    p50Ms: msOrNull, p95Ms: msOrNull, p99Ms: msOrNull,
    topErrors: z.array(z.strictObject({ code: z.string(), count: z.number().int().positive() })),
    health: z.enum(['healthy', 'degraded', 'failing']), healthReasons: z.array(z.string().min(1)).min(1),
    baseline: z.strictObject({ from: iso, to: iso, requests: z.number().int().nonnegative(), errorRate: rate, providerErrorRate: rate, timeoutRate: rate, p95Ms: msOrNull }),
  })),
});

export const HopsResponse = z.strictObject({
  hops: z.array(z.strictObject({
    from: z.string(), to: z.string(), toKind: z.enum(['service', 'gateway', 'external']), calls: z.number().int().positive(),
    p50Ms: msOrNull, p95Ms: msOrNull, p99Ms: msOrNull, errorRate: rate, selfMs: ms, criticalPathShare: rate,
  })),
  criticalPathTraces: z.number().int().nonnegative(),
});

export const StuckResponse = z.strictObject({
  payments: z.array(z.strictObject({
    orderId: z.string(), channel: z.string(), gateway: z.string(), lastStage: z.string(), waitingSec: z.number().nonnegative(),
    slaSec: z.number().positive(), timedOut: z.boolean(), traceIds: z.array(z.string()).min(1),
  })),
  total: z.number().int().nonnegative(),
});

export const InconsistentResponse = z.strictObject({
  payments: z.array(z.strictObject({
    orderId: z.string(), channel: z.string(), gateway: z.string(), succeededAt: iso, failedStage: z.string(), errorCode: z.string(), traceIds: z.array(z.string()).min(1),
  })),
  duplicateCallbacks: z.array(z.strictObject({ orderId: z.string(), channel: z.string(), gateway: z.string(), callbacks: z.number().int().min(2), traceIds: z.array(z.string()).min(1) })),
});

export const StagesResponse = z.strictObject({
  stages: z.array(z.strictObject({
    stage: z.string(), channel: z.string().nullable(), count: z.number().int().positive(), errorRate: rate,
    p50Ms: msOrNull, p95Ms: msOrNull, p99Ms: msOrNull, waitP50Ms: msOrNull, waitP95Ms: msOrNull, waitP99Ms: msOrNull,
  })),
});
