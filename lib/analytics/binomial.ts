/**
 * The upper tail of a binomial distribution, for deciding whether a count of failures (or slow
 * calls) among `n` is more than noise against a baseline rate. The normal approximation that a
 * z-score makes is far too eager when few events are expected: one timeout among 28 calls against a
 * 0.26 % baseline scores z = 3.4, yet happens by chance in 7 % of such windows. So the tail is summed
 * exactly, away from the mode, until its terms no longer matter (at most MAX_TERMS of them); only a
 * distribution wider than that (standard deviation > 200, some 800 k calls at 5 %) is approximated,
 * normally with continuity correction.
 */

const MAX_TERMS = 10_000;

/** P(X ≥ k) for X ~ Binomial(n, p). */
export function binomialTailAtLeast(k: number, n: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n || p <= 0) return 0;
  if (p >= 1) return 1;
  const mean = n * p;
  const variance = mean * (1 - p);
  // Beyond this spread the exact sum would take more than MAX_TERMS terms (and skew no longer matters).
  if (variance > 40_000) return 0.5 * erfc((k - 0.5 - mean) / Math.sqrt(2 * variance));
  const pmf = (i: number) => Math.exp(logChoose(n, i) + i * Math.log(p) + (n - i) * Math.log1p(-p));
  const ratio = p / (1 - p);
  let sum = 0;
  // Sum away from the mode, where the terms fall: upwards from k, or (for k at or below the mean)
  // the lower tail downwards from k − 1. A term that underflows is negligible.
  if (k > mean) {
    let term = pmf(k);
    for (let i = k, steps = 0; i <= n && steps < MAX_TERMS && term > 0; i++, steps++) {
      sum += term;
      term *= ((n - i) / (i + 1)) * ratio;
      if (term <= sum * 1e-15) break;
    }
    return Math.min(1, sum);
  }
  let term = pmf(k - 1);
  for (let i = k - 1, steps = 0; i >= 0 && steps < MAX_TERMS && term > 0; i--, steps++) {
    sum += term;
    term *= (i / (n - i + 1)) / ratio;
    if (term <= sum * 1e-15) break;
  }
  return Math.max(0, 1 - sum);
}

function logChoose(n: number, k: number): number {
  return logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1);
}

// Lanczos approximation (g = 7, 9 terms): ~15 significant digits for x > 0.
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const z = x - 1;
  let a = LANCZOS[0];
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i] / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** The complementary error function (Numerical Recipes' erfcc: relative error < 1.2e-7). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
    t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? r : 2 - r;
}
