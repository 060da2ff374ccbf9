import { getConfig, type CallbackSla } from '../config';
import { DEFAULT_CHECKOUT_FUNNEL } from '../analytics/funnel';
import { getFunnel } from '../queries/funnel';
import { DEFAULT_FUNNEL_ID, listFunnels } from '../queries/funnels';
import { defaultGatewayHosts, gatewayOfSql, isTimeoutSql, num, queryConstants } from '../queries/common';
import { getGatewayHealth } from '../queries/gateway-health';
import { listDoubleCharges } from '../queries/retries';
import { listTransactionAnomalies } from '../queries/transactions';
import { getStageLatency } from '../queries/stage-latency';
import { sql } from '../store/sql';
import type { Store } from '../store/store';
import { describeHealthReason } from '../ui/health-reasons';
import { chooseBaseline, type Sample } from './evaluate';
import type { AlertRule } from './rules';

/**
 * What each rule kind measures, from the store, as of `now`: one sample per label set (lib/alerts/
 * rules.ts says what each value means). Built on the dashboard's own queries where one answers
 * (gateway health, funnel, stage latency), so an alert says what the page shows.
 */

export interface MeasureContext {
  store: Store;
  now: number;
  /** The dashboard's address, for links. */
  publicUrl: string;
  sla?: CallbackSla;
}

const HOUR = 3_600_000;
const WEEK = 7 * 24 * HOUR;
const LEVEL = { healthy: 0, degraded: 1, failing: 2 } as const;

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

function link(base: string, path: string, params: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  return `${base}${path}?${q}`;
}

/** The page and the traces that show a label set's problem, over the window judged. */
function links(ctx: MeasureContext, rule: AlertRule, page: string, traces: Record<string, string | undefined>): Record<string, string> {
  const from = new Date(ctx.now - rule.windowSec * 1000).toISOString();
  const to = new Date(ctx.now).toISOString();
  return {
    dashboard_url: link(ctx.publicUrl, page, { from, to, ...(page === '/gateways' ? { channel: rule.channel } : {}) }),
    traces_url: link(ctx.publicUrl, '/traces', { from, to, ...traces }),
  };
}

async function gatewayHealth(ctx: MeasureContext, rule: AlertRule): Promise<Sample[]> {
  const { gateways } = await getGatewayHealth(ctx.store, {
    from: new Date(ctx.now - rule.windowSec * 1000), to: new Date(ctx.now), channel: rule.channel, baselineMs: 24 * HOUR,
  });
  return gateways
    .filter((g) => rule.gateway === undefined || g.gateway === rule.gateway)
    .map((g) => {
      const reasons = g.healthReasons.map(describeHealthReason).join('; ');
      return {
        labels: { gateway: g.gateway, ...(rule.channel ? { channel: rule.channel } : {}) },
        value: g.requests >= rule.minCount || g.health === 'failing' ? LEVEL[g.health] : 0,
        summary: `Gateway ${g.gateway} is ${g.health}`,
        description: `${g.gateway}: ${reasons} (${g.requests} requests in the last ${rule.windowSec} s)`,
        annotations: links(ctx, rule, '/gateways', { gateway: g.gateway, stage: 'gateway.request', status: 'error' }),
      };
    });
}

/** `sumMap` of amounts by currency: ([currencies], [amounts]). */
interface MoneyRow {
  money: [string[], (number | string)[]];
}

/** Amounts by currency as sent on the spans, largest first: "1,234.50 USD + 99.00 EUR" ('no amount' when none was sent). */
function money([currencies, amounts]: MoneyRow['money']): string {
  const parts = currencies
    .map((c, i) => ({ c, a: num(amounts[i]) }))
    .filter((m) => m.a > 0)
    .sort((x, y) => y.a - x.a)
    .map((m) => `${m.a.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })} ${m.c || '(no currency)'}`);
  return parts.length ? parts.join(' + ') : 'no amount';
}

