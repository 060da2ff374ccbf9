/**
 * Randomized data: six hundred seeded payments (with a degraded gateway, lost, late and duplicate
 * callbacks, timeouts, declines). Every query result is compared with a plain-JS computation over
 * the very same spans, kept as objects when they were generated; and the seeder's ground truth is
 * checked against what the queries find.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../clickhouse/migrate';
import { computeCriticalPath } from '../analytics/critical-path';
import { DEFAULT_CHECKOUT_FUNNEL, funnelStepResults, matchFlowSteps } from '../analytics/funnel';
import { classifyGatewayError, emptyErrorClassCounts, ErrorCodeTable, type ErrorClassCounts } from '../analytics/error-taxonomy';
import { judgeGatewayHealth, latencyThresholdMs } from '../analytics/gateway-health';
import { GatewayHostTable, gatewayOf, isTimeout } from '../analytics/gateways';
import { criticalPathByHop, hopCalls, hopKey, type HopSpan } from '../analytics/hops';
import type { Span } from '../analytics/span';
import { quantiles } from '../analytics/percentiles';
import { stageWaits } from '../analytics/stages';
import { sql } from '../store/sql';
import type { Store } from '../store/store';
import { openTempStore } from '../../test/helpers/store';
import type { SeedSpan } from '../../sim/seed/generate';
import type { GroundTruth } from '../../sim/seed/scenarios';
import { paymentStream, seedStore } from '../../sim/seed/seed';
import { getFunnel } from './funnel';
import { getGatewayHealth } from './gateway-health';
import { CALL_WINDOW_AFTER_MS, CALL_WINDOW_BEFORE_MS, getSlowestHops } from './hops';
import { getStageLatency } from './stage-latency';
import { listInconsistentPayments, listStuckPayments } from './stuck';
import { searchTraces } from './traces';
import { msFromNs } from './common';

const END = Date.parse('2025-04-10T12:00:00Z');
const HOURS = 6;
const SEED = { payments: 600, seed: 'reference', fromMs: END - HOURS * 3_600_000, toMs: END, scenario: 'gateway-degraded' as const };

/** A seeded span as the store holds it: times in integer nanoseconds (relative to BASE), attributes as a map. */
type Ref = Pick<Span, 'traceId' | 'spanId' | 'parentSpanId' | 'service' | 'name' | 'kind'> & {
  start: number;
  dur: number;
  attrs: Record<string, string>;
  error: boolean;
};
const BASE_MS = SEED.fromMs - 24 * 3_600_000;
const BASE_NS = BigInt(BASE_MS) * 1_000_000n;

/** Exactly the nanoseconds the RowBinary writer stores for a fractional epoch-ms time. */
function nsOf(ms: number): bigint {
  let whole = Math.floor(ms);
  let ns = Math.round((ms - whole) * 1e6);
  if (ns >= 1e6) {
    whole += 1;
    ns -= 1e6;
  }
  return BigInt(whole) * 1_000_000n + BigInt(ns);
}
const rel = (ms: number) => Number(nsOf(ms) - BASE_NS);
const relOf = (d: Date) => rel(d.getTime());
/** Epoch ms exactly as the query layer derives them from stored nanoseconds. */
const absMsOf = (relNs: number) => msFromNs(String(BigInt(relNs) + BASE_NS));
const ms = (ns: number | null) => (ns === null ? null : ns / 1e6);
const q3 = (values: number[]) => {
  const [p50, p95, p99] = quantiles(values, [0.5, 0.95, 0.99]);
  return { p50: ms(p50), p95: ms(p95), p99: ms(p99) };
};

let store: Store;
let cleanup: () => Promise<void>;
let spans: Ref[];
let truth: GroundTruth;

function toRef(s: SeedSpan): Ref {
  const attrs: Record<string, string> = {};
  const flat = [...(s.context ?? []), ...s.attrs];
  for (let i = 0; i < flat.length; i += 2) attrs[flat[i]] = flat[i + 1];
  return {
    traceId: s.traceId, spanId: s.spanId, parentSpanId: s.parentSpanId, service: s.service, name: s.name,
    kind: s.kind.toLowerCase(), start: rel(s.startMs), dur: Math.max(0, Math.round(s.durationMs * 1e6)), attrs, error: s.status === 'Error',
  };
}

