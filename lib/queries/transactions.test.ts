/**
 * The transactions query against the embedded store: hand-made spans whose answer was worked out by
 * hand, then randomized transactions compared with the plain-JS definition (lib/analytics/transactions.ts)
 * over the very same spans.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../clickhouse/migrate';
import { insertFixture, traceIdOf, type FixtureSpan } from '../../test/helpers/fixtures';
import { openTempStore } from '../../test/helpers/store';
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

const HAND_T0 = Date.parse('2025-05-01T10:00:00Z');
const RANDOM_T0 = Date.parse('2025-06-01T00:00:00Z');
const HOURS = 6;

/** A phase span as a fixture: `failedBy` says how it failed (span status, or payment.outcome). */
function phaseSpan(p: {
  trace: string; id: string; tx: string; branch: string; phase: string; start: number; dur: number;
  failedBy?: 'status' | 'outcome'; orderId?: string;
}): FixtureSpan {
  const attrs: Record<string, string> = { 'payment.tx.id': p.tx, 'payment.tx.branch': p.branch, 'payment.tx.phase': p.phase };
  if (p.orderId) attrs['payment.order_id'] = p.orderId;
  if (p.failedBy === 'outcome') attrs['payment.outcome'] = 'failed';
  return {
    trace: p.trace, id: p.id, service: 'account', name: `POST /tcc/${p.branch}/${p.phase}`, kind: 'Server',
    start: p.start, dur: p.dur, attrs, status: p.failedBy === 'status' ? 'Error' : 'Unset',
  };
}

// Hand-made, one hour from HAND_T0 (times in ms after it), SLA 60 s, judged at the hour's end:
//   T-mixed   wallet try ok (trace a), points try ok (a); wallet confirm (trace b), points cancel (trace c)
//             → points mixed_outcome, traces a b c
//   T-empty   wallet cancel 20 s in; its try ran 30 s BEFORE the range (inside the lookback):
//             no anomaly. points cancel with no try at all → points empty_rollback
//   T-hang    points cancel at 20 min, try at 20 min 5 s → empty_rollback + hanging
//   T-late    wallet try ok at 59 min 30 s: the SLA has not passed by the hour's end → nothing
//   T-open    wallet try ok at 5 min, confirm failed (outcome) → unfinished
//   T-edge    wallet try 45:00–45:01, confirm at 46:01, exactly its end + SLA → settled in time
//   T-asof    wallet try 58:59–59:00: its SLA ends exactly at the hour's end, not past it → nothing
//   S-comp    saga: points action ok, coupon action failed, points compensate failed (status) → failed_compensation
//   T-clean   wallet try ok / points try failed, both cancelled → nothing
//   a span with a tx id but phase `prepare`, and a whole transaction after the range: ignored
const HAND: FixtureSpan[] = [
  phaseSpan({ trace: 'a', id: 'm1', tx: 'T-mixed', branch: 'wallet', phase: 'try', start: 30 * 60_000, dur: 20, orderId: 'ord-m' }),
  phaseSpan({ trace: 'a', id: 'm2', tx: 'T-mixed', branch: 'points', phase: 'try', start: 30 * 60_000 + 30, dur: 20 }),
  phaseSpan({ trace: 'b', id: 'm3', tx: 'T-mixed', branch: 'wallet', phase: 'confirm', start: 30 * 60_000 + 100, dur: 5 }),
  phaseSpan({ trace: 'c', id: 'm4', tx: 'T-mixed', branch: 'points', phase: 'cancel', start: 30 * 60_000 + 100, dur: 5 }),
  phaseSpan({ trace: 'e0', id: 'e1', tx: 'T-empty', branch: 'wallet', phase: 'try', start: -30_000, dur: 20, orderId: 'ord-e' }),
  phaseSpan({ trace: 'e1', id: 'e2', tx: 'T-empty', branch: 'wallet', phase: 'cancel', start: 20_000, dur: 5, orderId: 'ord-e' }),
  phaseSpan({ trace: 'e1', id: 'e3', tx: 'T-empty', branch: 'points', phase: 'cancel', start: 20_000, dur: 5 }),
  phaseSpan({ trace: 'h1', id: 'h1', tx: 'T-hang', branch: 'points', phase: 'cancel', start: 20 * 60_000, dur: 5, orderId: 'ord-h' }),
  phaseSpan({ trace: 'h2', id: 'h2', tx: 'T-hang', branch: 'points', phase: 'try', start: 20 * 60_000 + 5_000, dur: 20, orderId: 'ord-h' }),
  phaseSpan({ trace: 'l1', id: 'l1', tx: 'T-late', branch: 'wallet', phase: 'try', start: 59 * 60_000 + 30_000, dur: 20 }),
  phaseSpan({ trace: 'o1', id: 'o1', tx: 'T-open', branch: 'wallet', phase: 'try', start: 5 * 60_000, dur: 20, orderId: 'ord-o' }),
  phaseSpan({ trace: 'o1', id: 'o2', tx: 'T-open', branch: 'wallet', phase: 'confirm', start: 5 * 60_000 + 40, dur: 5, failedBy: 'outcome' }),
  phaseSpan({ trace: 'g1', id: 'g1', tx: 'T-edge', branch: 'wallet', phase: 'try', start: 45 * 60_000, dur: 1000 }),
  phaseSpan({ trace: 'g1', id: 'g2', tx: 'T-edge', branch: 'wallet', phase: 'confirm', start: 46 * 60_000 + 1000, dur: 5 }),
  phaseSpan({ trace: 'q1', id: 'q1', tx: 'T-asof', branch: 'wallet', phase: 'try', start: 58 * 60_000 + 59_000, dur: 1000 }),
  phaseSpan({ trace: 's1', id: 's1', tx: 'S-comp', branch: 'points', phase: 'action', start: 40 * 60_000, dur: 20, orderId: 'ord-s' }),
  phaseSpan({ trace: 's1', id: 's2', tx: 'S-comp', branch: 'coupon', phase: 'action', start: 40 * 60_000 + 30, dur: 20, failedBy: 'status' }),
  phaseSpan({ trace: 's2', id: 's3', tx: 'S-comp', branch: 'points', phase: 'compensate', start: 40 * 60_000 + 60, dur: 5, failedBy: 'status' }),
  phaseSpan({ trace: 'k1', id: 'k1', tx: 'T-clean', branch: 'wallet', phase: 'try', start: 50 * 60_000, dur: 20 }),
  phaseSpan({ trace: 'k1', id: 'k2', tx: 'T-clean', branch: 'points', phase: 'try', start: 50 * 60_000, dur: 20, failedBy: 'status' }),
  phaseSpan({ trace: 'k1', id: 'k3', tx: 'T-clean', branch: 'wallet', phase: 'cancel', start: 50 * 60_000 + 40, dur: 5 }),
  phaseSpan({ trace: 'k1', id: 'k4', tx: 'T-clean', branch: 'points', phase: 'cancel', start: 50 * 60_000 + 40, dur: 5 }),
  phaseSpan({ trace: 'p1', id: 'p1', tx: 'T-prepare', branch: 'wallet', phase: 'prepare', start: 15 * 60_000, dur: 5 }),
  phaseSpan({ trace: 'x1', id: 'x1', tx: 'T-after', branch: 'wallet', phase: 'cancel', start: 61 * 60_000, dur: 5 }),
];