async function stuckPayments(ctx: MeasureContext, rule: AlertRule): Promise<Sample[]> {
  const sla = ctx.sla ?? getConfig().callbackSla;
  const slaGateways = Object.keys(sla.byGateway);
  const slaSeconds = slaGateways.map((g) => sla.byGateway[g]);
  const from = new Date(ctx.now - rule.windowSec * 1000);
  const to = new Date(ctx.now);
  const toNs = sql`toInt64(toUnixTimestamp64Nano(toDateTime64(${to}, 9)))`;
  const rows = await ctx.store.query<MoneyRow & { gateway: string; due: string; stuck: string }>(sql`
    WITH ${queryConstants(defaultGatewayHosts())}, ${slaGateways} AS _sla_gateways, ${slaSeconds.length ? slaSeconds : [0]} AS _sla_seconds
    SELECT gateway, count() AS due, countIf(NOT called) AS stuck,
           sumMapIf([currency], [amount], NOT called) AS money
    FROM (
      SELECT PaymentOrderId AS orderId, anyIf(gw, isRequest AND gw != '') AS gateway,
             anyIf(toString(PaymentCurrency), isRequest) AS currency, anyIf(toFloat64OrZero(PaymentAmount), isRequest) AS amount,
             maxIf(toInt64(toUnixTimestamp64Nano(Timestamp)) + toInt64(Duration), isRequest AND accepted) AS requestEndNs,
             if(has(_sla_gateways, gateway), toFloat64(_sla_seconds[indexOf(_sla_gateways, gateway)]), toFloat64(${sla.defaultSec})) AS slaSec,
             countIf(NOT isRequest) > 0 AS called
      FROM (
        SELECT PaymentOrderId, Timestamp, Duration, PaymentCurrency, PaymentAmount, ${gatewayOfSql()} AS gw, PaymentStage = 'gateway.request' AS isRequest,
               NOT IsError OR ${isTimeoutSql()} AS accepted
        FROM payment_stage_events
        WHERE PaymentStage IN ('gateway.request', 'gateway.callback') AND Timestamp >= ${from} AND Timestamp < ${to} AND PaymentOrderId != ''
      )
      GROUP BY PaymentOrderId
      HAVING countIf(isRequest AND accepted) > 0 AND ${toNs} - requestEndNs > slaSec * 1e9
    )
    WHERE gateway != ''
    GROUP BY gateway ORDER BY gateway`);
  return rows.filter((r) => rule.gateway === undefined || r.gateway === rule.gateway).map((r) => {
    const due = num(r.due);
    const stuck = num(r.stuck);
    const share = due ? stuck / due : 0;
    const atStake = money(r.money);
    return {
      labels: { gateway: r.gateway },
      value: stuck >= rule.minCount ? share * 100 : 0,
      summary: `${stuck} payment${stuck === 1 ? '' : 's'} via ${r.gateway} stuck past their callback SLA (${pct(share)}), ${atStake} at stake`,
      description: `${stuck} of ${due} accepted ${r.gateway} requests of the last ${rule.windowSec} s whose callback SLA has passed got no callback.`,
      annotations: { amount_at_stake: atStake, stuck_payments: String(stuck), ...links(ctx, rule, '/stuck', { gateway: r.gateway, stage: 'gateway.request' }) },
    };
  });
}

