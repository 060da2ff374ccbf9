/**
 * The transactions query against the embedded store: hand-made spans whose answer was worked out by
 * hand, then randomized transactions compared with the plain-JS definition (lib/analytics/transactions.ts)
 * over the very same spans.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../clickhouse/migrate';
import { insertFixture, traceIdOf, type FixtureSpan } from '../../test/helpers/fixtures';
import { phaseSpan, TRANSACTIONS_FIXTURE, TRANSACTIONS_T0 } from '../../test/helpers/transactions-fixture';
import { openTempStore } from '../../test/helpers/store';
import type { GroundTruth } from '../../sim/seed/scenarios';
import { seedStore } from '../../sim/seed/seed';
import {
  countTransactionAnomalies,
  findTransactionAnomalies,
  TRANSACTION_PHASES,
  type TransactionPhaseSpan,
} from '../analytics/transactions';
import type { Store } from '../store/store';
import { listTransactionAnomalies, TRANSACTION_LOOKBACK_MS } from './transactions';

let store: Store;
let cleanup: () => Promise<void>;

const RANDOM_T0 = Date.parse('2025-06-01T00:00:00Z');
const HOURS = 6;
/** Seeded payments of the tx-anomalies scenario over six hours, its fault applying throughout. */
const SEEDED = { payments: 1500, seed: 'transactions', endMs: Date.parse('2025-07-01T12:00:00Z'), scenario: 'tx-anomalies' as const, windowMs: HOURS * 3_600_000 };
let seeded: { fromMs: number; toMs: number; truth: GroundTruth };

beforeAll(async () => {
  ({ store, cleanup } = await openTempStore());
  await migrate(store, { retentionDays: 0 });
  await insertFixture(store, TRANSACTIONS_FIXTURE, TRANSACTIONS_T0);
  await insertFixture(store, randomSpans(), RANDOM_T0);
  const r = await seedStore(store, { ...SEEDED, days: HOURS / 24, truth: true, chunkSpans: 5000 });
  seeded = { fromMs: r.fromMs, toMs: r.toMs, truth: r.truth! };
});
afterAll(async () => cleanup?.());

const hour = { from: new Date(TRANSACTIONS_T0), to: new Date(TRANSACTIONS_T0 + 3_600_000) };