beforeAll(async () => {
  ({ store, cleanup } = await openTempStore());
  await migrate(store, { retentionDays: 0 });
  const r = await seedStore(store, { payments: SEED.payments, days: HOURS / 24, seed: SEED.seed, endMs: END, scenario: SEED.scenario, truth: true, chunkSpans: 3000 });
  truth = r.truth!;
  const collected: SeedSpan[] = [];
  const stream = paymentStream(SEED);
  for (let i = 0; i < SEED.payments; i++) stream.next((s) => collected.push(s));
  spans = collected.map(toRef);
  expect(spans.length).toBe(r.spans);
});
afterAll(async () => cleanup?.());

const FULL = { from: new Date(SEED.fromMs), to: new Date(SEED.toMs + 3_600_000) };
const PART = { from: new Date(END - 3 * 3_600_000), to: new Date(END - 1_800_000) };
const inRange = (s: Ref, r: { from: Date; to: Date }) => s.start >= relOf(r.from) && s.start < relOf(r.to);
const stage = (s: Ref) => s.attrs['payment.stage'] ?? '';
const order = (s: Ref) => s.attrs['payment.order_id'] ?? '';
const table = new GatewayHostTable();
const errorCodes = new ErrorCodeTable();
const gw = (s: Ref) => gatewayOf(table, s.attrs['payment.gateway'] ?? '', (s.attrs['server.address'] ?? '').toLowerCase());

