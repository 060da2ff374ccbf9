import { describe, expect, it } from 'vitest';
import { DEFAULT_CHECKOUT_FUNNEL, funnelStepResults, matchFlowSteps, stepMatches } from './funnel';

const inRange = (t: number) => t >= 0 && t < 100;

describe('matchFlowSteps', () => {
  // Events drawn on a time line; the digit is the step the event matches (steps 0, 1, 2).
  //   time   0    10   20   30   40   50
  //          0         1    2
  it.each([
    { name: 'all steps in order', events: [[0, [0]], [20, [1]], [30, [2]]], want: [0, 20, 30] },
    { name: 'a later step before its predecessor is ignored', events: [[0, [0]], [5, [2]], [20, [1]], [30, [2]]], want: [0, 20, 30] },
    { name: 'a missing step ends the progress', events: [[0, [0]], [30, [2]]], want: [0, null, null] },
    { name: 'the first step must lie in the range', events: [[-5, [0]], [20, [1]]], want: [null, null, null] },
    { name: 'the earliest in-range first step starts the flow', events: [[-5, [0]], [10, [0]], [20, [1]]], want: [10, 20, null] },
    { name: 'beyond the window a step is not reached', events: [[0, [0]], [20, [1]], [61, [2]]], want: [0, 20, null] },
    { name: 'one event can satisfy two steps', events: [[0, [0, 1]], [30, [2]]], want: [0, 0, 30] },
    { name: 'events in any order (across traces)', events: [[30, [2]], [0, [0]], [20, [1]]], want: [0, 20, 30] },
  ])('$name', ({ events, want }) => {
    const ev = events.map(([time, steps]) => ({ time: time as number, steps: steps as number[] }));
    expect(matchFlowSteps(ev, 3, 60, inRange)).toEqual(want);
  });
});

describe('funnelStepResults', () => {
  it('derives conversion and drop-off from the reached counts (worked by hand)', () => {
    const w = { p50: 1, p95: 2, p99: 3 };
    const r = funnelStepResults(['a', 'b', 'c', 'd'], [200, 150, 150, 0], [w, w, w, w]);
    expect(r.map((s) => [s.reached, s.conversion, s.dropOff, s.p50Ms])).toEqual([
      [200, 1, 0, null],
      [150, 0.75, 0.25, 1],
      [150, 0.75, 0, 1],
      [0, 0, 1, null],
    ]);
  });
  it('an empty funnel is all zeros', () => {
    const r = funnelStepResults(['a', 'b'], [0, 0], []);
    expect(r.map((s) => [s.conversion, s.dropOff])).toEqual([[0, 0], [0, 0]]);
  });
});

describe('stepMatches', () => {
  const span = { service: 'payment', name: 'POST /callbacks/:gateway', attributes: { 'payment.stage': 'gateway.callback', 'payment.outcome': 'succeeded' } };
  it.each([
    [{ name: 's', stage: 'gateway.callback' }, true],
    [{ name: 's', stage: 'order.confirm' }, false],
    [{ name: 's', service: 'payment', spanName: 'POST /callbacks/:gateway' }, true],
    [{ name: 's', service: 'payment', attributes: { 'payment.outcome': 'succeeded' } }, true],
    [{ name: 's', service: 'payment', attributes: { 'payment.outcome': 'failed' } }, false],
    [{ name: 's', service: 'order' }, false],
    [{ name: 's' }, false],
  ])('%j → %s', (step, want) => {
    expect(stepMatches(step, span)).toBe(want);
  });
  it('the default funnel is the checkout flow by stage', () => {
    expect(DEFAULT_CHECKOUT_FUNNEL.steps.map((s) => s.stage)).toEqual(['order.create', 'payment.submit', 'gateway.request', 'gateway.callback', 'order.confirm']);
  });
});
