import { DEFAULT_FLOW_KEY, funnelStepResults, type FunnelDefinition, type FunnelStepDef, type FunnelStepResult } from '../analytics/funnel';
import type { GatewayHostArrays } from '../analytics/gateways';
import { join as joinSql, sql, UNSAFE_RAW_SQL, type SqlFragment } from '../store/sql';
import type { Store } from '../store/store';
import { defaultGatewayHosts, gatewayOfSql, num, queryConstants, quantilesMs, type TimeRange } from './common';

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

/** Per step, the sorted times of the flow's matching spans; step 1 only before `to` (it must start in the range). */
export function stepArraysSql(steps: readonly FunnelStepDef[], to: Date): SqlFragment[] {
  return steps.map((step, k) => sql`arraySort(groupArrayIf(${NS}, ${stepCondition(step)}${k === 0 ? sql` AND Timestamp < ${to}` : sql``}))`);
}

interface FunnelRow {
  value: string;
  isTotal: number;
  reached: string[];
  waits: unknown[][];
}

/**
 * A flow's step times `ts` (1-based: ts[k + 1] is step k; 0 = not reached) from `[a0, a1, …]`, each
 * step's sorted match times: ts[1] = the first step-0 match (in range); ts[k + 1] = the first step-k
 * match at or after ts[k] and within `windowNs` of ts[1]. One fold over the steps: the cost grows
 * linearly with them (a chain of aliases, each using the previous one twice, doubled the expression
 * per step once the engine expanded it).
 */
export function flowStepTimesSql(stepArrays: readonly SqlFragment[], windowNs: number): SqlFragment {
  return sql`arrayFold((acc, a) -> arrayPushBack(acc,
      if(empty(acc), if(empty(a), toInt64(0), a[1]),
        if(acc[-1] = 0, toInt64(0), arrayFirst(x -> x >= acc[-1] AND x <= acc[1] + ${windowNs}, a)))),
    [${joinSql(stepArrays, ', ')}], CAST([], 'Array(Int64)'))`;
}

/** `ts[k + 1]` of flowStepTimesSql: step k's time. */
export const stepTimeSql = (k: number): SqlFragment => sql`${UNSAFE_RAW_SQL(`ts[${k + 1}]`)}`;

/**
 * One query per range: group the matching spans by flow key (across traces), find each flow's step
 * times in order (lib/analytics/funnel.ts `matchFlowSteps`, the same rules), then count and take
 * percentiles of the time from the previous step. The default checkout funnel (steps by stage, flow
 * key payment.order_id) reads `payment_stage_events`; any other reads `otel_traces`.
 */
async function funnelRows(store: Store, p: FunnelParams, range: TimeRange, hosts: GatewayHostArrays): Promise<FunnelRow[]> {
  const f = p.funnel;
  const windowNs = Math.round(f.windowSec * 1e9);
  const fast = stageOnly(f.flowKey, f.steps);
  const table = fast ? sql`payment_stage_events` : sql`otel_traces`;
  const scanTo = new Date(range.to.getTime() + f.windowSec * 1000);
  const conds: SqlFragment[] = [sql`Timestamp >= ${range.from}`, sql`Timestamp < ${scanTo}`];
  if (fast) conds.push(sql`PaymentStage IN (${[...new Set(f.steps.map((s) => s.stage!))]})`);
  else conds.push(anyStepSql(f.steps));
  const splitValue =
    p.split === 'channel' ? sql`anyIf(toString(PaymentChannel), PaymentChannel != '')`
    : p.split === 'gateway' ? sql`anyIf(${gatewayOfSql()}, ${gatewayOfSql()} != '')`
    : sql`''`;
  const flowFilters: SqlFragment[] = [];
  if (p.channel !== undefined) flowFilters.push(sql`countIf(PaymentChannel = ${p.channel}) > 0`);
  if (p.gateway !== undefined) flowFilters.push(sql`countIf(${gatewayOfSql()} = ${p.gateway}) > 0`);
  const having = flowFilters.length ? sql`HAVING ${join(flowFilters, ' AND ')}` : sql``;
  const reached = f.steps.map((_, k) => sql`countIf(${stepTimeSql(k)} > 0)`);
  const waits = f.steps.map((_, k) =>
    k === 0 ? sql`[0, 0, 0]` : sql`quantilesExactIf(0.5, 0.95, 0.99)(${stepTimeSql(k)} - ${stepTimeSql(k - 1)}, ${stepTimeSql(k)} > 0)`);
  return store.query<FunnelRow>(sql`
    WITH ${queryConstants(hosts)}
    SELECT value, ${p.split ? sql`grouping(value)` : sql`1`} AS isTotal, [${join(reached)}] AS reached, [${join(waits)}] AS waits
    FROM (
      SELECT ${flowKeySql(f.flowKey)} AS flow, ${splitValue} AS value, ${flowStepTimesSql(stepArraysSql(f.steps, range.to), windowNs)} AS ts
      FROM ${table}
      WHERE ${join(conds, ' AND ')}
      GROUP BY flow
      ${having}
    )
    WHERE flow != '' AND ${stepTimeSql(0)} > 0
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