async function inconsistentPayments(ctx: MeasureContext, rule: AlertRule): Promise<Sample[]> {
  const from = new Date(ctx.now - rule.windowSec * 1000);
  const to = new Date(ctx.now);
  const rows = await ctx.store.query<MoneyRow & { gateway: string; paid: string; bad: string }>(sql`
    WITH ${queryConstants(defaultGatewayHosts())}
    SELECT gateway, count() AS paid, countIf(failedAfter) AS bad, sumMapIf([currency], [amount], failedAfter) AS money
    FROM (
      SELECT PaymentOrderId AS orderId, anyIf(gw, gw != '') AS gateway, minIf(ns, succeeded) AS paidNs,
             anyIf(toString(PaymentCurrency), PaymentCurrency != '') AS currency, anyIf(toFloat64OrZero(PaymentAmount), PaymentAmount != '') AS amount,
             arrayExists(f -> f > paidNs, groupArrayIf(ns, failed)) AS failedAfter
      FROM (
        SELECT PaymentOrderId, PaymentCurrency, PaymentAmount, ${gatewayOfSql()} AS gw, toInt64(toUnixTimestamp64Nano(Timestamp)) AS ns,
               PaymentStage IN ('gateway.request', 'gateway.callback') AND PaymentOutcome = 'succeeded' AS succeeded,
               IsError OR PaymentOutcome = 'failed' AS failed
        FROM payment_stage_events
        WHERE Timestamp >= ${from} AND Timestamp < ${to} AND PaymentOrderId != ''
      )
      GROUP BY PaymentOrderId
      HAVING paidNs > 0
    )
    WHERE gateway != ''
    GROUP BY gateway ORDER BY gateway`);
  return rows.filter((r) => rule.gateway === undefined || r.gateway === rule.gateway).map((r) => {
    const paid = num(r.paid);
    const bad = num(r.bad);
    const share = paid ? bad / paid : 0;
    const atStake = money(r.money);
    return {
      labels: { gateway: r.gateway },
      value: bad >= rule.minCount ? share * 100 : 0,
      summary: `${bad} payment${bad === 1 ? '' : 's'} via ${r.gateway} paid but the order failed (${pct(share)}), ${atStake} at stake`,
      description: `${bad} of ${paid} payments ${r.gateway} reported paid in the last ${rule.windowSec} s had a later stage fail: money moved without a confirmed order.`,
      annotations: { amount_at_stake: atStake, inconsistent_payments: String(bad), ...links(ctx, rule, '/stuck', { gateway: r.gateway, status: 'error' }) },
    };
  });
}

/** Orders charged twice: a count, since every one is money to refund. The label is the gateway that charged first (whose late answer led to the retry). */
async function doubleCharges(ctx: MeasureContext, rule: AlertRule): Promise<Sample[]> {
  const from = new Date(ctx.now - rule.windowSec * 1000);
  const { payments } = await listDoubleCharges(ctx.store, { from, to: new Date(ctx.now), channel: rule.channel, limit: 10_000 });
  const byGateway = new Map<string, { n: number; money: Map<string, number>; orders: string[] }>();
  for (const p of payments) {
    const g = p.gateways[0] ?? '';
    if (rule.gateway !== undefined && !p.gateways.includes(rule.gateway)) continue;
    const e = byGateway.get(g) ?? { n: 0, money: new Map<string, number>(), orders: [] as string[] };
    e.n++;
    // Each charge past the first is money taken twice.
    e.money.set(p.currency, (e.money.get(p.currency) ?? 0) + num(p.amount) * (p.charges - 1));
    if (e.orders.length < 5) e.orders.push(p.orderId);
    byGateway.set(g, e);
  }
  return [...byGateway].map(([gateway, e]) => {
    const atStake = money([[...e.money.keys()], [...e.money.values()]]);
    return {
      labels: { gateway },
      value: e.n >= rule.minCount ? e.n : 0,
      summary: `${e.n} order${e.n === 1 ? '' : 's'} charged twice via ${gateway}, ${atStake} to refund`,
      description: `Orders of the last ${rule.windowSec} s charged more than once at the provider (e.g. ${e.orders.join(', ')}).`,
      annotations: {
        amount_at_stake: atStake, double_charged_orders: String(e.n),
        dashboard_url: link(ctx.publicUrl, '/retries', { from: from.toISOString(), to: new Date(ctx.now).toISOString() }),
        traces_url: link(ctx.publicUrl, '/traces', { orderId: e.orders[0], from: new Date(from.getTime() - 3_600_000).toISOString(), to: new Date(ctx.now).toISOString() }),
      },
    };
  });
}

/**
 * Distributed transactions with an anomaly, per kind: the share of the window's transactions, in
 * points above the same share over the previous 24 h (the platform's own rate: a saga whose
 * compensation waits on a late callback is `unfinished` for a while on a normal day).
 */
