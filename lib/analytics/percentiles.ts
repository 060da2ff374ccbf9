/**
 * Percentiles with the same definition as ClickHouse's `quantileExact` / `quantilesExact`, so a
 * plain-JS computation over the same values gives the same number as the SQL:
 *
 *   sorted values  v[0] <= v[1] <= ... <= v[n-1]
 *   quantile(q) = v[floor(q * n)]   for q < 1,   v[n-1] for q = 1
 *
 *   n = 4, q = 0.5 → v[2];  n = 5, q = 0.5 → v[2];  n = 100, q = 0.95 → v[95]
 *
 * No interpolation: every percentile is one of the observed values.
 */

const DEFAULT_QUANTILES = [0.5, 0.95, 0.99] as const;

/** The q-quantile of values already sorted ascending; null when there are none. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number | null {
  const n = sorted.length;
  if (n === 0) return null;
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile level must be in [0, 1], got ${q}`);
  const i = q < 1 ? Math.floor(q * n) : n - 1;
  return sorted[Math.min(i, n - 1)];
}

/** Several quantiles of unsorted values (the input is not modified). */
export function quantiles(values: readonly number[], levels: readonly number[] = DEFAULT_QUANTILES): (number | null)[] {
  const sorted = Float64Array.from(values).sort();
  return levels.map((q) => quantileSorted(sorted, q));
}

