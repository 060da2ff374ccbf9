import { afterEach, describe, expect, it } from 'vitest';
import { migrate } from '../../clickhouse/migrate';
import { insertFixture, type FixtureSpan } from '../../test/helpers/fixtures';
import { openTempStore } from '../../test/helpers/store';
import { phaseSpan } from '../../test/helpers/transactions-fixture';
import { defaultRules } from './rules';
import { measure } from './sources';

/**
 * The transaction-anomaly rule compares the window's share of each anomaly kind with the previous
 * 24 h. Right after a first start there is no previous 24 h: the rule must not compare with 0 %
 * (the live demo's normal ~6 % unfinished fired that way). Branch SLA: the default 300 s.
 */
const T0 = Date.parse('2025-05-01T10:00:00Z');
const NOW = T0 + 2.5 * 3_600_000; // the window (15 min) ends half way through the hour T0+2h
const rule = defaultRules({ gatewayWindowSec: 120, gatewayForSec: 150, windowSec: 900, forSec: 300 }).find((r) => r.id === 'transaction-anomalies')!;

/** n transactions starting at `at` (ms after T0), a second apart: the first `open` never confirm. */
function transactions(prefix: string, at: number, n: number, open: number): FixtureSpan[] {
  return Array.from({ length: n }, (_, i) => {
    const start = at + i * 1000;
    const tx = `${prefix}-${i}`;
    const spans = [phaseSpan({ trace: `${tx}-a`, id: `${tx}-t`, tx, branch: 'wallet', phase: 'try', start, dur: 20 })];
    if (i >= open) spans.push(phaseSpan({ trace: `${tx}-b`, id: `${tx}-c`, tx, branch: 'wallet', phase: 'confirm', start: start + 100, dur: 5 }));
    return spans;
  }).flat();
}

// 20 transactions from 14 minutes before NOW (past their SLA by NOW), 6 of them unfinished: 30 %
// (at least the rule's minCount of 5).
const window = transactions('now', NOW - T0 - 14 * 60_000, 20, 6);

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => cleanup?.());

async function unfinishedValue(spans: FixtureSpan[]) {
  const opened = await openTempStore();
  cleanup = opened.cleanup;
  await migrate(opened.store, { retentionDays: 0 });
  await insertFixture(opened.store, spans, T0);
  const samples = await measure({ store: opened.store, now: NOW, publicUrl: 'http://payscope.test' }, rule);
  return samples.find((s) => s.labels.kind === 'unfinished');
}

describe('transaction anomalies against their baseline', () => {
  it('with no history before this hour, 30 % unfinished measures nothing (no baseline to be above)', async () => {
    const s = await unfinishedValue(window);
    expect(s?.summary).toContain('no baseline yet');
    expect(s?.value).toBe(0);
  });

  it('with a clean previous 24 h, the same window is 30 points above it', async () => {
    // 20 clean transactions an hour and a half earlier: the baseline, 0 % unfinished.
    const s = await unfinishedValue([...transactions('before', 60 * 60_000, 20, 0), ...window]);
    expect(s?.summary).toContain('vs 0.0% the previous 24 h');
    expect(s?.value).toBeCloseTo(30, 6);
  });

  it('a first start minutes before the hour: tries not yet past their SLA make no baseline', async () => {
    // 20 transactions in the 4 minutes before the hour, 6 never confirmed. Judged at the hour none is
    // past its SLA, so they would make a 0 % baseline; the baseline ends an SLA before the hour.
    const s = await unfinishedValue([...transactions('first', 2 * 3_600_000 - 4 * 60_000, 20, 6), ...window]);
    expect(s?.value).toBe(0);
  });
});