describe.each([['the whole range', FULL], ['part of it', PART]])('over %s', (_, range) => {
  // An entry is a step-1 match in the range with no step-1 match of its flow in the window before
  // it, wherever the range starts: so hourly partials give the same answer (lib/queries/partials.ts).
  it('the funnel equals matchFlowSteps over the spans, per flow', async () => {
    const steps = DEFAULT_CHECKOUT_FUNNEL.steps.map((s) => s.stage!);
    const window = DEFAULT_CHECKOUT_FUNNEL.windowSec * 1e9;
    const [lo, hi] = [relOf(range.from), relOf(range.to)];
    const flows = new Map<string, { time: number; steps: number[] }[]>();
    for (const s of spans) {
      const k = steps.indexOf(stage(s));
      if (k < 0 || !order(s) || s.start < lo - window || s.start >= hi + window) continue;
      if (!flows.has(order(s))) flows.set(order(s), []);
      flows.get(order(s))!.push({ time: s.start, steps: [k] });
    }
    const reached = steps.map(() => 0);
    const waits: number[][] = steps.map(() => []);
    for (const events of flows.values()) {
      const starts = events.filter((e) => e.steps.includes(0)).map((e) => e.time).sort((a, b) => a - b);
      const entries = starts.filter((x, i) => x >= lo && x < hi && (i === 0 || starts[i - 1] < x - window));
      for (const entry of entries) {
        const t = matchFlowSteps(events.filter((e) => e.time >= entry), steps.length, window, (x) => x === entry);
        t.forEach((x, k) => {
          if (x === null) return;
          reached[k]++;
          if (k > 0) waits[k].push(x - t[k - 1]!);
        });
      }
    }
    const want = funnelStepResults(steps, reached, waits.map(q3));
    const got = await getFunnel(store, { ...range, funnel: DEFAULT_CHECKOUT_FUNNEL });
    expect(got.steps).toEqual(want);
    expect(reached[3]).toBeGreaterThan(0);
  });

  // A stage's predecessor is the flow's stage span before it if that started at most the lookback
  // (an hour) before it, wherever the range starts: so hourly partials give the same answer
  // (lib/queries/partials.ts). Its channel: its own, else the latest one of the flow in that hour.
  it('stage latency equals stageWaits and percentiles over the spans', async () => {
    const lookback = 3600e9;
    const [lo, hi] = [relOf(range.from), relOf(range.to)];
    const flows = new Map<string, Ref[]>();
    for (const s of spans) {
      if (!stage(s) || s.start < lo - lookback || s.start >= hi) continue;
      const k = order(s) || s.spanId;
      if (!flows.has(k)) flows.set(k, []);
      flows.get(k)!.push(s);
    }
    const per = new Map<string, { durs: number[]; waits: number[]; errors: number }>();
    const add = (key: string, duration: number, wait: number | null, error: boolean) => {
      if (!per.has(key)) per.set(key, { durs: [], waits: [], errors: 0 });
      const a = per.get(key)!;
      a.durs.push(duration);
      if (wait !== null) a.waits.push(wait);
      if (error) a.errors++;
    };
    for (const list of flows.values()) {
      const ordered = stageWaits(list.map((s) => ({ stage: stage(s), start: s.start, duration: s.dur, spanId: s.spanId })));
      ordered.forEach(({ event, wait }, i) => {
        if (event.start < lo) return;
        const src = list.find((s) => s.spanId === event.spanId)!;
        const near = i > 0 && ordered[i - 1].event.start >= event.start - lookback;
        let channel = src.attrs['payment.channel'] ?? '';
        for (let j = i - 1; !channel && j >= 0 && ordered[j].event.start >= event.start - lookback; j--) {
          channel = list.find((s) => s.spanId === ordered[j].event.spanId)!.attrs['payment.channel'] ?? '';
        }
        add(event.stage, event.duration, near ? wait : null, src.error);
        add(`${event.stage}|${channel}`, event.duration, near ? wait : null, src.error);
      });
    }
    const got = (await getStageLatency(store, range)).stages;
    expect(got.map((s) => (s.channel === null ? s.stage : `${s.stage}|${s.channel}`)).sort()).toEqual([...per.keys()].sort());
    for (const row of got) {
      const a = per.get(row.channel === null ? row.stage : `${row.stage}|${row.channel}`)!;
      const d = q3(a.durs);
      const w = q3(a.waits);
      expect(row, row.stage).toEqual({
        stage: row.stage, channel: row.channel, count: a.durs.length, errorRate: a.errors / a.durs.length,
        p50Ms: d.p50, p95Ms: d.p95, p99Ms: d.p99, waitP50Ms: w.p50, waitP95Ms: w.p95, waitP99Ms: w.p99,
      });
    }
  });

  it('gateway health equals the classification, percentiles and verdict computed in JS', async () => {
    const baseFrom = relOf(range.from) - Math.max(24 * 3600e9, relOf(range.to) - relOf(range.from));
    const calls = spans.filter((s) => s.kind === 'client' && (s.attrs['payment.gateway'] || (s.attrs['server.address'] ?? '').includes('.')));
    const agg = (lo: number, hi: number) => {
      const m = new Map<string, { durs: number[]; errors: number; timeouts: number; codes: Map<string, number>; classes: ErrorClassCounts }>();
      for (const s of calls) {
        const g = gw(s);
        if (!g || s.start < lo || s.start >= hi) continue;
        if (!m.has(g)) m.set(g, { durs: [], errors: 0, timeouts: 0, codes: new Map(), classes: emptyErrorClassCounts() });
        const a = m.get(g)!;
        const timedOut = isTimeout(s.attrs['error.type'] ?? '', s.attrs['payment.timeout'] ?? '');
        a.durs.push(s.dur);
        if (timedOut) a.timeouts++;
        const cls = classifyGatewayError({
          gateway: g, errorCode: s.attrs['payment.error_code'] ?? '', isError: s.error, errorType: s.attrs['error.type'] ?? '',
          timeoutFlag: s.attrs['payment.timeout'] ?? '', httpStatus: Number(s.attrs['http.response.status_code'] || s.attrs['http.status_code'] || 0) || 0,
        }, errorCodes);
        if (cls) a.classes[cls]++;
        if (s.error || timedOut) {
          a.errors++;
          const code = s.attrs['payment.error_code'] || (timedOut ? 'timeout' : s.attrs['error.type'] || 'error');
          a.codes.set(code, (a.codes.get(code) ?? 0) + 1);
        }
      }
      return m;
    };
    const cur = agg(relOf(range.from), relOf(range.to));
    const base = agg(baseFrom, relOf(range.from));
    const got = await getGatewayHealth(store, range);
    expect(got.gateways.map((g) => g.gateway).sort()).toEqual([...cur.keys()].sort());
    for (const row of got.gateways) {
      const a = cur.get(row.gateway)!;
      const b = base.get(row.gateway);
      const q = q3(a.durs);
      const bq = b ? q3(b.durs) : null;
      const providerSide = (c: ErrorClassCounts) => c.provider_error + c.timeout + c.network;
      // Calls slower than the latency threshold, counted where the p95 reached it.
      const thresholdMs = bq?.p95 ? latencyThresholdMs(bq.p95) : null;
      const slowCalls = thresholdMs !== null && q.p95 !== null && q.p95 >= thresholdMs ? a.durs.filter((d) => d > Math.round(thresholdMs * 1e6)).length : undefined;
      const judgement = judgeGatewayHealth(
        { requests: a.durs.length, providerErrors: providerSide(a.classes), timeouts: a.timeouts, p95Ms: q.p95, slowCalls },
        b ? { requests: b.durs.length, providerErrors: providerSide(b.classes), timeouts: b.timeouts, p95Ms: bq!.p95 } : null,
      );
      const top = [...a.codes].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1)).slice(0, 5).map(([code, count]) => ({ code, count }));
      expect(Object.values(a.classes).reduce((x, y) => x + y, 0)).toBe(a.errors);
      expect(row, row.gateway).toMatchObject({
        requests: a.durs.length, errorRate: a.errors / a.durs.length, timeoutRate: a.timeouts / a.durs.length,
        errorClasses: a.classes, providerErrorRate: providerSide(a.classes) / a.durs.length, declineRate: a.classes.decline / a.durs.length,
        p50Ms: q.p50, p95Ms: q.p95, p99Ms: q.p99, topErrors: top, health: judgement.verdict, healthReasons: judgement.reasons,
      });
      expect(row.baseline.requests).toBe(b?.durs.length ?? 0);
    }
  });

  it('hops equal hopCalls over the spans; critical-path shares equal the pure function over every trace', async () => {
    const inside = spans.filter((s) => inRange(s, range));
    const byTrace = new Map<string, Ref[]>();
    for (const s of inside) {
      if (!byTrace.has(s.traceId)) byTrace.set(s.traceId, []);
      byTrace.get(s.traceId)!.push(s);
    }
    // Self times from starts relative to BASE (ms that keep sub-nanosecond precision); the critical
    // path from epoch ms exactly as the query derives them, so that equal end times tie alike.
    const hopSpan = (s: Ref, startMs: number): HopSpan => ({
      spanId: s.spanId, parentSpanId: s.parentSpanId, service: s.service, kind: s.kind, startMs, durationMs: s.dur / 1e6,
      gateway: s.kind === 'client' ? gw(s) : '', peerHost: (s.attrs['server.address'] ?? '').toLowerCase(),
    });
    const per = new Map<string, { durs: number[]; errors: number; self: number }>();
    const cp = new Map<string, number>();
    let cpTotal = 0;
    // The calls of the client spans in the range; each call's server child and that child's outgoing
    // calls are the trace's spans starting in the call's window (a minute before the client span to
    // 15 minutes after), wherever the range ends: the semantics that let hourly partials answer
    // exactly (lib/queries/hops.ts).
    const [before, after] = [CALL_WINDOW_BEFORE_MS * 1e6, CALL_WINDOW_AFTER_MS * 1e6];
    const traceSpans = new Map<string, Ref[]>();
    for (const s of spans) {
      if (!traceSpans.has(s.traceId)) traceSpans.set(s.traceId, []);
      traceSpans.get(s.traceId)!.push(s);
    }
    for (const [trace, list] of byTrace) {
      for (const client of list) {
        if (client.kind !== 'client') continue;
        const near = traceSpans.get(trace)!.filter((s) => s === client || (s.start >= client.start - before && s.start <= client.start + after));
        const c = hopCalls(near.map((s) => hopSpan(s, s.start / 1e6))).find((x) => x.client.spanId === client.spanId);
        if (!c) continue;
        const k = hopKey(c.hop);
        if (!per.has(k)) per.set(k, { durs: [], errors: 0, self: 0 });
        const a = per.get(k)!;
        a.durs.push(client.dur);
        a.self += c.self;
        if (client.error) a.errors++;
      }
      const msSpans = list.map((s) => hopSpan(s, absMsOf(s.start)));
      const path = computeCriticalPath(msSpans);
      for (const seg of path.segments) cpTotal += seg.end - seg.start;
      for (const [k, v] of criticalPathByHop(msSpans, path)) cp.set(k, (cp.get(k) ?? 0) + v.time);
    }
    const got = await getSlowestHops(store, { ...range, sampleTraces: 100_000 });
    expect(got.hops.map((h) => hopKey(h)).sort()).toEqual([...per.keys()].sort());
    for (const h of got.hops) {
      const a = per.get(hopKey(h))!;
      const q = q3(a.durs);
      expect(h, hopKey(h)).toMatchObject({ calls: a.durs.length, p50Ms: q.p50, p95Ms: q.p95, p99Ms: q.p99, errorRate: a.errors / a.durs.length });
      expect(h.selfMs).toBeCloseTo(a.self / a.durs.length, 6);
      // The sample is every trace with a span in the range, each from its spans in the range.
      expect(h.criticalPathShare, hopKey(h)).toBeCloseTo((cp.get(hopKey(h)) ?? 0) / cpTotal, 6);
    }
  });

  it('critical-path shares over a sample equal the pure function over the traces with the lowest keys', async () => {
    // The sample: of the traces with a span in the range, those with the lowest cityHash64(TraceId);
    // each from its spans in the range. Read from hop_sample_spans when it holds enough of them,
    // else from hop_spans: both sizes are asked for here.
    const keys = new Map((await store.query<{ t: string; k: string }>(sql`SELECT DISTINCT TraceId AS t, toString(cityHash64(TraceId)) AS k FROM otel_traces`)).map((r) => [r.t, BigInt(r.k)]));
    const [{ n: inTable }] = await store.query<{ n: string }>(sql`
      SELECT uniqExact(TraceKey) AS n FROM hop_sample_spans WHERE Timestamp >= ${range.from} AND Timestamp < ${range.to}`);
    expect(Number(inTable)).toBeGreaterThan(20);
    const inside = spans.filter((s) => inRange(s, range));
    const traces = [...new Set(inside.map((s) => s.traceId))].sort((a, b) => (keys.get(a)! < keys.get(b)! ? -1 : 1));
    const hopSpan = (s: Ref): HopSpan => ({
      spanId: s.spanId, parentSpanId: s.parentSpanId, service: s.service, kind: s.kind, startMs: absMsOf(s.start), durationMs: s.dur / 1e6,
      gateway: s.kind === 'client' ? gw(s) : '', peerHost: (s.attrs['server.address'] ?? '').toLowerCase(),
    });
    for (const n of [20, Number(inTable) + 5]) {
      const cp = new Map<string, number>();
      let total = 0;
      for (const t of traces.slice(0, n)) {
        const list = inside.filter((s) => s.traceId === t).map(hopSpan);
        const path = computeCriticalPath(list);
        for (const seg of path.segments) total += seg.end - seg.start;
        for (const [k, v] of criticalPathByHop(list, path)) cp.set(k, (cp.get(k) ?? 0) + v.time);
      }
      const got = await getSlowestHops(store, { ...range, sampleTraces: n });
      expect(got.criticalPathTraces).toBe(n);
      expect(got.hops.filter((h) => h.criticalPathShare > 0).length).toBeGreaterThan(2);
      for (const h of got.hops) expect(h.criticalPathShare, `${n} ${hopKey(h)}`).toBeCloseTo((cp.get(hopKey(h)) ?? 0) / total, 9);
    }
  });

  it('stuck payments equal the flows with an accepted request and no callback past the SLA', async () => {
    const [lo, hi] = [relOf(range.from), relOf(range.to)];
    const flows = new Map<string, Ref[]>();
    for (const s of spans) {
      if (!stage(s) || !order(s) || s.start < lo || s.start >= hi) continue;
      if (!flows.has(order(s))) flows.set(order(s), []);
      flows.get(order(s))!.push(s);
    }
    const want: { orderId: string; waitingSec: number }[] = [];
    for (const [id, list] of flows) {
      const accepted = list.filter((s) => stage(s) === 'gateway.request' && (!s.error || isTimeout(s.attrs['error.type'] ?? '', s.attrs['payment.timeout'] ?? '')));
      if (!accepted.length || list.some((s) => stage(s) === 'gateway.callback')) continue;
      const end = Math.max(...accepted.map((s) => s.start + s.dur));
      const waiting = (hi - end) / 1e9;
      if (waiting > 300) want.push({ orderId: id, waitingSec: waiting });
    }
    want.sort((a, b) => b.waitingSec - a.waitingSec || (a.orderId < b.orderId ? -1 : 1));
    const got = await listStuckPayments(store, { ...range, limit: 10_000, sla: { defaultSec: 300, byGateway: {} } });
    expect(got.total).toBe(want.length);
    expect(want.length).toBeGreaterThan(0);
    expect(got.payments.map((p) => p.orderId)).toEqual(want.map((w) => w.orderId));
    got.payments.forEach((p, i) => expect(p.waitingSec).toBeCloseTo(want[i].waitingSec, 9));
  });

  it('inconsistent payments and duplicate callbacks equal their definitions over the spans', async () => {
    const flows = new Map<string, Ref[]>();
    for (const s of spans) {
      if (!stage(s) || !order(s) || !inRange(s, range)) continue;
      if (!flows.has(order(s))) flows.set(order(s), []);
      flows.get(order(s))!.push(s);
    }
    const bad: string[] = [];
    const dup: string[] = [];
    for (const [id, list] of flows) {
      const ok = list.filter((s) => ['gateway.request', 'gateway.callback'].includes(stage(s)) && s.attrs['payment.outcome'] === 'succeeded');
      if (ok.length) {
        const at = Math.min(...ok.map((s) => s.start));
        if (list.some((s) => s.start > at && (s.error || s.attrs['payment.outcome'] === 'failed'))) bad.push(id);
      }
      if (list.filter((s) => stage(s) === 'gateway.callback').length > 1) dup.push(id);
    }
    const got = await listInconsistentPayments(store, { ...range, limit: 10_000 });
    expect(got.payments.map((p) => p.orderId).sort()).toEqual(bad.sort());
    expect(got.duplicateCallbacks.map((p) => p.orderId).sort()).toEqual(dup.sort());
  });

  it('trace search equals filtering the traces in JS', async () => {
    const traces = new Map<string, Ref[]>();
    for (const s of spans) {
      if (!inRange(s, range)) continue;
      if (!traces.has(s.traceId)) traces.set(s.traceId, []);
      traces.get(s.traceId)!.push(s);
    }
    const cases: [Parameters<typeof searchTraces>[1] extends infer P ? Partial<P> : never, (l: Ref[]) => boolean][] = [
      [{ service: 'risk' }, (l) => l.some((s) => s.service === 'risk')],
      [{ stage: 'gateway.callback', channel: 'card' }, (l) => l.some((s) => stage(s) === 'gateway.callback') && l.some((s) => s.attrs['payment.channel'] === 'card')],
      [{ gateway: 'wechatpay', status: 'error' }, (l) => l.some((s) => s.kind !== 'internal' && gw(s) === 'wechatpay') && l.some((s) => s.error)],
      [{ minDurationMs: 1500 }, (l) => Math.max(...l.map((s) => s.start + s.dur)) - Math.min(...l.map((s) => s.start)) >= 1500e6],
    ];
    for (const [filter, match] of cases) {
      const want = [...traces].filter(([, l]) => match(l)).map(([id]) => id).sort();
      const got = (await searchTraces(store, { ...range, ...filter, limit: 100_000 })).traces.map((t) => t.traceId).sort();
      expect(got, JSON.stringify(filter)).toEqual(want);
      expect(want.length, JSON.stringify(filter)).toBeGreaterThan(0);
    }
  });
});

