/**
 * The randomness the flow model draws from. The seeder passes its seedable PRNG (sim/seed/random.ts:
 * the same seed gives the same history); the live platform, which is not reproducible anyway (real
 * processes, real timers), passes one over Math.random (sim/platform/random.ts).
 */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  chance(p: number): boolean;
  uniform(lo: number, hi: number): number;
  /** Log-normal with the given median and log-space sigma: latencies with a long right tail. */
  lognormal(median: number, sigma: number): number;
  pick<T>(items: readonly T[]): T;
  /** An item chosen with probability proportional to its weight. */
  weighted<T>(items: readonly T[], weights: readonly number[]): T;
}
