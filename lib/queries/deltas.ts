import {
  AMOUNT_BAND_BOUNDS, AMOUNT_BAND_KEY, AMOUNT_PATTERN, amountBandLabels, DELTA_EXCLUDED_KEY_PATTERN, DELTA_EXCLUDED_KEYS, rankDeltas,
  type DeltaCounts, type RankedDelta,
} from '../analytics/deltas';
import { DEFAULT_WINDOW_SEC } from '../analytics/funnel';
import type { GatewayHostArrays } from '../analytics/gateways';
import { getConfig, type CallbackSla } from '../config';
import { join, sql, UNSAFE_RAW_SQL, type SqlFragment } from '../store/sql';
import type { Store } from '../store/store';
import { defaultGatewayHosts, gatewayOfSql, isTimeoutSql, num, queryConstants, type TimeRange } from './common';

/**
 * What is different about failed, slow or stuck payments (lib/analytics/deltas.ts ranks it).
 *
 * The payments are the Overview's: flows whose order.create falls in the range, their outcome read
 * up to one funnel window after it (lib/queries/overview.ts). Cohorts:
 *   failed   not succeeded and some stage failed; compared with every other payment
 *   slow     succeeded, end to end ≥ slowMs (default: the range's p90); compared with the faster succeeded ones
 *   stuck    a gateway request accepted (or timed out) and no callback by the end of the range, past
 *            the gateway's callback SLA (as the Stuck page); compared with every other payment
 *
 * Attributes are read from the spans and resources of each payment's checkout trace (the trace of
 * its order.create, whose spans start within CHECKOUT_TRACE_SEC of it), never from the whole
 * range: the attribute maps are the expensive part. Two bounds keep the cost flat however long the
 * range: at most `samplePerSide` payments per side, taken as those with the smallest trace ids
 * (trace ids are random, so this is a uniform sample); and when the range holds more than
 * `maxSlicePayments` payments, only those in the slice of trace ids that holds about that many. The
 * span table is sorted by hour, then trace id, so such a slice is a contiguous run in every hour
 * and a rare cohort cannot make the query read the whole range. The answer says how many payments
 * each side was sampled from. When the sampled trace ids all lie below '1' (a sixteenth of all ids:
 * any range with more than about 16,000 payments), their spans are read from attribute_sample_spans,
 * which holds every span of those traces, ordered by trace.
 */

export type DeltaCohort = 'failed' | 'slow' | 'stuck';

export interface DeltasParams extends TimeRange {
  cohort: DeltaCohort;
  channel?: string;
  gateway?: string;
  /** The slow cohort's threshold, end to end. @default the p90 of succeeded payments in the range */
  slowMs?: number;
  sla?: CallbackSla;
  /** Attribute values returned. @default 30 */
  limit?: number;
  /** Payments sampled per side at most. @default 500 */
  samplePerSide?: number;
  /** Payments whose trace-id slice is read at most (about): above it, a narrower slice. @default 1000 */
  maxSlicePayments?: number;
  hosts?: GatewayHostArrays;
}

export interface DeltasResult {
  /** Payments in the cohort, and how many of them the attributes were read from. */
  cohort: { count: number; sampled: number };
  baseline: { count: number; sampled: number };
  /** The slow cohort's threshold that applied (ms); null for the other cohorts. */
  slowMs: number | null;
  /** Most over-represented first; shares are over the sampled payments. */
  attributes: RankedDelta[];
}

/** Values per key and rows read back at most: a key with thousands of values (a URL, a timestamp) cannot flood the answer. */
const VALUES_PER_KEY = 20;
const MAX_ROWS = 5000;
const MAX_VALUE_CHARS = 100;
/** How long after its order.create a checkout trace's spans may start (the checkout request itself: seconds). */
const CHECKOUT_TRACE_SEC = 600;

/**
 * `attribute_sample_spans` (migration 0064) holds every span of the traces whose id is below this: a
 * sample all below it is read there, a few granules ordered by trace, instead of from otel_traces,
 * ordered by hour first (a granule of attribute maps per hour of the range).
 */
const SAMPLE_SPANS_BELOW = '1';

/** The trace-id prefix below which about `fraction` of all (random, lowercase hex) trace ids lie; '' for all. */
export function traceIdSliceBound(fraction: number): string {
  if (!(fraction < 1)) return '';
  return Math.max(1, Math.floor(fraction * 0x10000)).toString(16).padStart(4, '0');
}