describe('the seeder ground truth, as the queries see it', () => {
  it('inconsistent and duplicate-callback orders are exactly the ones the seeder recorded', async () => {
    const got = await listInconsistentPayments(store, { ...FULL, limit: 10_000 });
    expect(got.payments.map((p) => p.orderId).sort()).toEqual([...truth.inconsistentOrders].sort());
    expect(got.duplicateCallbacks.map((p) => p.orderId).sort()).toEqual([...truth.duplicateCallbackOrders].sort());
    expect(truth.inconsistentOrders.length).toBeGreaterThan(0);
    expect(truth.duplicateCallbackOrders.length).toBeGreaterThan(0);
  });

  it('every lost-callback order is stuck (or too recent for its SLA); no stuck order got a callback', async () => {
    const stuck = await listStuckPayments(store, { ...FULL, limit: 10_000, sla: { defaultSec: 300, byGateway: {} } });
    const stuckIds = new Set(stuck.payments.map((p) => p.orderId));
    const lost = new Set(truth.lostCallbackOrders);
    const late = new Set([...truth.lateCallbackOrders, ...truth.pendingCallbackOrders]);
    for (const id of stuckIds) expect(lost.has(id) || late.has(id), id).toBe(true);
    // Lost callbacks of requests that ended more than SLA before the end of the range are all listed.
    expect([...lost].filter((id) => stuckIds.has(id)).length).toBeGreaterThan(0);
  });

  it('the degraded gateway is judged failing or degraded against its own baseline; the others healthy', async () => {
    const window = { from: new Date(Date.parse(truth.window.from)), to: new Date(Date.parse(truth.window.to)) };
    const { gateways } = await getGatewayHealth(store, window);
    const verdict = Object.fromEntries(gateways.map((g) => [g.gateway, g.health]));
    expect(['failing', 'degraded']).toContain(verdict[truth.target.gateway!]);
    for (const [g, v] of Object.entries(verdict)) if (g !== truth.target.gateway) expect(v, g).toBe('healthy');
  });
});
