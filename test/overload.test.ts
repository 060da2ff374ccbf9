import { describe, expect, it } from 'vitest';
import { runOverload } from '../scripts/overload';

describe('overload', () => {
  it('refuses with 429/503 instead of queueing, stays alive and bounded, and stores every acknowledged export once', async () => {
    const r = await runOverload({ seconds: 10, exporters: 32 });
    expect(r.serverAlive).toBe(true);
    expect(r.refusedRequests, 'offered load should exceed the small queue').toBeGreaterThan(0);
    expect(r.succeededSpans).toBeGreaterThan(0);
    expect(r.storedSpans).toBe(r.succeededSpans);
    expect(r.peakRssMb).toBeLessThan(1500);
  }, 180_000);
});
