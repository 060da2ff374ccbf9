import crypto from 'node:crypto';
import { DEFAULT_FLOW_KEY, funnelStepResults, type FunnelDefinition, type FunnelStepDef, type FunnelStepResult } from '../analytics/funnel';
import type { GatewayHostArrays } from '../analytics/gateways';
import { join as joinSql, sql, UNSAFE_RAW_SQL, type SqlFragment } from '../store/sql';
import type { Store } from '../store/store';
import { defaultGatewayHosts, gatewayOfSql, num, queryConstants, quantilesMs, type TimeRange } from './common';
import { listFunnels } from './funnels';
import { HOUR_MS, partialRowsWhere, partialTable, planPartials, registerPartialKindSource, unionAll, type PartialKind, type PartialPlan } from './partials';

export interface FunnelParams extends TimeRange {
  funnel: FunnelDefinition;
  /** Only flows in this channel / through this gateway. */
  channel?: string;
  gateway?: string;
  /** Also one funnel per channel or per gateway. */
  split?: 'channel' | 'gateway';
  /** Also the same funnel over an earlier range (e.g. the previous week). */
  compare?: TimeRange;
  hosts?: GatewayHostArrays;
  /** Decides the current hour, always read from the spans (lib/queries/partials.ts). @default Date.now() */
  now?: number;
}

export interface FunnelResult {
  from: string;
  to: string;
  steps: FunnelStepResult[];
  splits?: { value: string; steps: FunnelStepResult[] }[];
  compare?: { from: string; to: string; steps: FunnelStepResult[] };
}

// What a funnel step matches, shared by the funnel and its drop-offs (lib/queries/funnel-drop-offs.ts).

/** Whether every step matches by stage alone and the flow key is the order id: the rollup can answer. */
export function stageOnly(flowKey: string, steps: readonly FunnelStepDef[]): boolean {
  return flowKey === DEFAULT_FLOW_KEY && steps.every((s) => s.stage !== undefined && !s.service && !s.spanName && !s.attributes);
}

/** SQL condition for one step on otel_traces (or on payment_stage_events when `stage` is all it uses). */
function stepCondition(step: FunnelStepDef): SqlFragment {
  const conds: SqlFragment[] = [];
  if (step.stage !== undefined) conds.push(sql`PaymentStage = ${step.stage}`);
  if (step.service !== undefined) conds.push(sql`ServiceName = ${step.service}`);
  if (step.spanName !== undefined) conds.push(sql`SpanName = ${step.spanName}`);
  for (const [k, v] of Object.entries(step.attributes ?? {})) conds.push(sql`SpanAttributes[${k}] = ${v}`);
  return conds.length ? join(conds, ' AND ') : sql`0`;
}

/** Any step's condition: the spans a funnel query needs to read. */
function anyStepSql(steps: readonly FunnelStepDef[]): SqlFragment {
  return sql`(${join(steps.map(stepCondition), ' OR ')})`;
}

/** The column or attribute that joins a flow's spans. */
export function flowKeySql(flowKey: string): SqlFragment {
  return flowKey === DEFAULT_FLOW_KEY ? sql`PaymentOrderId` : sql`SpanAttributes[${flowKey}]`;
}

const NS = sql`toInt64(toUnixTimestamp64Nano(Timestamp))`;

/**
 * A flow's step times `ts` (1-based: ts[k + 1] is step k; 0 = not reached) from `[a0, a1, …]`, each
 * step's sorted match times: ts[1] = the first step-0 match (in range); ts[k + 1] = the first step-k
 * match at or after ts[k] and within `windowNs` of ts[1]. One fold over the steps: the cost grows
 * linearly with them (a chain of aliases, each using the previous one twice, doubled the expression
 * per step once the engine expanded it).
 */
function flowStepTimesSql(stepArrays: readonly SqlFragment[], windowNs: number): SqlFragment {
  return sql`arrayFold((acc, a) -> arrayPushBack(acc,
      if(empty(acc), if(empty(a), toInt64(0), a[1]),
        if(acc[-1] = 0, toInt64(0), arrayFirst(x -> x >= acc[-1] AND x <= acc[1] + ${windowNs}, a)))),
    [${joinSql(stepArrays, ', ')}], CAST([], 'Array(Int64)'))`;
}

/** `ts[k + 1]` of flowStepTimesSql: step k's time. */
export const stepTimeSql = (k: number): SqlFragment => sql`${UNSAFE_RAW_SQL(`ts[${k + 1}]`)}`;

interface FunnelRow {
  value: string;
  isTotal: number;
  reached: string[];
  waits: unknown[][];
}