async function transactionAnomalies(ctx: MeasureContext, rule: AlertRule): Promise<Sample[]> {
  const from = new Date(ctx.now - rule.windowSec * 1000);
  const to = new Date(ctx.now);
  const sla = ctx.sla ?? getConfig().callbackSla;
  const shares = (r: Awaited<ReturnType<typeof listTransactionAnomalies>>) =>
    new Map(Object.entries(r.counts).map(([kind, n]) => [kind, { count: num(n), share: r.transactions ? num(n) / r.transactions : 0 }]));
  const r = await listTransactionAnomalies(ctx.store, { from, to, slaSec: sla.defaultSec, limit: 50 });
  if (r.transactions === 0) return [];
  // The baseline ends an SLA before the hour, so that its tries have had their SLA when judged (a
  // range judged at its own end calls no try of its last SLA unfinished: right after a first start
  // that made the baseline 0 % and fired on normal traffic).
  const { previous24h } = baselineRanges(ctx.now);
  const judged = { from: previous24h.from, to: new Date(previous24h.to.getTime() - sla.defaultSec * 1000) };
  const base = await cachedBaseline(ctx.store, `transactions|${sla.defaultSec}|${JSON.stringify(judged)}`, async () => {
    const b = await listTransactionAnomalies(ctx.store, { ...judged, slaSec: sla.defaultSec, limit: 1 });
    return { transactions: b.transactions, shares: shares(b) };
  });
  // Without a baseline (fewer than minCount transactions before this hour) there is nothing to be
  // above: no alert, as the funnel and stage rules do.
  const hasBase = base.transactions >= rule.minCount;
  const out: Sample[] = [];
  for (const [kind, cur] of shares(r)) {
    const b = hasBase ? base.shares.get(kind)?.share ?? 0 : 0;
    const example = r.anomalies.find((a) => a.kind === kind);
    out.push({
      labels: { kind },
      value: hasBase && cur.count >= rule.minCount ? (cur.share - b) * 100 : 0,
      summary: `${cur.count} distributed transaction${cur.count === 1 ? '' : 's'} with ${kind.replace(/_/g, ' ')}: ${pct(cur.share)} of ${r.transactions}, ${hasBase ? `vs ${pct(b)} the previous 24 h` : `no baseline yet (fewer than ${rule.minCount} transactions in the previous 24 h)`}`,
      description: `TCC/Saga transactions with a phase span in the last ${rule.windowSec} s, judged as of now with a branch SLA of ${sla.defaultSec} s.`,
      annotations: {
        dashboard_url: link(ctx.publicUrl, '/transactions', { from: from.toISOString(), to: to.toISOString() }),
        traces_url: example?.traceIds[0] ? `${ctx.publicUrl}/traces/${example.traceIds[0]}` : link(ctx.publicUrl, '/traces', { from: from.toISOString(), to: to.toISOString() }),
      },
    });
  }
  return out;
}

/**
 * The baselines of a window ending at `now`: the same clock hour a week earlier, and the 24 h before
 * this hour. Whole hours, so a baseline stays the same for an hour of evaluations and is computed
 * once (`cachedBaseline`).
 */
function baselineRanges(now: number) {
  const hour = Math.floor(now / HOUR) * HOUR;
  return {
    lastWeek: { from: new Date(hour - WEEK), to: new Date(hour - WEEK + HOUR) },
    previous24h: { from: new Date(hour - 24 * HOUR), to: new Date(hour) },
  };
}

const baselines = new WeakMap<Store, Map<string, Promise<unknown>>>();
/** Baselines kept per store; an hour's evaluations need a few per rule. */
const MAX_BASELINES = 200;

/** A baseline computed once per store and key (the key names the query and its whole-hour range). */
function cachedBaseline<T>(store: Store, key: string, compute: () => Promise<T>): Promise<T> {
  let m = baselines.get(store);
  if (!m) baselines.set(store, (m = new Map()));
  const hit = m.get(key) as Promise<T> | undefined;
  if (hit) return hit;
  if (m.size >= MAX_BASELINES) m.clear();
  const p = compute();
  m.set(key, p);
  // A failed computation is not kept: the next evaluation tries again.
  p.catch(() => m!.delete(key));
  return p;
}

