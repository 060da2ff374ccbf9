import { describe, expect, it } from 'vitest';
import { runOverload } from '../scripts/overload';

describe('overload', () => {
  it('refuses with 429/503 instead of queueing, stays alive and bounded, and stores every exported span exactly once', async () => {
    // More exporters than a 2 MiB queue holds requests of, each with one 512-span export in flight.
    const r = await runOverload({ seconds: 10, rate: 60_000, services: 48, sdkServices: 2, sdkRate: 1000, queueBytes: 2 << 20, exportTimeoutMs: 30_000, drainSeconds: 60 });
    expect(r.serverAlive).toBe(true);
    expect(r.refusedRequests, 'offered load should exceed the small queue').toBeGreaterThan(0);
    expect(r.exportedSpans).toBeGreaterThan(0);
    expect(r.storedSpans).toBe(r.exportedSpans);
    expect(r.missingExports).toBe(0);
    expect(r.duplicatedSpans).toBe(0);
    expect(r.peakRssMb).toBeLessThan(1500);
  }, 180_000);
});