describe('listTransactionAnomalies on hand-made spans', () => {
  it('finds each kind, across traces, with the payment and traces of each row; clean and unfinished-yet transactions are none', async () => {
    const r = await listTransactionAnomalies(store, { ...hour, slaSec: 60 });
    expect(r.transactions).toBe(9);
    expect(r.anomalies).toEqual([
      { txId: 'S-comp', branch: 'points', kind: 'failed_compensation', orderId: 'ord-s', traceIds: [traceIdOf('s1'), traceIdOf('s2')].sort() },
      { txId: 'T-mixed', branch: 'points', kind: 'mixed_outcome', orderId: 'ord-m', traceIds: ['a', 'b', 'c'].map(traceIdOf).sort() },
      { txId: 'T-hang', branch: 'points', kind: 'hanging', orderId: 'ord-h', traceIds: ['h1', 'h2'].map(traceIdOf).sort() },
      { txId: 'T-open', branch: 'wallet', kind: 'unfinished', orderId: 'ord-o', traceIds: [traceIdOf('o1')] },
      { txId: 'T-empty', branch: 'points', kind: 'empty_rollback', orderId: 'ord-e', traceIds: [traceIdOf('e1')] },
    ]);
    expect(r.counts).toEqual({ empty_rollback: 1, hanging: 1, unfinished: 1, mixed_outcome: 1, failed_compensation: 1 });
  });

  it('counts every anomaly though it lists only `limit` rows', async () => {
    const r = await listTransactionAnomalies(store, { ...hour, slaSec: 60, limit: 2 });
    expect(r.anomalies.map((a) => `${a.txId}/${a.branch} ${a.kind}`)).toEqual(['S-comp/points failed_compensation', 'T-mixed/points mixed_outcome']);
    expect(r.counts).toEqual({ empty_rollback: 1, hanging: 1, unfinished: 1, mixed_outcome: 1, failed_compensation: 1 });
  });

  it('the SLA decides what is unfinished: a long one clears all, a short one also catches the late tries, the confirm and the cancel that came after it', async () => {
    const kinds = async (slaSec: number) => (await listTransactionAnomalies(store, { ...hour, slaSec })).anomalies.filter((a) => a.kind === 'unfinished').map((a) => a.txId);
    expect(await kinds(3600)).toEqual([]);
    expect(await kinds(60)).toEqual(['T-open']);
    expect(await kinds(10)).toEqual(['T-late', 'T-asof', 'T-edge', 'T-open', 'T-empty']);
  });

  it('without the lookback the cancel of a try that ran before the range would be an empty rollback: the try is read', async () => {
    // The wallet try ran 40 s before this range; only the points branch is an anomaly.
    const r = await listTransactionAnomalies(store, { from: new Date(TRANSACTIONS_T0 + 10_000), to: new Date(TRANSACTIONS_T0 + 15 * 60_000), slaSec: 3600 });
    expect(r.anomalies.map((a) => `${a.txId}/${a.branch} ${a.kind}`)).toEqual(['T-empty/points empty_rollback']);
    expect(r.transactions).toBe(2);
  });

  it('an empty range has no transactions and zero counts', async () => {
    const r = await listTransactionAnomalies(store, { from: new Date(TRANSACTIONS_T0 - 86_400_000), to: new Date(TRANSACTIONS_T0 - 82_800_000), slaSec: 60 });
    expect(r).toEqual({ transactions: 0, counts: { empty_rollback: 0, hanging: 0, unfinished: 0, mixed_outcome: 0, failed_compensation: 0 }, anomalies: [] });
  });
});

// ── randomized transactions against the plain-JS definition ──────────────────────────────────────

