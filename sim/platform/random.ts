import { randomBytes } from 'node:crypto';

// The live platform is not reproducible (real processes, real timers), so Math.random is enough;
// the seeder has its own seedable PRNG for reproducible history.

/** True with probability `p`. */
export function chance(p: number): boolean {
  return p > 0 && Math.random() < p;
}

export function uniform(min: number, max: number): number {
  return min + Math.random() * (max - min);
}

export function pick<T>(items: readonly T[]): T {
  return items[Math.floor(Math.random() * items.length)];
}

export function weighted<T>(items: readonly T[], weights: readonly number[]): T {
  const total = weights.reduce((a, b) => a + b, 0);
  let u = Math.random() * total;
  for (let i = 0; i < items.length; i++) {
    u -= weights[i];
    if (u < 0) return items[i];
  }
  return items[items.length - 1];
}

/** Log-normal with the given median and log-space sigma (a latency's typical long right tail). */
export function lognormal(median: number, sigma: number): number {
  // Box-Muller; 1 - random() avoids log(0).
  const z = Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random());
  return median * Math.exp(sigma * z);
}

/** Exponential inter-arrival time for a Poisson process of `ratePerSec` events per second, in ms. */
export function exponentialMs(ratePerSec: number): number {
  return (-Math.log(1 - Math.random()) / ratePerSec) * 1000;
}

export function hex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}
