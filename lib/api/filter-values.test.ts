import { describe, expect, it, vi } from 'vitest';

vi.mock('../queries/overview', () => ({
  listFilterValues: vi.fn(async (_store: unknown, r: { from: Date }) => ({ channels: [String(r.from.getTime())], gateways: [], services: [], stages: [] })),
}));
const { listFilterValues } = await import('../queries/overview');
const { cachedFilterValues } = await import('./filter-values');

describe('cachedFilterValues', () => {
  const store = {} as never;
  const at = (ms: number) => ({ from: new Date(ms), to: new Date(ms + 3_600_000) });
  it('asks the store once per range and minute, again after a minute', async () => {
    const t = Date.parse('2026-01-01T10:00:00Z');
    await cachedFilterValues(store, at(t), t);
    await cachedFilterValues(store, at(t + 20_000), t + 20_000); // same minute
    expect(listFilterValues).toHaveBeenCalledTimes(1);
    await cachedFilterValues(store, at(t + 61_000), t + 61_000); // the range moved on
    expect(listFilterValues).toHaveBeenCalledTimes(2);
    await cachedFilterValues(store, at(t), t + 61_000); // same range, entry expired
    expect(listFilterValues).toHaveBeenCalledTimes(3);
  });
});
