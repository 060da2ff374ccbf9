import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../clickhouse/migrate';
import type { Store } from '../store/store';
import { openTempStore } from '../../test/helpers/store';
import { getTrace } from './traces';
import { insertFixture, traceIdOf, type FixtureSpan } from '../../test/helpers/fixtures';

// Found by the dashboard's e2e run: a trace whose spans arrive in two inserts, the second holding only
// spans of the trace's last (fractional) second, came back without them. Comparing the DateTime64
// span time with `toDateTime(seconds)` made the engine's min-max pruning skip that second part.
//
//   insert 1   |root 0.000 ............................. child 1.965|
//   insert 2                              |late 1.415|     (its own part: min = max = second 1)
const T0 = Date.parse('2025-05-01T08:00:00Z');
const span = (id: string, start: number, parent?: string): FixtureSpan => ({ trace: 'slice', id, parent, service: 'svc', name: id, start, dur: 10 });

let store: Store;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ store, cleanup } = await openTempStore());
  await migrate(store, { retentionDays: 0 });
  await insertFixture(store, [span('root', 0), span('child', 1965, 'root')], T0);
  await insertFixture(store, [span('late', 1415, 'root')], T0);
});
afterAll(async () => cleanup?.());

describe('getTrace reads every part of the trace', () => {
  it('keeps spans of the last second that arrived in a part of their own', async () => {
    const trace = await getTrace(store, traceIdOf('slice'));
    expect(trace?.spans.map((s) => s.name)).toEqual(['root', 'late', 'child']);
  });
});
