import { describe, expect, it } from 'vitest';
import { quantileSorted, quantiles } from './percentiles';

describe('quantiles (ClickHouse quantileExact definition)', () => {
  // Values checked against ClickHouse: quantilesExact(0.5, 0.95, 0.99, 1)(number) over numbers(n).
  it.each([
    [4, [2, 3, 3, 3]],
    [10, [5, 9, 9, 9]],
    [100, [50, 95, 99, 99]],
  ])('numbers(%d)', (n, want) => {
    expect(quantiles(Array.from({ length: n }, (_, i) => i), [0.5, 0.95, 0.99, 1])).toEqual(want);
  });
  it('does not depend on input order and is null when empty', () => {
    expect(quantiles([5, 1, 4, 2, 3], [0.5])).toEqual([3]);
    expect(quantiles([], [0.5])).toEqual([null]);
  });
  it('rejects levels outside [0, 1]', () => {
    expect(() => quantileSorted([1], 1.5)).toThrow(RangeError);
  });
});
