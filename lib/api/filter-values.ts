import { listFilterValues, type FilterValues } from '../queries/overview';
import type { Store } from '../store/store';
import type { TimeRange } from '../queries/common';

/**
 * The filters' choices (channels, gateways, services, stages), remembered for a minute per range
 * (to the minute): every page shows them, they need not be exact, and under load the three small
 * queries behind them are better spent on the page's own numbers.
 */
const TTL_MS = 60_000;
const MAX_ENTRIES = 64;
const cache = new Map<string, { at: number; value: Promise<FilterValues> }>();

export function cachedFilterValues(store: Store, range: TimeRange, now = Date.now()): Promise<FilterValues> {
  const key = `${Math.floor(range.from.getTime() / 60_000)}|${Math.floor(range.to.getTime() / 60_000)}`;
  const hit = cache.get(key);
  if (hit && now - hit.at < TTL_MS) return hit.value;
  const value = listFilterValues(store, range);
  cache.set(key, { at: now, value });
  value.catch(() => cache.delete(key));
  if (cache.size > MAX_ENTRIES) {
    for (const [k, v] of cache) if (now - v.at >= TTL_MS || cache.size > MAX_ENTRIES) cache.delete(k);
  }
  return value;
}
