import { judgeGatewayHealth, latencyThresholdMs, type HealthReason, type HealthVerdict } from '../analytics/gateway-health';
import { emptyErrorClassCounts, ERROR_CLASSES, PROVIDER_SIDE_CLASSES, type ErrorClassCounts, type ErrorCodeTable } from '../analytics/error-taxonomy';
import type { GatewayHostArrays } from '../analytics/gateways';
import { join, sql } from '../store/sql';
import type { Store } from '../store/store';
import { defaultGatewayHosts, gatewayOfSql, isTimeoutSql, num, queryConstants, quantilesMs, type TimeRange } from './common';
import { errorClassConstants, errorClassSql } from './error-class';

export interface GatewayHealthParams extends TimeRange {
  /** Only calls made for this payment channel. */
  channel?: string;
  /** One row per gateway and channel instead of per gateway. */
  splitByChannel?: boolean;
  /** Baseline window length before `from`, ms. @default max(24 h, the range's length) */
  baselineMs?: number;
  hosts?: GatewayHostArrays;
  /** @default built-ins + PAYSCOPE_ERROR_CLASSES */
  errorCodes?: ErrorCodeTable;
}

export interface GatewayHealthRow {
  gateway: string;
  /** Present when split by channel. */
  channel?: string;
  requests: number;
  /** Failed calls (every class, timeouts included) / requests. */
  errorRate: number;
  timeoutRate: number;
  /** Failed calls per error class (lib/analytics/error-taxonomy.ts). */
  errorClasses: ErrorClassCounts;
  /** Calls failed on the provider's side (provider_error, timeout, network) / requests: what health is judged on. */
  providerErrorRate: number;
  /** Calls declined (issuer or payer) / requests. */
  declineRate: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  /** Most frequent provider error codes of failed calls ('timeout' for timeouts), most frequent first. */
  topErrors: { code: string; count: number }[];
  health: HealthVerdict;
  /** Why, as data (lib/ui/health-reasons.ts words it). */
  healthReasons: HealthReason[];
  baseline: { from: string; to: string; requests: number; errorRate: number; providerErrorRate: number; timeoutRate: number; p95Ms: number | null };
}

interface AggRow {
  gateway: string;
  channel: string;
  cur: string;
  requests: string;
  errors: string;
  timeouts: string;
  classes: string[];
  classCounts: string[];
  q: (string | number)[];
}

/**
 * Per gateway (and channel): requests, error and timeout rates, failures per error class, latency
 * percentiles, top error codes and a verdict against the gateway's own baseline window just before
 * the range, judged on provider-side failures and latency. Reads `gateway_calls` (outbound calls
 * only); the host → gateway lookup and the error classes are computed in the query from the
 * tables of this configuration, so a change of either applies to stored calls.
 */