beforeAll(async () => {
  ({ store, cleanup } = await openTempStore());
  await migrate(store, { retentionDays: 0 });
  await insertFixture(store, HAND, HAND_T0);
  await insertFixture(store, randomSpans(), RANDOM_T0);
});
afterAll(async () => cleanup?.());

const hour = { from: new Date(HAND_T0), to: new Date(HAND_T0 + 3_600_000) };

describe('listTransactionAnomalies on hand-made spans', () => {
  it('finds each kind, across traces, with the payment and traces of each row; clean and unfinished-yet transactions are none', async () => {
    const r = await listTransactionAnomalies(store, { ...hour, slaSec: 60 });
    expect(r.transactions).toBe(9);
    expect(r.anomalies).toEqual([
      { txId: 'S-comp', branch: 'points', kind: 'failed_compensation', orderId: 'ord-s', traceIds: [traceIdOf('s1'), traceIdOf('s2')].sort() },
      { txId: 'T-mixed', branch: 'points', kind: 'mixed_outcome', orderId: 'ord-m', traceIds: ['a', 'b', 'c'].map(traceIdOf).sort() },
      { txId: 'T-hang', branch: 'points', kind: 'empty_rollback', orderId: 'ord-h', traceIds: ['h1', 'h2'].map(traceIdOf).sort() },
      { txId: 'T-hang', branch: 'points', kind: 'hanging', orderId: 'ord-h', traceIds: ['h1', 'h2'].map(traceIdOf).sort() },
      { txId: 'T-open', branch: 'wallet', kind: 'unfinished', orderId: 'ord-o', traceIds: [traceIdOf('o1')] },
      { txId: 'T-empty', branch: 'points', kind: 'empty_rollback', orderId: 'ord-e', traceIds: [traceIdOf('e1')] },
    ]);
    expect(r.counts).toEqual({ empty_rollback: 2, hanging: 1, unfinished: 1, mixed_outcome: 1, failed_compensation: 1 });
  });

  it('counts every anomaly though it lists only `limit` rows', async () => {
    const r = await listTransactionAnomalies(store, { ...hour, slaSec: 60, limit: 2 });
    expect(r.anomalies.map((a) => `${a.txId}/${a.branch} ${a.kind}`)).toEqual(['S-comp/points failed_compensation', 'T-mixed/points mixed_outcome']);
    expect(r.counts).toEqual({ empty_rollback: 2, hanging: 1, unfinished: 1, mixed_outcome: 1, failed_compensation: 1 });
  });

  it('the SLA decides what is unfinished: a long one clears all, a short one also catches the late tries, the confirm and the cancel that came after it', async () => {
    const kinds = async (slaSec: number) => (await listTransactionAnomalies(store, { ...hour, slaSec })).anomalies.filter((a) => a.kind === 'unfinished').map((a) => a.txId);
    expect(await kinds(3600)).toEqual([]);
    expect(await kinds(60)).toEqual(['T-open']);
    expect(await kinds(10)).toEqual(['T-late', 'T-asof', 'T-edge', 'T-open', 'T-empty']);
  });

  it('without the lookback the cancel of a try that ran before the range would be an empty rollback: the try is read', async () => {
    // The wallet try ran 40 s before this range; only the points branch is an anomaly.
    const r = await listTransactionAnomalies(store, { from: new Date(HAND_T0 + 10_000), to: new Date(HAND_T0 + 15 * 60_000), slaSec: 3600 });
    expect(r.anomalies.map((a) => `${a.txId}/${a.branch} ${a.kind}`)).toEqual(['T-empty/points empty_rollback']);
    expect(r.transactions).toBe(2);
  });

  it('an empty range has no transactions and zero counts', async () => {
    const r = await listTransactionAnomalies(store, { from: new Date(HAND_T0 - 86_400_000), to: new Date(HAND_T0 - 82_800_000), slaSec: 60 });
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
    const txId = `tx_${t}${r() < 0.05 ? `'"\\ ${t}` : ''}`;
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
