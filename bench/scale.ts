/**
 * Seeded history sizes the benchmarks measure at. The simulator writes about 21 spans per payment
 * (sim/README.md), so these payment counts give the 10M and 50M spans.
 */
export const SCALES = {
  '10m': { payments: 480_000, days: 7 },
  '50m': { payments: 2_400_000, days: 10 },
} as const satisfies Record<string, { payments: number; days: number }>;
