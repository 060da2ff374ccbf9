import { afterAll, beforeAll } from 'vitest';
import { migrate } from '../../clickhouse/migrate';
import { setStore } from '../../lib/store/store';
import { insertFixture, type FixtureSpan } from './fixtures';
import { openTempStore } from './store';

/**
 * For a test file that calls route handlers: a fresh migrated store holding `spans` (from `t0`),
 * made the process's store before the file's tests and closed after them.
 */
export function useRouteStore(spans: readonly FixtureSpan[], t0: number): void {
  let cleanup: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const opened = await openTempStore();
    cleanup = opened.cleanup;
    await migrate(opened.store, { retentionDays: 0 });
    await insertFixture(opened.store, spans, t0);
    setStore(opened.store);
  });
  afterAll(async () => {
    setStore(undefined);
    await cleanup?.();
  });
}