/** Deterministic PRNG (mulberry32), so a failure can be replayed. */
function rng(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface RandomPhase extends TransactionPhaseSpan {
  fixture: FixtureSpan;
}
let generated: RandomPhase[] = [];

/**
 * 500 transactions over HOURS hours (some starting in the hour before: the lookback; some in the
 * last minutes: SLA not yet passed), TCC or Saga, 1–3 branches, each branch up to 5 phases at times
 * on a 1 s grid (so ties happen), a quarter failed (by status or outcome), traces from a small
 * pool per transaction, order ids on some spans, and some phases outside the five.
 */
function randomSpans(): FixtureSpan[] {
  const r = rng(14);
  const pick = <T,>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
  const out: RandomPhase[] = [];
  for (let t = 0; t < 500; t++) {
    const txId = `tx_${t}${r() < 0.05 ? `'"\\ /ü🙂\u0001 ${t}` : ''}`;
    const saga = r() < 0.3;
    const phases = saga ? ['action', 'compensate', 'action'] : ['try', 'confirm', 'cancel', 'try', 'cancel', 'confirm', 'prepare'];
    const base = Math.round((-3_600_000 + r() * (HOURS * 3_600_000 + 3_600_000)) / 100) * 100;
    const orderId = r() < 0.7 ? `ord_${t}` : '';
    const branches = ['wallet', 'points', 'coupon'].slice(0, 1 + Math.floor(r() * 3));
    for (const branch of branches) {
      const n = Math.floor(r() * 6);
      for (let i = 0; i < n; i++) {
        // Within 40 s on a 1 s grid, some lasting whole seconds: ties between phases, and a settle
        // exactly at a try's end + SLA, happen.
        const start = base + Math.floor(r() * 40) * 1000;
        const dur = pick([100, 300, 1000, 2000]);
        const failedBy = r() < 0.25 ? pick(['status', 'outcome'] as const) : undefined;
        const trace = `r${t}-${Math.floor(r() * 3)}`;
        const phase = pick(phases);
        const spanOrder = r() < 0.6 ? orderId : '';
        const fixture = phaseSpan({ trace, id: `r${t}-${branch}-${i}`, tx: txId, branch, phase, start, dur, failedBy, orderId: spanOrder });
        out.push({ txId, branch, phase, start, end: start + dur, failed: failedBy !== undefined, orderId: spanOrder, traceId: traceIdOf(trace), fixture });
      }
    }
  }
  generated = out;
  return out.map((p) => p.fixture);
}

/** The plain-JS answer for a range: the spans the query may read, the transactions active in the range. */
function reference(fromMs: number, toMs: number, slaSec: number) {
  const known = new Set<string>(TRANSACTION_PHASES);
  const readable = generated.filter((p) => known.has(p.phase) && p.start >= fromMs - TRANSACTION_LOOKBACK_MS && p.start < toMs);
  const active = new Set(readable.filter((p) => p.start >= fromMs).map((p) => p.txId));
  const anomalies = findTransactionAnomalies(readable.filter((p) => active.has(p.txId)), { asOf: toMs, sla: slaSec * 1000 });
  return { transactions: active.size, counts: countTransactionAnomalies(anomalies), anomalies };
}

describe('listTransactionAnomalies on randomized transactions', () => {
  it.each([
    { name: 'the whole range, SLA 30 s', from: 0, to: HOURS * 3_600_000, slaSec: 30 },
    { name: 'two hours in the middle, SLA 5 min', from: 2 * 3_600_000, to: 4 * 3_600_000, slaSec: 300 },
    { name: 'the last 20 minutes, SLA 90 s', from: HOURS * 3_600_000 - 20 * 60_000, to: HOURS * 3_600_000, slaSec: 90 },
  ])('$name: the same transactions, counts and rows as the plain-JS definition', async ({ from, to, slaSec }) => {
    const want = reference(from, to, slaSec);
    const got = await listTransactionAnomalies(store, { from: new Date(RANDOM_T0 + from), to: new Date(RANDOM_T0 + to), slaSec, limit: 10_000 });
    // The sample must exercise every kind, or the comparison proves little.
    for (const n of Object.values(want.counts)) if (from === 0) expect(n).toBeGreaterThan(0);
    expect(got.transactions).toBe(want.transactions);
    expect(got.counts).toEqual(want.counts);
    expect(got.anomalies).toEqual(want.anomalies);
  });
});

describe("listTransactionAnomalies on the seeder's transactions", () => {
  it('finds exactly the anomalies the simulator injected, with their order ids, and no clean rollback', async () => {
    // Judged two hours after the last payment with an hour's SLA, so every open branch has run out
    // of time; the simulator counts a late second phase as settled, and none comes an hour late.
    const got = await listTransactionAnomalies(store, {
      from: new Date(seeded.fromMs), to: new Date(seeded.toMs + 2 * 3_600_000), slaSec: 3600, limit: 10_000,
    });
    const key = (a: { txId: string; branch: string; kind: string; orderId: string }) => `${a.txId}/${a.branch} ${a.kind} ${a.orderId}`;
    const truth = seeded.truth.txAnomalies;
    for (const kind of ['empty_rollback', 'hanging', 'unfinished', 'mixed_outcome', 'failed_compensation']) {
      expect(truth.filter((a) => a.kind === kind).length, kind).toBeGreaterThan(0);
    }
    expect(got.anomalies.map(key).sort()).toEqual(truth.map(key).sort());
    const anomalous = new Set(got.anomalies.map((a) => a.txId));
    expect(seeded.truth.cleanRollbacks.length).toBeGreaterThan(0);
    expect(seeded.truth.cleanRollbacks.filter((c) => anomalous.has(c.txId))).toEqual([]);
  });
});