function cohortFlags(p: DeltasParams): { inCohort: SqlFragment; inBaseline: SqlFragment } {
  if (p.cohort === 'failed') return { inCohort: sql`okEnd = 0 AND anyFailure`, inBaseline: sql`NOT (okEnd = 0 AND anyFailure)` };
  if (p.cohort === 'slow') return { inCohort: sql`okEnd > 0 AND okEnd - t0 >= slowNs`, inBaseline: sql`okEnd > 0 AND okEnd - t0 < slowNs` };
  return { inCohort: sql`stuck`, inBaseline: sql`NOT stuck` };
}

export async function getDeltas(store: Store, p: DeltasParams): Promise<DeltasResult> {
  const hosts = p.hosts ?? defaultGatewayHosts();
  const sla = p.sla ?? getConfig().callbackSla;
  const slaGateways = Object.keys(sla.byGateway);
  const slaSeconds = slaGateways.map((g) => sla.byGateway[g]);
  const windowNs = DEFAULT_WINDOW_SEC * 1e9;
  const scanTo = new Date(p.to.getTime() + DEFAULT_WINDOW_SEC * 1000);
  const toNs = sql`toInt64(toUnixTimestamp64Nano(toDateTime64(${p.to}, 9)))`;
  // An aggregate function's parameter must be a literal: a whole number the code bounds.
  const k = UNSAFE_RAW_SQL(String(Math.max(1, Math.min(10_000, Math.floor(p.samplePerSide ?? 500)))));
  const filters: SqlFragment[] = [];
  if (p.channel !== undefined) filters.push(sql`AND channel = ${p.channel}`);
  if (p.gateway !== undefined) filters.push(sql`AND gateway = ${p.gateway}`);
  const { inCohort, inBaseline } = cohortFlags(p);
  // The default threshold is a window over every flow: only the slow cohort needs it.
  const slowNs = p.slowMs !== undefined || p.cohort !== 'slow'
    ? sql`${Math.round((p.slowMs ?? 0) * 1e6)}`
    : sql`toInt64(quantileExactIf(0.9)(okEnd - t0, okEnd > 0) OVER ())`;

  const [sample] = await store.query<{ cohortN: string; baselineN: string; payments: string; threshold: string; cohortTraces: string[]; baselineTraces: string[] }>(sql`
    WITH ${queryConstants(hosts)}, ${slaGateways} AS _sla_gateways, ${slaSeconds.length ? slaSeconds : [0]} AS _sla_seconds
    SELECT countIf(${inCohort}) AS cohortN, countIf(${inBaseline}) AS baselineN, count() AS payments, any(slowNs) AS threshold,
           groupArraySortedIf(${k})(entryTrace, ${inCohort}) AS cohortTraces,
           groupArraySortedIf(${k})(entryTrace, ${inBaseline}) AS baselineTraces
    FROM (
      SELECT *, ${slowNs} AS slowNs,
             requestEndNs > 0 AND callbacks = 0
               AND ${toNs} - requestEndNs > 1e9 * if(has(_sla_gateways, gateway), toFloat64(_sla_seconds[indexOf(_sla_gateways, gateway)]), toFloat64(${sla.defaultSec})) AS stuck
      FROM (
        SELECT PaymentOrderId AS flow,
               anyIf(toString(PaymentChannel), PaymentChannel != '') AS channel,
               anyIf(gw, PaymentStage = 'gateway.request' AND gw != '') AS gateway,
               minIf(ns, PaymentStage = 'order.create' AND Timestamp < ${p.to}) AS t0,
               argMinIf(TraceId, ns, PaymentStage = 'order.create' AND Timestamp < ${p.to}) AS entryTrace,
               arrayFirst(c -> c.1 >= t0 AND c.1 <= t0 + ${windowNs},
                 arraySort(groupArrayIf((ns, ns + toInt64(Duration)),
                   PaymentStage = 'order.confirm' AND NOT IsError AND PaymentOutcome IN ('', 'succeeded')))).2 AS okEnd,
               countIf(IsError OR PaymentOutcome IN ('failed', 'cancelled')) > 0 AS anyFailure,
               maxIf(ns + toInt64(Duration), PaymentStage = 'gateway.request' AND (NOT IsError OR timedOut) AND Timestamp < ${p.to}) AS requestEndNs,
               countIf(PaymentStage = 'gateway.callback' AND Timestamp < ${p.to}) AS callbacks
        FROM (
          SELECT *, toInt64(toUnixTimestamp64Nano(Timestamp)) AS ns,
                 -- only requests need these (short-circuit: the host lookup runs on their rows alone)
                 if(PaymentStage = 'gateway.request', ${gatewayOfSql()}, '') AS gw,
                 PaymentStage = 'gateway.request' AND ${isTimeoutSql()} AS timedOut
          FROM payment_stage_events
          WHERE Timestamp >= ${p.from} AND Timestamp < ${scanTo} AND PaymentOrderId != ''
        )
        GROUP BY flow
        HAVING t0 > 0 ${join(filters, ' ')}
      )
    )`);

  // Each side's smallest trace ids, cut at the slice bound: still the smallest ids inside the slice.
  const bound = traceIdSliceBound((p.maxSlicePayments ?? 1000) / Math.max(1, num(sample?.payments)));
  const inSlice = (t: string) => bound === '' || t < bound;
  const cohortTraces = (sample?.cohortTraces ?? []).filter(inSlice);
  const baselineTraces = (sample?.baselineTraces ?? []).filter(inSlice);
  const result: DeltasResult = {
    cohort: { count: num(sample?.cohortN), sampled: cohortTraces.length },
    baseline: { count: num(sample?.baselineN), sampled: baselineTraces.length },
    slowMs: p.cohort === 'slow' ? (p.slowMs ?? num(sample?.threshold) / 1e6) : null,
    attributes: [],
  };
  if (!cohortTraces.length) return result;

  const traces = [...cohortTraces, ...baselineTraces];
  const lastTrace = traces.reduce((a, b) => (a > b ? a : b));
  const traceScanTo = new Date(p.to.getTime() + CHECKOUT_TRACE_SEC * 1000);
  const labels = amountBandLabels();
  const rows = await store.query<{ key: string; value: string; cohort: string; baseline: string }>(sql`
    WITH ${[...DELTA_EXCLUDED_KEYS]} AS _excluded, ${[...AMOUNT_BAND_BOUNDS]} AS _bounds, ${labels} AS _labels
    SELECT any(kv.1) AS key, any(kv.2) AS value, uniqExactIf(traceKey, inCohort) AS cohort, uniqExactIf(traceKey, NOT inCohort) AS baseline
    FROM (
      SELECT cityHash64(TraceId) AS traceKey, TraceId IN (${cohortTraces}) AS inCohort,
             arrayJoin(arrayFilter(kv -> kv.2 != '' AND NOT has(_excluded, kv.1) AND NOT match(kv.1, ${DELTA_EXCLUDED_KEY_PATTERN}),
               arrayConcat(
                 arrayMap((k, v) -> (toString(k), v), mapKeys(SpanAttributes), mapValues(SpanAttributes)),
                 arrayMap((k, v) -> (toString(k), v), mapKeys(ResourceAttributes), mapValues(ResourceAttributes)),
                 [(${AMOUNT_BAND_KEY}, amountBand)]))) AS kvFull,
             (kvFull.1, leftUTF8(kvFull.2, ${MAX_VALUE_CHARS})) AS kv
      FROM (
        SELECT TraceId, SpanAttributes, ResourceAttributes,
               SpanAttributes['payment.amount'] AS amount, SpanAttributes['payment.currency'] AS currency,
               if(match(amount, ${AMOUNT_PATTERN}),
                  concat(_labels[if(arrayFirstIndex(b -> toFloat64(amount) < b, _bounds) = 0, length(_labels), arrayFirstIndex(b -> toFloat64(amount) < b, _bounds))],
                         if(currency != '', concat(' ', currency), '')),
                  '') AS amountBand
        FROM ${UNSAFE_RAW_SQL(lastTrace < SAMPLE_SPANS_BELOW ? 'attribute_sample_spans' : 'otel_traces')}
        WHERE Timestamp >= ${p.from} AND Timestamp < ${traceScanTo} AND TraceId <= ${lastTrace} AND TraceId IN (${traces})
      )
    )
    -- grouped on a 64-bit hash of the pair, not the strings
    GROUP BY cityHash64(kv.1, kv.2)
    ORDER BY cohort DESC, baseline DESC, key, value
    LIMIT ${VALUES_PER_KEY} BY key
    LIMIT ${MAX_ROWS}`);
  const counts: DeltaCounts[] = rows.map((r) => ({ key: r.key, value: r.value, cohort: num(r.cohort), baseline: num(r.baseline) }));
  result.attributes = rankDeltas(counts, cohortTraces.length, baselineTraces.length).slice(0, p.limit ?? 30);
  return result;
}
