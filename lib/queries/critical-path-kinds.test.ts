import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../clickhouse/migrate';
import type { Store } from '../store/store';
import { openTempStore } from '../../test/helpers/store';
import { getSlowestHops } from './hops';
import { getTrace } from './traces';
import { insertFixture, spanIdOf, traceIdOf, type FixtureSpan } from '../../test/helpers/fixtures';

// The trace view and the hops query hand each span's kind to the critical path, which leaves out a
// consumer under its producer (lib/analytics/critical-path.ts): a payment event published to a
// queue does not wait for the ledger that consumes it. Times in ms after T0.
//
//   root:checkout:server         |====================================|   0..100
//     publish:checkout:producer      |====|                                10..20
//       handle:ledger:consumer        |=============================|      12..90   not on the path
//         insert:ledger:client         |=|                                  14..18   (ledger-db)
//
//   path: root 0-10 · publish 10-20 · root 20-100
const T0 = Date.parse('2025-05-02T08:00:00Z');
const FIXTURE: FixtureSpan[] = [
  { trace: 'queue', id: 'root', service: 'checkout', name: 'POST /api/checkout', start: 0, dur: 100 },
  { trace: 'queue', id: 'publish', parent: 'root', service: 'checkout', name: 'payment.captured publish', kind: 'Producer', start: 10, dur: 10 },
  { trace: 'queue', id: 'handle', parent: 'publish', service: 'ledger', name: 'payment.captured process', kind: 'Consumer', start: 12, dur: 78 },
  { trace: 'queue', id: 'insert', parent: 'handle', service: 'ledger', name: 'INSERT ledger', kind: 'Client', start: 14, dur: 4, attrs: { 'server.address': 'ledger-db' } },
];

let store: Store;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ store, cleanup } = await openTempStore());
  await migrate(store, { retentionDays: 0 });
  await insertFixture(store, FIXTURE, T0);
});
afterAll(async () => cleanup?.());

describe('the critical path of a trace through a queue', () => {
  it('trace view: the consumer is not on its producer’s path', async () => {
    const t = await getTrace(store, traceIdOf('queue'));
    expect(t!.criticalPath).toEqual([spanIdOf('root'), spanIdOf('publish')]);
    expect(t!.criticalPathSegments.map((s) => [s.spanId, s.startMs - T0, s.endMs - T0])).toEqual([
      [spanIdOf('root'), 0, 10],
      [spanIdOf('publish'), 10, 20],
      [spanIdOf('root'), 20, 100],
    ]);
  });

  it('hops: the publish is 10% of the path, the consumer’s database call none of it', async () => {
    const r = await getSlowestHops(store, { from: new Date(T0), to: new Date(T0 + 60_000) });
    expect(r.criticalPathTraces).toBe(1);
    expect(r.hops.map((h) => [h.from, h.to, h.toKind, h.criticalPathShare]).sort()).toEqual([
      ['checkout', 'ledger', 'service', 0.1],
      ['ledger', 'ledger-db', 'external', 0],
    ]);
  });
});
