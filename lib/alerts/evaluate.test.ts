import { describe, expect, it } from 'vitest';
import { chooseBaseline, evaluateRule, fingerprint, matchesAll, type Alert, type RuleCondition, type Sample } from './evaluate';

/**
 * Alert evaluation by hand: a rule, a sequence of evaluations 15 s apart with one value each, and
 * the state and notifications worked out on paper.
 *
 *   threshold 10, resolve below 6, critical at 20, for 30 s, interval 15 s
 *   t (s)   0    15   30   45   60   75   90   105
 *   value   12   12   12   25   8    5    5    12
 *   state   pend pend fire fire fire res  —    pend
 *                     ↑ for: 30 s after activeAt 0 (severity warning)
 *                          ↑ 25 >= 20: critical (notified)
 *                               ↑ 8: between 6 and 10, keeps firing (hysteresis), still critical
 *                                    ↑ 5 < 6: resolved
 */

const T0 = Date.parse('2026-12-01T10:00:00Z');
const rule: RuleCondition = { id: 'r1', name: 'GatewayErrors', severity: 'warning', threshold: 10, resolveThreshold: 6, criticalThreshold: 20, forSec: 30 };
const sample = (value: number, labels: Record<string, string> = { gateway: 'stripe' }): Sample => ({ labels, value, summary: `value ${value}`, description: '' });

/** Runs evaluations at T0, T0+15 s, … feeding each its values; returns state per step and every transition. */
function replay(r: RuleCondition, values: (number | null)[][], labelSets: Record<string, string>[] = [{ gateway: 'stripe' }]) {
  let open: Alert[] = [];
  const states: string[][] = [];
  const transitions: string[] = [];
  values.forEach((vs, i) => {
    const now = T0 + i * 15_000;
    const samples = vs.flatMap((v, k) => (v === null ? [] : [sample(v, labelSets[k])]));
    const ev = evaluateRule(r, open, samples, now);
    for (const t of ev.transitions) transitions.push(`${(now - T0) / 1000}s ${t.kind} ${t.alert.labels.gateway} ${t.alert.severity}`);
    open = ev.open;
    states.push(labelSets.map((l) => open.find((a) => a.labels.gateway === l.gateway)?.state ?? '—'));
  });
  return { states: states.map((s) => s.join(',')), transitions, open };
}

describe('evaluateRule', () => {
  it('pending for `for`, then firing; severity follows the critical threshold; hysteresis; resolve below resolveThreshold', () => {
    const r = replay(rule, [[12], [12], [12], [25], [8], [5], [5], [12]]);
    expect(r.states).toEqual(['pending', 'pending', 'firing', 'firing', 'firing', '—', '—', 'pending']);
    expect(r.transitions).toEqual(['30s firing stripe warning', '45s severity stripe critical', '75s resolved stripe critical']);
    expect(r.states[4]).toBe('firing');
  });

  it('a pending alert whose value drops is dropped without a notification', () => {
    const r = replay(rule, [[12], [12], [9], [12]]);
    expect(r.states).toEqual(['pending', 'pending', '—', 'pending']);
    expect(r.transitions).toEqual([]);
  });

  it('for 0 fires at the first evaluation over the threshold; startsAt is when it began firing, not when pending', () => {
    const now0 = replay({ ...rule, forSec: 0 }, [[11]]);
    expect(now0.transitions).toEqual(['0s firing stripe warning']);
    const r = replay(rule, [[5], [12], [12], [12]]);
    expect(r.open[0].activeAt).toBe(T0 + 15_000);
    expect(r.open[0].startsAt).toBe(T0 + 45_000);
  });

  it('a value between the thresholds never starts an alert, and keeps a firing one firing (no flapping)', () => {
    const r = replay({ ...rule, forSec: 0 }, [[8], [10], [7], [9.9], [6], [5.9]]);
    expect(r.states).toEqual(['—', 'firing', 'firing', 'firing', 'firing', '—']);
    expect(r.transitions).toEqual(['15s firing stripe warning', '75s resolved stripe warning']);
  });

  it('one alert per label set: each gateway fires and resolves on its own', () => {
    const labels = [{ gateway: 'stripe' }, { gateway: 'paypal' }, { gateway: 'alipay' }];
    const r = replay({ ...rule, forSec: 15 }, [[12, 1, 12], [12, 1, 30], [1, 12, 30], [1, 12, 1]], labels);
    expect(r.states).toEqual(['pending,—,pending', 'firing,—,firing', '—,pending,firing', '—,firing,—']);
    expect(r.transitions).toEqual([
      '15s firing stripe warning', '15s firing alipay critical',
      '30s resolved stripe warning',
      '45s firing paypal warning', '45s resolved alipay critical',
    ]);
  });

  it('a label set that disappears (no traffic to judge) resolves a firing alert and drops a pending one', () => {
    const labels = [{ gateway: 'stripe' }, { gateway: 'paypal' }];
    const r = replay({ ...rule, forSec: 15 }, [[12, 12], [12, null], [null, null]], labels);
    expect(r.states).toEqual(['pending,pending', 'firing,—', '—,—']);
    expect(r.transitions).toEqual(['15s firing stripe warning', '30s resolved stripe warning']);
  });

  it('ignores open alerts of other rules and keeps one alert per label set when a sample repeats', () => {
    const other: Alert = { ...evaluateRule({ ...rule, id: 'r2', forSec: 0 }, [], [sample(50)], T0).open[0] };
    const ev = evaluateRule(rule, [other], [sample(12), sample(30)], T0);
    expect(ev.open).toHaveLength(1);
    expect(ev.open[0].value).toBe(12);
    expect(ev.changed.map((a) => a.rule)).toEqual(['r1']);
  });
});

describe('fingerprint', () => {
  it('depends on the labels, not their order', () => {
    expect(fingerprint({ a: '1', b: '2' })).toBe(fingerprint({ b: '2', a: '1' }));
    expect(fingerprint({ a: '1', b: '2' })).not.toBe(fingerprint({ a: '1', b: '3' }));
    expect(fingerprint({ a: '1=b' })).not.toBe(fingerprint({ a: '1', b: '' }));
  });
});

describe('matchesAll', () => {
  it('= and != against labels; a missing label reads as empty', () => {
    const labels = { alertname: 'X', gateway: 'stripe' };
    expect(matchesAll([{ label: 'gateway', op: '=', value: 'stripe' }], labels)).toBe(true);
    expect(matchesAll([{ label: 'gateway', op: '=', value: 'stripe' }, { label: 'alertname', op: '!=', value: 'X' }], labels)).toBe(false);
    expect(matchesAll([{ label: 'channel', op: '=', value: '' }], labels)).toBe(true);
    expect(matchesAll([], labels)).toBe(true);
  });
});

describe('chooseBaseline', () => {
  it('same hour last week when it has enough data, else the previous 24 h, else none', () => {
    expect(chooseBaseline({ count: 100, v: 'week' }, { count: 900, v: 'day' }, 50)).toEqual({ kind: 'last_week', stats: { count: 100, v: 'week' } });
    expect(chooseBaseline({ count: 10, v: 'week' }, { count: 900, v: 'day' }, 50)).toEqual({ kind: 'previous_24h', stats: { count: 900, v: 'day' } });
    expect(chooseBaseline(null, { count: 49, v: 'day' }, 50)).toBeNull();
  });
});
