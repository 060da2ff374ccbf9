import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../clickhouse/migrate';
import type { Store } from '../store/store';
import { openTempStore } from '../../test/helpers/store';
import { getTrace, getTraceOutline } from './traces';
import { insertFixture, traceIdOf, type FixtureSpan } from '../../test/helpers/fixtures';

// The trace page reads the outline (no attribute maps, the order id from its materialized column);
// the JSON API reads every detail. Both must describe the same trace: the same spans, times, kinds,
// statuses and critical path, and the outline's order id must be the span's payment.order_id.
//
//   root:checkout:server       |==============================|   0..30   order ord_1
//     call:checkout:client        |==========|                     3..13  error
//       charge:payment:server      |=======|                       4..12  order ord_1 (an event, a resource attribute)
//     publish:checkout:producer                |===|              16..20
//       handle:ledger:consumer                   |==========|     18..29  order ord_2
const T0 = Date.parse('2025-05-03T09:00:00Z');
const FIXTURE: FixtureSpan[] = [
  { trace: 'outline', id: 'root', service: 'checkout', name: 'POST /api/checkout', start: 0, dur: 30, attrs: { 'payment.order_id': 'ord_1' }, status: 'Ok' },
  { trace: 'outline', id: 'call', parent: 'root', service: 'checkout', name: 'POST', kind: 'Client', start: 3, dur: 10, status: 'Error', statusMessage: 'declined', attrs: { 'server.address': 'payment' } },
  {
    trace: 'outline', id: 'charge', parent: 'call', service: 'payment', name: 'POST /charge', start: 4, dur: 8.000_001, attrs: { 'payment.order_id': 'ord_1' },
    resource: { 'k8s.pod.name': 'payment-0' }, events: [{ at: 5, name: 'exception', attrs: { 'exception.type': 'Declined' } }],
  },
  { trace: 'outline', id: 'publish', parent: 'root', service: 'checkout', name: 'payment.captured publish', kind: 'Producer', start: 16, dur: 4 },
  { trace: 'outline', id: 'handle', parent: 'publish', service: 'ledger', name: 'payment.captured process', kind: 'Consumer', start: 18, dur: 11, attrs: { 'payment.order_id': 'ord_2' } },
];

let store: Store;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ store, cleanup } = await openTempStore());
  await migrate(store, { retentionDays: 0 });
  await insertFixture(store, FIXTURE, T0);
});
afterAll(async () => cleanup?.());

describe('the trace outline', () => {
  const hint = { from: new Date(T0 - 60_000), to: new Date(T0 + 60_000) };
  it.each([['without a hint', undefined], ['with a hint', hint]])('is the full trace without its details (%s)', async (_, h) => {
    const full = (await getTrace(store, traceIdOf('outline'), h))!;
    const outline = (await getTraceOutline(store, traceIdOf('outline'), h))!;
    expect(outline.spans).toEqual(full.spans.map((s) => ({
      traceId: s.traceId, spanId: s.spanId, parentSpanId: s.parentSpanId, service: s.service, name: s.name, kind: s.kind,
      startMs: s.startMs, durationMs: s.durationMs, status: s.status, orderId: s.attributes['payment.order_id'] ?? '',
    })));
    expect(outline.spans.map((s) => [s.name, s.kind, s.status, s.orderId])).toEqual([
      ['POST /api/checkout', 'server', 'ok', 'ord_1'],
      ['POST', 'client', 'error', ''],
      ['POST /charge', 'server', 'unset', 'ord_1'],
      ['payment.captured publish', 'producer', 'unset', ''],
      ['payment.captured process', 'consumer', 'unset', 'ord_2'],
    ]);
    expect(outline.criticalPath).toEqual(full.criticalPath);
    expect(outline.criticalPathSegments).toEqual(full.criticalPathSegments);
  });

  it('is null for an unknown trace, as the full read', async () => {
    expect(await getTraceOutline(store, traceIdOf('nothing'))).toBeNull();
    expect(await getTraceOutline(store, traceIdOf('outline'), { from: new Date(T0 + 60_000), to: new Date(T0 + 120_000) })).toBeNull();
  });
});
