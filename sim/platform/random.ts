import { randomBytes } from 'node:crypto';
import type { Random } from '../model/random';

// The live platform is not reproducible (real processes, real timers), so Math.random is enough;
// the seeder has its own seedable PRNG for reproducible history.

/** Math.random as the flow model's source of randomness. */
export const random: Random = {
  next: () => Math.random(),
  chance: (p) => p > 0 && Math.random() < p,
  uniform: (lo, hi) => lo + Math.random() * (hi - lo),
  lognormal(median, sigma) {
    // Box-Muller; 1 - random() avoids log(0).
    const z = Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random());
    return median * Math.exp(sigma * z);
  },
  pick: (items) => items[Math.floor(Math.random() * items.length)],
  weighted(items, weights) {
    const total = weights.reduce((a, b) => a + b, 0);
    let u = Math.random() * total;
    for (let i = 0; i < items.length; i++) {
      u -= weights[i];
      if (u < 0) return items[i];
    }
    return items[items.length - 1];
  },
};

/** Exponential inter-arrival time for a Poisson process of `ratePerSec` events per second, in ms. */
export function exponentialMs(ratePerSec: number): number {
  return (-Math.log(1 - Math.random()) / ratePerSec) * 1000;
}

export function hex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}
