import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClickHouseError, openStore, StoreUnavailableError, type Store } from './store';
import { sql } from './sql';
import { openTempStore, testConfig, tempDataDir } from '../../test/helpers/store';

let store: Store;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ store, cleanup } = await openTempStore()));
afterAll(async () => cleanup?.());

describe('store', () => {
  it('is the embedded engine by default, with the settings payscope relies on', async () => {
    expect(store.kind).toBe('embedded');
    const [row] = await store.query<{ big: unknown; s: string }>(sql`SELECT toUInt64(18446744073709551615) AS big, getSetting('async_insert') AS s`);
    // 64-bit integers arrive as exact strings, never rounded JS numbers.
    expect(row.big).toBe('18446744073709551615');
    expect(String(row.s)).toMatch(/^(0|false)$/);
  });

  it('surfaces engine errors as ClickHouseError with the ClickHouse code', async () => {
    const err = await store.query(sql`SELECT * FROM no_such_table`).catch((e) => e);
    expect(err).toBeInstanceOf(ClickHouseError);
    expect(err.code).toBe('60'); // UNKNOWN_TABLE
    const syntax = await store.query(sql`SELEC 1`).catch((e) => e);
    expect(syntax).toBeInstanceOf(ClickHouseError);
    expect(syntax.code).toBe('62'); // SYNTAX_ERROR
  });

  it('surfaces an unreachable server as StoreUnavailableError', async () => {
    const tmp = tempDataDir();
    const down = await openStore({ ...testConfig(tmp.dir), storeKind: 'clickhouse', clickhouseUrl: 'http://127.0.0.1:9' });
    await expect(down.query(sql`SELECT 1`)).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(await down.ping()).toBe(false);
    await down.close();
    tmp.cleanup();
  });
});
