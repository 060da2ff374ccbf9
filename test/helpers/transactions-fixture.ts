import type { FixtureSpan } from './fixtures';

/**
 * Hand-made transaction phase spans (TCC and Saga) for the transactions query and API tests; the
 * right answers are worked out beside them. Times are ms after TRANSACTIONS_T0.
 */
export const TRANSACTIONS_T0 = Date.parse('2025-05-01T10:00:00Z');

/** A phase span as a fixture: `failedBy` says how it failed (span status, or payment.outcome). */
export function phaseSpan(p: {
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

// One hour from TRANSACTIONS_T0, SLA 60 s, judged at the hour's end:
//   T-mixed   wallet try ok (trace a), points try ok (a); wallet confirm (trace b), points cancel (trace c)
//             → points mixed_outcome, traces a b c
//   T-empty   wallet cancel 20 s in; its try ran 30 s BEFORE the range (inside the lookback):
//             no anomaly. points cancel with no try at all → points empty_rollback
//   T-hang    points cancel at 20 min, try at 20 min 5 s → hanging (the try did run: no empty rollback)
//   T-late    wallet try ok at 59 min 30 s: the SLA has not passed by the hour's end → nothing
//   T-open    wallet try ok at 5 min, confirm failed (outcome) → unfinished
//   T-edge    wallet try 45:00–45:01, confirm at 46:01, exactly its end + SLA → settled in time
//   T-asof    wallet try 58:59–59:00: its SLA ends exactly at the hour's end, not past it → nothing
//   S-comp    saga: points action ok, coupon action failed, points compensate failed (status) → failed_compensation
//   T-clean   wallet try ok / points try failed, both cancelled → nothing
//   a span with a tx id but phase `prepare`, and a whole transaction after the range: ignored
export const TRANSACTIONS_FIXTURE: FixtureSpan[] = [
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