async function funnelConversionDrop(ctx: MeasureContext, rule: AlertRule): Promise<Sample[]> {
  const windowMs = rule.windowSec * 1000;
  const current = { from: new Date(ctx.now - windowMs), to: new Date(ctx.now) };
  const b = baselineRanges(ctx.now);
  const funnels = await listFunnels(ctx.store);
  const out: Sample[] = [];
  for (const f of funnels) {
    const def = f.id === DEFAULT_FUNNEL_ID ? DEFAULT_CHECKOUT_FUNNEL : f;
    const filters = { channel: rule.channel, gateway: rule.gateway };
    const now = await getFunnel(ctx.store, { ...current, funnel: def, ...filters });
    const entered = now.steps[0]?.reached ?? 0;
    if (entered < rule.minCount) continue;
    const over = (r: { from: Date; to: Date }) => cachedBaseline(ctx.store, `funnel|${JSON.stringify([def, filters, r])}`, async () => {
      const { steps } = await getFunnel(ctx.store, { ...r, funnel: def, ...filters });
      return { count: steps[0]?.reached ?? 0, steps };
    });
    const week = await over(b.lastWeek);
    // The previous day is read only when last week has too little to compare with.
    const base = chooseBaseline(week, week.count >= rule.minCount ? null : await over(b.previous24h), rule.minCount);
    if (!base) continue;
    for (let k = 1; k < now.steps.length; k++) {
      const step = now.steps[k];
      const prevReached = now.steps[k - 1].reached;
      const conv = prevReached ? step.reached / prevReached : 0;
      const bs = base.stats.steps[k];
      const bPrev = base.stats.steps[k - 1]?.reached ?? 0;
      const bConv = bPrev ? (bs?.reached ?? 0) / bPrev : 0;
      const drop = prevReached >= rule.minCount && bPrev >= rule.minCount ? (bConv - conv) * 100 : 0;
      out.push({
        labels: { funnel: f.name, step: step.name },
        value: drop,
        summary: `Funnel ${f.name}: ${pct(conv)} reach ${step.name} from ${now.steps[k - 1].name}, vs ${pct(bConv)} ${base.kind === 'last_week' ? 'the same hour last week' : 'the previous 24 h'}`,
        description: `${step.reached} of ${prevReached} flows of the last ${rule.windowSec} s went on to ${step.name} (baseline ${pct(bConv)}).`,
        annotations: {
          dashboard_url: link(ctx.publicUrl, '/funnel', { funnel: f.id, from: current.from.toISOString(), to: current.to.toISOString() }),
          traces_url: link(ctx.publicUrl, '/traces', { stage: now.steps[k - 1].name, from: current.from.toISOString(), to: current.to.toISOString() }),
        },
      });
    }
  }
  return out;
}

async function stageWaitP95(ctx: MeasureContext, rule: AlertRule): Promise<Sample[]> {
  const windowMs = rule.windowSec * 1000;
  const b = baselineRanges(ctx.now);
  const byStage = (rows: Awaited<ReturnType<typeof getStageLatency>>) =>
    new Map(rows.stages.filter((s) => s.channel === null).map((s) => [s.stage, s]));
  const over = (r: { from: Date; to: Date }) => cachedBaseline(ctx.store, `stages|${JSON.stringify([rule.channel, r])}`, async () => byStage(await getStageLatency(ctx.store, { ...r, channel: rule.channel })));
  const current = byStage(await getStageLatency(ctx.store, { from: new Date(ctx.now - windowMs), to: new Date(ctx.now), channel: rule.channel }));
  const week = await over(b.lastWeek);
  const weekTotal = [...week.values()].reduce((n, s) => n + s.count, 0);
  // The previous day is read only when last week has too little to compare with.
  const prev = weekTotal >= rule.minCount ? null : await over(b.previous24h);
  const out: Sample[] = [];
  for (const [stage, s] of current) {
    if (s.waitP95Ms === null || s.count < rule.minCount) continue;
    const w = week.get(stage);
    const p = prev?.get(stage);
    const base = chooseBaseline(w ? { count: w.count, p95: w.waitP95Ms } : null, p ? { count: p.count, p95: p.waitP95Ms } : null, rule.minCount);
    if (!base || base.stats.p95 === null) continue;
    // Below 100 ms above the baseline a multiple means nothing (5 ms → 15 ms).
    const ratio = s.waitP95Ms - base.stats.p95 >= 100 ? s.waitP95Ms / Math.max(base.stats.p95, 1) : 1;
    out.push({
      labels: { stage, ...(rule.channel ? { channel: rule.channel } : {}) },
      value: ratio,
      summary: `Wait before ${stage}: p95 ${Math.round(s.waitP95Ms)} ms vs ${Math.round(base.stats.p95)} ms ${base.kind === 'last_week' ? 'the same hour last week' : 'the previous 24 h'}`,
      description: `p95 of the wait before ${stage} over ${s.count} spans of the last ${rule.windowSec} s is ${ratio.toFixed(1)}x its baseline.`,
      annotations: links(ctx, rule, '/hops', { stage, sort: 'duration' }),
    });
  }
  return out;
}

