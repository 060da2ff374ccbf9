import { describe, expect, it } from 'vitest';
import { compareStages, stageWaits } from './stages';

describe('stageWaits', () => {
  //   order.create     |=====|                 0..6
  //   risk.check              |==|             8..11
  //   payment.submit               |========|  13..22
  //   gateway.request                |==|      15..18
  //   gateway.callback                              |=|  40..42
  it('waits are gaps after the previous stage, or time since it began when it encloses this one', () => {
    const ev = [
      { stage: 'gateway.callback', start: 40, duration: 2, spanId: 'e' },
      { stage: 'order.create', start: 0, duration: 6, spanId: 'a' },
      { stage: 'risk.check', start: 8, duration: 3, spanId: 'b' },
      { stage: 'payment.submit', start: 13, duration: 9, spanId: 'c' },
      { stage: 'gateway.request', start: 15, duration: 3, spanId: 'd' },
    ];
    expect(stageWaits(ev).map((w) => [w.event.stage, w.wait])).toEqual([
      ['order.create', null],
      ['risk.check', 2],
      ['payment.submit', 2],
      ['gateway.request', 2],
      // after gateway.request ended at 18 (the closest earlier stage by start)
      ['gateway.callback', 22],
    ]);
  });
  it('clock skew never gives a negative wait; ties break on span id', () => {
    const ev = [
      { stage: 'b', start: 5, duration: 1, spanId: 'y' },
      { stage: 'a', start: 5, duration: 10, spanId: 'x' },
    ];
    expect(stageWaits(ev).map((w) => [w.event.stage, w.wait])).toEqual([['a', null], ['b', 0]]);
  });
});

describe('compareStages', () => {
  it('orders the checkout stages first, then others alphabetically', () => {
    expect(['zeta', 'order.confirm', 'alpha', 'order.create', 'gateway.callback'].sort(compareStages)).toEqual([
      'order.create', 'gateway.callback', 'order.confirm', 'alpha', 'zeta',
    ]);
  });
});