/** Funnels whose window is longer than this get no hourly partials (each hour would read days of spans). */
export const MAX_PARTIAL_WINDOW_SEC = 6 * 3600;

const nsOf = (d: Date): SqlFragment => sql`toInt64(toUnixTimestamp64Nano(toDateTime64(${d}, 9)))`;

/**
 * One row per funnel entry in `range` (lib/analytics/funnel.ts `matchFlowSteps`, the same rules):
 * an entry is a step-1 match in the range with no step-1 match of the same flow in the window
 * before it (a flow that starts again more than a window later enters again); step k is the first
 * step-k match at or after step k - 1 and within the window of the entry. Channel and Gateway are
 * the first non-empty ones among the entry's spans (those matching a step from the entry to the end
 * of its window), Channels and Gateways all of them; Flow is the flow key's value. Nothing depends
 * on where a range starts, so hourly partials give the answer the spans give. Needs `queryConstants` (the gateway host table).
 * The default checkout funnel (steps by stage, flow key payment.order_id) reads
 * `payment_stage_events`; any other reads `otel_traces`.
 */
export function funnelEntriesSql(f: FunnelDefinition, range: TimeRange): SqlFragment {
  const windowNs = Math.round(f.windowSec * 1e9);
  const fast = stageOnly(f.flowKey, f.steps);
  const table = fast ? sql`payment_stage_events` : sql`otel_traces`;
  const conds: SqlFragment[] = [
    sql`Timestamp >= ${new Date(range.from.getTime() - f.windowSec * 1000)}`,
    sql`Timestamp < ${new Date(range.to.getTime() + f.windowSec * 1000)}`,
  ];
  if (fast) conds.push(sql`PaymentStage IN (${[...new Set(f.steps.map((s) => s.stage!))]})`);
  else conds.push(anyStepSql(f.steps));
  const col = (k: number) => UNSAFE_RAW_SQL(`a${k}`);
  const arrays = f.steps.map((step, k) => sql`arraySort(groupArrayIf(${NS}, ${stepCondition(step)})) AS ${col(k)}`);
  const later = f.steps.slice(1).map((_, k) => sql`${col(k + 1)}`);
  return sql`
    SELECT flow AS Flow, arrayFirst(t -> t.2 != '', run).2 AS Channel, arrayFirst(t -> t.3 != '', run).3 AS Gateway,
           arraySort(arrayDistinct(arrayFilter(c -> c != '', arrayMap(t -> t.2, run)))) AS Channels,
           arraySort(arrayDistinct(arrayFilter(g -> g != '', arrayMap(t -> t.3, run)))) AS Gateways,
           ${flowStepTimesSql([sql`[x]`, ...later], windowNs)} AS Ts
    FROM (
      SELECT x, ${join([sql`flow`, ...later])}, arrayFilter(t -> t.1 >= x AND t.1 <= x + ${windowNs}, spans) AS run
      FROM (
        SELECT ${flowKeySql(f.flowKey)} AS flow, ${join(arrays)},
               arraySort(groupArray((${NS}, toString(PaymentChannel), ${gatewayOfSql()}))) AS spans
        FROM ${table}
        WHERE ${join(conds, ' AND ')}
        GROUP BY flow
      )
      ARRAY JOIN arrayFilter((t, i) -> t >= ${nsOf(range.from)} AND t < ${nsOf(range.to)} AND (i = 1 OR a0[i - 1] < t - ${windowNs}),
                             a0, arrayEnumerate(a0)) AS x
      WHERE flow != ''
    )`;
}

function definitionHash(f: FunnelDefinition, hosts: GatewayHostArrays): string {
  const steps = f.steps.map(({ name: _name, ...matches }) => matches);
  return crypto.createHash('sha256').update(JSON.stringify([steps, f.flowKey, f.windowSec, hosts])).digest('hex').slice(0, 24);
}

/**
 * The partial kind of a funnel definition with a gateway host table (lib/queries/partials.ts): its
 * entries per hour in `funnel_partials`. Step names are labels and do not change it. Undefined for
 * a window over MAX_PARTIAL_WINDOW_SEC: such a funnel is always read from the spans.
 */
export function funnelPartialKind(f: FunnelDefinition, hosts: GatewayHostArrays): PartialKind | undefined {
  if (f.windowSec > MAX_PARTIAL_WINDOW_SEC) return undefined;
  const span = Math.ceil((f.windowSec * 1000) / HOUR_MS);
  return {
    name: `funnel:${definitionHash(f, hosts)}`,
    before: span,
    after: span,
    table: 'funnel_partials',
    async compute(store, hour, tag) {
      await store.command(sql`
        INSERT INTO funnel_partials (Kind, Hour, Covers, Channel, Gateway, Channels, Gateways, Ts)
        WITH ${queryConstants(hosts)}
        SELECT ${tag}, Channel, Gateway, Channels, Gateways, Ts
        FROM (${funnelEntriesSql(f, { from: hour, to: new Date(hour.getTime() + HOUR_MS) })})`);
    },
  };
}