/** Payments accepted among those that reached the gateway (a decline is the payer's bank saying no). */
async function acceptanceRateDrop(ctx: MeasureContext, rule: AlertRule): Promise<Sample[]> {
  const windowMs = rule.windowSec * 1000;
  const b = baselineRanges(ctx.now);
  const rates = async (from: Date, to: Date) => {
    const rows = await ctx.store.query<{ channel: string; n: string; ok: string }>(sql`
      SELECT channel, count() AS n, countIf(ok) AS ok FROM (
        SELECT PaymentOrderId, anyIf(toString(PaymentChannel), PaymentChannel != '') AS channel,
               countIf(PaymentStage IN ('gateway.request', 'gateway.callback') AND PaymentOutcome = 'succeeded') > 0 AS ok
        FROM payment_stage_events
        WHERE PaymentStage IN ('gateway.request', 'gateway.callback') AND Timestamp >= ${from} AND Timestamp < ${to} AND PaymentOrderId != ''
        GROUP BY PaymentOrderId)
      WHERE channel != '' GROUP BY channel`);
    return new Map(rows.map((r) => [r.channel, { count: num(r.n), rate: num(r.n) ? num(r.ok) / num(r.n) : 0 }]));
  };
  const current = await rates(new Date(ctx.now - windowMs), new Date(ctx.now));
  const week = await cachedBaseline(ctx.store, `acceptance|${JSON.stringify(b.lastWeek)}`, () => rates(b.lastWeek.from, b.lastWeek.to));
  const prev = await cachedBaseline(ctx.store, `acceptance|${JSON.stringify(b.previous24h)}`, () => rates(b.previous24h.from, b.previous24h.to));
  const out: Sample[] = [];
  for (const [channel, c] of current) {
    if ((rule.channel && channel !== rule.channel) || c.count < rule.minCount) continue;
    const base = chooseBaseline(week.get(channel) ?? null, prev.get(channel) ?? null, rule.minCount);
    if (!base) continue;
    out.push({
      labels: { channel },
      value: (base.stats.rate - c.rate) * 100,
      summary: `Acceptance rate of ${channel} payments ${pct(c.rate)} vs ${pct(base.stats.rate)} baseline (payer declines, not a provider fault)`,
      description: `${c.count} ${channel} payments reached the gateway in the last ${rule.windowSec} s.`,
      annotations: links(ctx, rule, '/gateways', { channel, stage: 'gateway.callback', status: 'error' }),
    });
  }
  return out;
}

const MEASURES: Record<AlertRule['kind'], (ctx: MeasureContext, rule: AlertRule) => Promise<Sample[]>> = {
  gateway_health: gatewayHealth,
  stuck_payments: stuckPayments,
  inconsistent_payments: inconsistentPayments,
  double_charges: doubleCharges,
  transaction_anomalies: transactionAnomalies,
  funnel_conversion_drop: funnelConversionDrop,
  stage_wait_p95: stageWaitP95,
  acceptance_rate_drop: acceptanceRateDrop,
};

export function measure(ctx: MeasureContext, rule: AlertRule): Promise<Sample[]> {
  return MEASURES[rule.kind](ctx, rule);
}
