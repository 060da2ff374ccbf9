import { describe, expect, it } from 'vitest';
import { runCrashTrials } from '../scripts/crash-trials';

describe('crash safety', () => {
  it('after kill -9 under load and a restart, every acknowledged span is stored exactly once', async () => {
    const results = await runCrashTrials(3);
    for (const r of results) {
      expect(r.acked, `trial ${r.trial} acknowledged something before the kill`).toBeGreaterThan(0);
      expect(r.lostSpans, `trial ${r.trial} lost acknowledged spans`).toBe(0);
      expect(r.duplicatedSpans, `trial ${r.trial} stored spans twice`).toBe(0);
    }
  }, 240_000);
});