// The job keeps the built-in and every saved funnel up to date, with this process's host table.
registerPartialKindSource(async (store) =>
  (await listFunnels(store)).flatMap((f) => funnelPartialKind(f, defaultGatewayHosts()) ?? []));

/**
 * One query per range: the range's entries (funnelEntriesSql), from `funnel_partials` for every
 * hour with a valid partial (those at the range's ends too, by the entry's time), the rest from the
 * spans; then counts and exact percentiles of the time from the
 * previous step. A funnel not yet computed (just saved or edited) is read from the spans.
 */
async function funnelRows(store: Store, p: FunnelParams, range: TimeRange, hosts: GatewayHostArrays): Promise<FunnelRow[]> {
  const f = p.funnel;
  const kind = funnelPartialKind(f, hosts);
  const plan: PartialPlan = kind ? await planPartials(store, kind, range, p.now, true) : { hours: [], live: [range] };
  const entries = (r: TimeRange) => sql`SELECT Channel, Gateway, Channels, Gateways, Ts FROM (${funnelEntriesSql(f, r)})`;
  const parts: SqlFragment[] = plan.live.map(entries);
  if (kind && plan.hours.length) {
    parts.push(sql`
      SELECT Channel, Gateway, Channels, Gateways, Ts FROM ${partialTable(kind)}
      WHERE ${partialRowsWhere(kind, plan)} AND Ts[1] >= ${nsOf(range.from)} AND Ts[1] < ${nsOf(range.to)}`);
  }
  if (parts.length === 0) parts.push(entries(range));
  const value = p.split === 'channel' ? sql`Channel` : p.split === 'gateway' ? sql`Gateway` : sql`''`;
  const filters: SqlFragment[] = [sql`1`];
  if (p.channel !== undefined) filters.push(sql`has(Channels, ${p.channel})`);
  if (p.gateway !== undefined) filters.push(sql`has(Gateways, ${p.gateway})`);
  const reached = f.steps.map((_, k) => sql`countIf(${stepTimeSql(k)} > 0)`);
  const waits = f.steps.map((_, k) =>
    k === 0 ? sql`[0, 0, 0]` : sql`quantilesExactIf(0.5, 0.95, 0.99)(${stepTimeSql(k)} - ${stepTimeSql(k - 1)}, ${stepTimeSql(k)} > 0)`);
  return store.query<FunnelRow>(sql`
    WITH ${queryConstants(hosts)}
    SELECT value, ${p.split ? sql`grouping(value)` : sql`1`} AS isTotal, [${join(reached)}] AS reached, [${join(waits)}] AS waits
    FROM (
      SELECT toString(${value}) AS value, Ts AS ts
      FROM (${unionAll(parts)})
      WHERE ${join(filters, ' AND ')}
    )
    GROUP BY ${p.split ? sql`GROUPING SETS ((value), ())` : sql`value`}
    ORDER BY isTotal DESC, value`);
}

function join(parts: SqlFragment[], separator = ', '): SqlFragment {
  return joinSql(parts, separator);
}

function toSteps(f: FunnelDefinition, row: FunnelRow | undefined): FunnelStepResult[] {
  const names = f.steps.map((s) => s.name);
  const reached = names.map((_, k) => num(row?.reached[k]));
  const waits = names.map((_, k) => quantilesMs(row?.waits[k], reached[k]));
  return funnelStepResults(names, reached, waits);
}

/** The funnel over the range, optionally split and compared with an earlier range. */
export async function getFunnel(store: Store, p: FunnelParams): Promise<FunnelResult> {
  const hosts = p.hosts ?? defaultGatewayHosts();
  const [rows, compareRows] = await Promise.all([
    funnelRows(store, p, p, hosts),
    p.compare ? funnelRows(store, { ...p, split: undefined }, p.compare, hosts) : Promise.resolve(undefined),
  ]);
  const total = rows.find((r) => num(r.isTotal) === 1);
  const result: FunnelResult = { from: p.from.toISOString(), to: p.to.toISOString(), steps: toSteps(p.funnel, total) };
  if (p.split) result.splits = rows.filter((r) => num(r.isTotal) === 0).map((r) => ({ value: r.value, steps: toSteps(p.funnel, r) }));
  if (p.compare) result.compare = { from: p.compare.from.toISOString(), to: p.compare.to.toISOString(), steps: toSteps(p.funnel, compareRows?.[0]) };
  return result;
}
