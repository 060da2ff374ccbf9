import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../clickhouse/migrate';
import { ident, sql } from '../../lib/store/sql';
import type { Store } from '../../lib/store/store';
import { openTempStore } from '../../test/helpers/store';
import type { SeedSpan } from './generate';
import { paymentStream, seedStore, type SeedResult } from './seed';
import { SERVICES } from '../model/catalog';

const END = Date.parse('2025-02-01T00:00:00Z');
let store: Store;
let cleanup: () => Promise<void>;
let result: SeedResult;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'payscope-seed-test-'));

beforeAll(async () => {
  ({ store, cleanup } = await openTempStore());
  await migrate(store, { retentionDays: 0 });
  const progress: number[] = [];
  result = await seedStore(store, {
    payments: 1500, days: 0.5, seed: 'seed-test-3', endMs: END, scenario: 'lost-callbacks', truth: true, chunkSpans: 5000, tmpDir: tmp,
    onProgress: (p) => progress.push(p.storedSpans),
  });
  expect(progress.at(-1)).toBe(result.spans);
});
afterAll(async () => {
  await cleanup?.();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const one = async <T>(q: ReturnType<typeof sql>) => (await store.query<T>(q))[0];

describe('seedStore', () => {
  it('stores exactly the spans and traces it reports, inside the range, and cleans its chunk files', async () => {
    const r = await one<{ n: string; t: string; lo: string; hi: string }>(sql`
      SELECT count() AS n, uniqExact(TraceId) AS t, toUnixTimestamp64Milli(min(Timestamp)) AS lo, toUnixTimestamp64Milli(max(Timestamp)) AS hi FROM otel_traces`);
    expect(Number(r.n)).toBe(result.spans);
    expect(Number(r.t)).toBe(result.traces);
    expect(Number(r.lo)).toBeGreaterThanOrEqual(END - 12 * 3_600_000);
    expect(Number(r.hi)).toBeLessThan(END);
    expect(fs.readdirSync(tmp)).toEqual([]);
  });

  it('has the documented services, stages and cross-trace callbacks, and every view is filled', async () => {
    const services = await store.query<{ s: string }>(sql`SELECT DISTINCT toString(ServiceName) AS s FROM otel_traces ORDER BY s`);
    expect(services.map((x) => x.s)).toEqual([...SERVICES].sort());
    const cross = await one<{ n: string }>(sql`
      SELECT count() AS n FROM (
        SELECT PaymentOrderId, groupUniqArrayIf(TraceId, PaymentStage = 'gateway.request') AS req, groupUniqArrayIf(TraceId, PaymentStage = 'gateway.callback') AS cb
        FROM payment_stage_events GROUP BY PaymentOrderId HAVING length(cb) > 0 AND length(arrayIntersect(req, cb)) = 0)`);
    expect(Number(cross.n)).toBeGreaterThan(1300);
    const views = ['payment_stage_events', 'payment_order_traces', 'gateway_calls', 'hop_spans', 'otel_traces_trace_id_ts'];
    for (const t of views) {
      const c = await one<{ n: string }>(sql`SELECT count() AS n FROM ${ident(t, views)}`);
      expect(Number(c.n), t).toBeGreaterThan(0);
    }
  });

  it('writes each span as generated: times to the nanosecond, attributes, status, events', async () => {
    const spans: SeedSpan[] = [];
    const stream = paymentStream({ payments: 1500, seed: 'seed-test-3', fromMs: END - 12 * 3_600_000, toMs: END, scenario: 'lost-callbacks' });
    for (let i = 0; i < 1500; i++) stream.next((s) => spans.push(s));
    // A timed-out gateway request carries an exception event (the baseline has a few).
    const withEvent = spans.find((s) => s.events?.length);
    expect(withEvent).toBeDefined();
    for (const s of [spans[0], spans[7], withEvent!]) {
      const row = await one<Record<string, unknown>>(sql`
        SELECT toString(toUnixTimestamp64Nano(Timestamp)) AS ns, Duration, ParentSpanId, toString(SpanName) AS name, toString(SpanKind) AS kind,
               toString(ServiceName) AS service, SpanAttributes, ResourceAttributes['service.name'] AS rs, toString(StatusCode) AS status,
               arrayMap(t -> toString(toUnixTimestamp64Nano(t)), Events.Timestamp) AS ev, Events.Attributes AS ea
        FROM otel_traces WHERE TraceId = ${s.traceId} AND SpanId = ${s.spanId}`);
      const whole = Math.floor(s.startMs);
      const ns = BigInt(whole) * 1_000_000n + BigInt(Math.round((s.startMs - whole) * 1e6));
      expect(row.ns).toBe(ns.toString());
      expect(Number(row.Duration)).toBe(Math.round(s.durationMs * 1e6));
      expect(row).toMatchObject({ ParentSpanId: s.parentSpanId, name: s.name, kind: s.kind, service: s.service, rs: s.service, status: s.status });
      const flat = [...(s.context ?? []), ...s.attrs];
      const attrs: Record<string, string> = {};
      for (let i = 0; i < flat.length; i += 2) attrs[flat[i]] = flat[i + 1];
      expect(row.SpanAttributes).toEqual(attrs);
      expect((row.ev as string[]).length).toBe(s.events?.length ?? 0);
    }
  });

  it('records ground truth that matches the store: lost callbacks have no callback span, duplicates two', async () => {
    const t = result.truth!;
    expect(t.scenario).toBe('lost-callbacks');
    expect(t.affectedOrders.length).toBeGreaterThan(0);
    expect(t.failedOrders.length).toBeGreaterThan(0);
    const callbacks = new Map(
      (await store.query<{ o: string; n: string }>(sql`SELECT PaymentOrderId AS o, count() AS n FROM payment_stage_events WHERE PaymentStage = 'gateway.callback' GROUP BY o`)).map((r) => [r.o, Number(r.n)]),
    );
    for (const o of [...t.lostCallbackOrders, ...t.failedOrders, ...t.pendingCallbackOrders]) expect(callbacks.get(o), o).toBeUndefined();
    const duplicates = new Set(
      (await store.query<{ o: string }>(sql`SELECT DISTINCT PaymentOrderId AS o FROM otel_traces WHERE SpanAttributes['payment.callback.duplicate'] = 'true'`)).map((r) => r.o),
    );
    expect(duplicates).toEqual(new Set(t.duplicateCallbackOrders));
    expect(t.spans).toBe(result.spans);
  });

  it('records the failed gateway calls per gateway and class, double charges and transaction anomalies as stored', async () => {
    const t = result.truth!;
    const failed = await store.query<{ g: string; n: string }>(sql`
      SELECT toString(PaymentGateway) AS g, count() AS n FROM otel_traces WHERE PaymentStage = 'gateway.request' AND StatusCode = 'Error' GROUP BY g`);
    const want = Object.fromEntries(Object.entries(t.gatewayErrors).map(([g, byClass]) => [g, Object.values(byClass).reduce((a, b) => a + b, 0)]));
    expect(Object.fromEntries(failed.map((r) => [r.g, Number(r.n)]))).toEqual(want);
    expect(Object.values(t.failedByClass).reduce((a, c) => a + c.count, 0)).toBeGreaterThan(0);
    const charges = new Map(
      (await store.query<{ o: string; n: string }>(sql`
        SELECT PaymentOrderId AS o, uniqExact(SpanAttributes['payment.provider_ref']) AS n FROM otel_traces
        WHERE PaymentStage = 'gateway.callback' AND PaymentOutcome = 'succeeded' AND SpanAttributes['payment.callback.duplicate'] != 'true' GROUP BY o HAVING n > 1`)).map((r) => [r.o, Number(r.n)]),
    );
    expect(charges).toEqual(new Map(t.doubleCharges.map((d) => [d.orderId, d.charges])));
    const phases = await store.query<{ tx: string; b: string; p: string }>(sql`
      SELECT SpanAttributes['payment.tx.id'] AS tx, SpanAttributes['payment.tx.branch'] AS b, groupArray(SpanAttributes['payment.tx.phase']) AS p
      FROM otel_traces WHERE SpanAttributes['payment.tx.id'] != '' AND SpanKind = 'Server' GROUP BY tx, b`);
    const byBranch = new Map(phases.map((r) => [`${r.tx} ${r.b}`, r.p as unknown as string[]]));
    expect(t.txAnomalies.length).toBeGreaterThan(0);
    for (const a of t.txAnomalies) {
      const list = byBranch.get(`${a.txId} ${a.branch}`) ?? [];
      if (a.kind === 'empty_rollback') expect(list).not.toContain('try');
      else expect(list.length, `${a.txId} ${a.branch} ${a.kind}`).toBeGreaterThan(0);
    }
  });
});
