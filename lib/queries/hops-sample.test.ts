/**
 * The hops' critical-path share filtered by channel or gateway is taken over the traces the filter
 * names (a payment stage span in the range in that channel / through that gateway) with the lowest
 * keys, whether the query finds them in the sample tables (hop_sample_spans, hop_sample_payments) or,
 * when those hold too few, in all spans. The expected sample is worked out here from otel_traces
 * and the pure functions. Half the history is stored before hop_sample_payments exists, so its rows
 * come from the migration's copy of history and the other half from its view.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../clickhouse/migrate';
import { computeCriticalPath } from '../analytics/critical-path';
import { gatewayOf } from '../analytics/gateways';
import { criticalPathByHop, hopKey, type HopSpan } from '../analytics/hops';
import { seedStore } from '../../sim/seed/seed';
import { sql } from '../store/sql';
import type { Store } from '../store/store';
import { openTempStore } from '../../test/helpers/store';
import { defaultGatewayHostTable, msFromNs, num } from './common';
import { getSlowestHops } from './hops';

const END = Date.parse('2025-04-10T12:00:00Z');
const HOUR = 3_600_000;
const RANGE = { from: new Date(END - 100 * 60_000), to: new Date(END - 10 * 60_000) };
const SEED = { scenario: 'gateway-degraded' as const, chunkSpans: 2000 };

let store: Store;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ store, cleanup } = await openTempStore());
  await migrate(store, { retentionDays: 0 });
  await seedStore(store, { ...SEED, payments: 1500, seed: 'hop-sample-1', days: 1 / 24, endMs: END - HOUR });
  // As if the store predated migration 0068: it copies the history stored so far.
  await store.command(sql`DROP VIEW IF EXISTS hop_sample_payments_mv`);
  await store.command(sql`DROP TABLE hop_sample_payments`);
  await store.command(sql`DELETE FROM payscope_schema_migrations WHERE name = '0068_hop_sample_payments'`);
  expect((await migrate(store, { retentionDays: 0 })).applied).toEqual(['0068_hop_sample_payments']);
  await seedStore(store, { ...SEED, payments: 1500, seed: 'hop-sample-2', days: 1 / 24, endMs: END });
});
afterAll(async () => cleanup?.());

/** The traces with a payment stage span in the range that `match` accepts, lowest key first. */
async function tracesMatching(match: (s: { channel: string; gateway: string; host: string }) => boolean): Promise<string[]> {
  const rows = await store.query<{ key: string; channel: string; gateway: string; host: string }>(sql`
    SELECT toString(cityHash64(TraceId)) AS key, toString(PaymentChannel) AS channel, toString(PaymentGateway) AS gateway, toString(PeerHost) AS host
    FROM otel_traces WHERE Timestamp >= ${RANGE.from} AND Timestamp < ${RANGE.to} AND PaymentStage != ''`);
  const keys = [...new Set(rows.filter(match).map((r) => r.key))];
  return keys.sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
}

/** Each hop's share of the critical path over these traces, each from its spans in the range. */
async function sharesOver(keys: readonly string[]): Promise<Map<string, number>> {
  const table = defaultGatewayHostTable();
  const rows = await store.query<{ key: string; id: string; parent: string; service: string; kind: string; ns: string; dur: string; gateway: string; host: string }>(sql`
    SELECT toString(cityHash64(TraceId)) AS key, toString(cityHash64(TraceId, SpanId)) AS id, toString(cityHash64(TraceId, ParentSpanId)) AS parent,
           toString(ServiceName) AS service, toString(Kind) AS kind, toString(toUnixTimestamp64Nano(Timestamp)) AS ns, Duration AS dur,
           toString(PaymentGateway) AS gateway, toString(PeerHost) AS host
    FROM otel_traces WHERE Timestamp >= ${RANGE.from} AND Timestamp < ${RANGE.to} AND has(${keys}, toString(cityHash64(TraceId)))`);
  const time = new Map<string, number>();
  let total = 0;
  for (const key of keys) {
    const spans: HopSpan[] = rows.filter((r) => r.key === key).map((r) => ({
      spanId: r.id, parentSpanId: r.parent, service: r.service, kind: r.kind, startMs: msFromNs(r.ns), durationMs: num(r.dur) / 1e6,
      gateway: r.kind === 'client' || r.kind === 'producer' ? gatewayOf(table, r.gateway, r.host) : '', peerHost: r.host,
    }));
    const path = computeCriticalPath(spans);
    for (const seg of path.segments) total += seg.end - seg.start;
    for (const [k, v] of criticalPathByHop(spans, path)) time.set(k, (time.get(k) ?? 0) + v.time);
  }
  return new Map([...time].map(([k, t]) => [k, t / total]));
}

const SAMPLE_BOUND = 2n ** 60n;
const table = defaultGatewayHostTable();
const FILTERS = [
  { filter: { channel: 'card' }, match: (s: { channel: string }) => s.channel === 'card' },
  { filter: { gateway: 'alipay' }, match: (s: { gateway: string; host: string }) => gatewayOf(table, s.gateway, s.host) === 'alipay' },
];

describe('the hops critical-path sample, filtered', { timeout: 240_000 }, () => {
  for (const { filter, match } of FILTERS) {
    it(`by ${JSON.stringify(filter)}: the matching traces with the lowest keys, from the sample tables or from all spans`, async () => {
      const all = await tracesMatching(match);
      const inTables = all.filter((k) => BigInt(k) < SAMPLE_BOUND).length;
      // Both halves of the history hold sampled traces, so both ways into hop_sample_payments count.
      expect(inTables).toBeGreaterThan(15);
      // n within the sample tables, and one more than they hold (read from all spans).
      for (const n of [15, inTables + 1]) {
        const want = await sharesOver(all.slice(0, n));
        const got = await getSlowestHops(store, { ...RANGE, ...filter, sampleTraces: n });
        expect(got.criticalPathTraces).toBe(n);
        expect(got.hops.filter((h) => h.criticalPathShare > 0).length).toBeGreaterThan(2);
        for (const h of got.hops) expect(h.criticalPathShare, `${n} ${hopKey(h)}`).toBeCloseTo(want.get(hopKey(h)) ?? 0, 9);
      }
    });
  }
});