export async function getGatewayHealth(store: Store, p: GatewayHealthParams): Promise<{ gateways: GatewayHealthRow[] }> {
  const hosts = p.hosts ?? defaultGatewayHosts();
  const rangeMs = p.to.getTime() - p.from.getTime();
  const baselineMs = p.baselineMs ?? Math.max(24 * 3_600_000, rangeMs);
  const baseFrom = new Date(p.from.getTime() - baselineMs);
  const channelFilter = p.channel !== undefined ? sql`AND PaymentChannel = ${p.channel}` : sql``;
  const channelKey = p.splitByChannel ? sql`toString(PaymentChannel)` : sql`''`;
  const constants = sql`${queryConstants(hosts)}, ${errorClassConstants(p.errorCodes)}`;
  const calls = sql`
    SELECT ${gatewayOfSql()} AS gateway, ${channelKey} AS channel, Timestamp >= ${p.from} AS cur,
           Duration, ${isTimeoutSql()} AS timedOut, IsError OR timedOut AS failed,
           ${errorClassSql({ gateway: 'gateway' })} AS errorClass,
           multiIf(PaymentErrorCode != '', toString(PaymentErrorCode), timedOut, 'timeout', ErrorType != '', toString(ErrorType), 'error') AS code
    FROM gateway_calls
    WHERE Timestamp >= ${baseFrom} AND Timestamp < ${p.to} ${channelFilter}`;
  const [agg, codes] = await Promise.all([
    store.query<AggRow>(sql`
      WITH ${constants}
      SELECT gateway, channel, cur, count() AS requests, countIf(failed) AS errors, countIf(timedOut) AS timeouts,
             ${[...ERROR_CLASSES]} AS classes, [${join(ERROR_CLASSES.map((c) => sql`countIf(errorClass = ${c})`), ', ')}] AS classCounts,
             quantilesExact(0.5, 0.95, 0.99)(Duration) AS q
      FROM (${calls})
      WHERE gateway != ''
      GROUP BY gateway, channel, cur`),
    store.query<{ gateway: string; channel: string; code: string; n: string }>(sql`
      WITH ${constants}
      SELECT gateway, channel, code, count() AS n
      FROM (${calls})
      WHERE gateway != '' AND cur AND failed
      GROUP BY gateway, channel, code
      ORDER BY n DESC, code
      LIMIT 5 BY gateway, channel`),
  ]);

  const key = (g: string, c: string) => `${g}\u0000${c}`;
  const current = new Map<string, AggRow>();
  const baseline = new Map<string, AggRow>();
  for (const r of agg) (num(r.cur) ? current : baseline).set(key(r.gateway, r.channel), r);
  const topErrors = new Map<string, { code: string; count: number }[]>();
  for (const r of codes) {
    const k = key(r.gateway, r.channel);
    if (!topErrors.has(k)) topErrors.set(k, []);
    topErrors.get(k)!.push({ code: r.code, count: num(r.n) });
  }

  // A p95 rise is judged on how many calls were slower than the threshold (a p95 of a few calls is
  // one slow call): counted, in a second query, only where the p95 reached it.
  const thresholds = new Map<string, number>();
  for (const [k, r] of current) {
    const b = baseline.get(k);
    const bP95 = quantilesMs(b?.q, b ? num(b.requests) : 0).p95;
    const p95 = quantilesMs(r.q, num(r.requests)).p95;
    if (bP95 !== null && bP95 > 0 && p95 !== null && p95 >= latencyThresholdMs(bP95)) thresholds.set(k, latencyThresholdMs(bP95));
  }
  const slowCalls = new Map<string, number>();
  if (thresholds.size > 0) {
    const keys = [...thresholds.keys()];
    const limitsNs = keys.map((k) => Math.round(thresholds.get(k)! * 1e6));
    const slow = await store.query<{ gateway: string; channel: string; n: string }>(sql`
      WITH ${constants}
      SELECT gateway, channel, countIf(Duration > transform(concat(gateway, char(0), channel), ${keys}, ${limitsNs}, 0)) AS n
      FROM (${calls})
      WHERE gateway != '' AND cur AND has(${keys}, concat(gateway, char(0), channel))
      GROUP BY gateway, channel`);
    for (const r of slow) slowCalls.set(key(r.gateway, r.channel), num(r.n));
  }

  const rows: GatewayHealthRow[] = [];
  for (const [k, r] of current) {
    const b = baseline.get(k);
    const requests = num(r.requests);
    const q = quantilesMs(r.q, requests);
    const bRequests = b ? num(b.requests) : 0;
    const bq = quantilesMs(b?.q, bRequests);
    const errorClasses = classCounts(r);
    const bProviderErrors = b ? providerErrors(classCounts(b)) : 0;
    const judgement = judgeGatewayHealth(
      { requests, providerErrors: providerErrors(errorClasses), timeouts: num(r.timeouts), p95Ms: q.p95, slowCalls: slowCalls.get(k) },
      b ? { requests: bRequests, providerErrors: bProviderErrors, timeouts: num(b.timeouts), p95Ms: bq.p95 } : null,
    );
    rows.push({
      gateway: r.gateway,
      ...(p.splitByChannel ? { channel: r.channel } : {}),
      requests,
      errorRate: requests ? num(r.errors) / requests : 0,
      timeoutRate: requests ? num(r.timeouts) / requests : 0,
      errorClasses,
      providerErrorRate: requests ? providerErrors(errorClasses) / requests : 0,
      declineRate: requests ? errorClasses.decline / requests : 0,
      p50Ms: q.p50,
      p95Ms: q.p95,
      p99Ms: q.p99,
      topErrors: topErrors.get(k) ?? [],
      health: judgement.verdict,
      healthReasons: judgement.reasons,
      baseline: {
        from: baseFrom.toISOString(),
        to: p.from.toISOString(),
        requests: bRequests,
        errorRate: bRequests ? num(b!.errors) / bRequests : 0,
        providerErrorRate: bRequests ? bProviderErrors / bRequests : 0,
        timeoutRate: bRequests ? num(b!.timeouts) / bRequests : 0,
        p95Ms: bq.p95,
      },
    });
  }
  const rank: Record<HealthVerdict, number> = { failing: 0, degraded: 1, healthy: 2 };
  rows.sort((a, b) => rank[a.health] - rank[b.health] || b.requests - a.requests || (a.gateway < b.gateway ? -1 : 1) || ((a.channel ?? '') < (b.channel ?? '') ? -1 : 1));
  return { gateways: rows };
}

function classCounts(r: AggRow): ErrorClassCounts {
  const out = emptyErrorClassCounts();
  r.classes.forEach((c, i) => (out[c as keyof ErrorClassCounts] = num(r.classCounts[i])));
  return out;
}

function providerErrors(c: ErrorClassCounts): number {
  return PROVIDER_SIDE_CLASSES.reduce((n, k) => n + c[k], 0);
}
