import { describe, expect, it } from 'vitest';
import { binomialTailAtLeast, erfc, logGamma } from './binomial';

/** P(X ≥ k) by summing every term with exact binomial coefficients (BigInt), for small n. */
function reference(k: number, n: number, p: number): number {
  let c = 1n;
  let sum = 0;
  for (let i = 0; i <= n; i++) {
    if (i > 0) c = (c * BigInt(n - i + 1)) / BigInt(i);
    if (i >= k) sum += Number(c) * p ** i * (1 - p) ** (n - i);
  }
  return sum;
}

describe('binomialTailAtLeast', () => {
  it('equals the sum of every term where the distribution is narrow', () => {
    for (const [n, p] of [[28, 0.0026], [28, 0.05], [100, 0.012], [500, 0.05], [69, 0.00137], [60, 0.5], [200, 0.99]] as const) {
      for (let k = 0; k <= Math.min(n, 40); k++) {
        const want = reference(k, n, p);
        expect(Math.abs(binomialTailAtLeast(k, n, p) - want), `${k} of ${n} at ${p}`).toBeLessThanOrEqual(Math.max(1e-12, want * 1e-9));
      }
    }
  });

  it('one or two timeouts among 28 calls against a 0.26% baseline are noise; three are not', () => {
    expect(binomialTailAtLeast(1, 28, 0.0026)).toBeCloseTo(1 - (1 - 0.0026) ** 28, 12);
    expect(binomialTailAtLeast(2, 28, 0.0026)).toBeGreaterThan(0.00135);
    expect(binomialTailAtLeast(3, 28, 0.0026)).toBeLessThan(0.00135);
  });

  it('is exact on wide distributions too (3 sigma, 2,000 calls at 5%)', () => {
    const n = 2000;
    const p = 0.05;
    const k = Math.ceil(n * p + 3 * Math.sqrt(n * p * (1 - p)));
    // Every term by the recurrence from P(0) = 0.95^2000 (3e-45: no underflow).
    let term = (1 - p) ** n;
    let want = 0;
    for (let i = 0; i <= n; i++) {
      if (i >= k) want += term;
      term *= ((n - i) / (i + 1)) * (p / (1 - p));
    }
    expect(Math.abs(binomialTailAtLeast(k, n, p) - want) / want).toBeLessThan(1e-9);
  });

  it('approximates only beyond a standard deviation of 200 (within 5% at 2 sigma)', () => {
    const n = 10_000_000;
    const p = 0.05;
    const sd = Math.sqrt(n * p * (1 - p));
    const k = Math.ceil(n * p + 2 * sd);
    // 1 − Φ(2) = 0.02275; the binomial's skew at this n is negligible.
    expect(Math.abs(binomialTailAtLeast(k, n, p) - 0.02275) / 0.02275).toBeLessThan(0.05);
  });

  it('edges: k ≤ 0, k > n, p at 0 and 1', () => {
    expect(binomialTailAtLeast(0, 10, 0.1)).toBe(1);
    expect(binomialTailAtLeast(11, 10, 0.1)).toBe(0);
    expect(binomialTailAtLeast(1, 10, 0)).toBe(0);
    expect(binomialTailAtLeast(10, 10, 1)).toBe(1);
  });

  it('bounded work on huge counts', () => {
    expect(binomialTailAtLeast(5_000_000, 10_000_000, 0.0000001)).toBe(0);
    expect(binomialTailAtLeast(3, 10_000_000, 0.0000001)).toBeCloseTo(reference3(10_000_000, 0.0000001), 6);
  });

  it('logGamma and erfc agree with known values', () => {
    expect(logGamma(1)).toBeCloseTo(0, 12);
    expect(logGamma(10)).toBeCloseTo(Math.log(362880), 10);
    expect(logGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 10);
    expect(erfc(0)).toBeCloseTo(1, 6);
    expect(erfc(1)).toBeCloseTo(0.157299207, 6);
    expect(erfc(-1)).toBeCloseTo(1.842700793, 6);
  });
});

/** P(X ≥ 3) = 1 − P(0) − P(1) − P(2), for the bounded-work case. */
function reference3(n: number, p: number): number {
  const p0 = Math.exp(n * Math.log1p(-p));
  const p1 = n * p * Math.exp((n - 1) * Math.log1p(-p));
  const p2 = ((n * (n - 1)) / 2) * p * p * Math.exp((n - 2) * Math.log1p(-p));
  return 1 - p0 - p1 - p2;
}
