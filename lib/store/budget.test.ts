/**
 * Query budgets and the insert path on a real embedded store: a dashboard query is stopped by its
 * time or memory budget with a QueryBudgetError, commands are not held to the budget, and an insert
 * completes while a dashboard query is still running (the engine runs one statement at a time per
 * connection: inserts have their own).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorResponse } from '../api/handler';
import { tempDataDir, testConfig } from '../../test/helpers/store';
import { sql } from './sql';
import { openStore, QueryBudgetError, type Store } from './store';

const TIMEOUT_SEC = 20;
const tmp = tempDataDir();
let store: Store;
beforeAll(async () => {
  store = await openStore(testConfig(tmp.dir, { queryTimeoutSec: TIMEOUT_SEC, queryMaxMemoryBytes: 50 * 1024 * 1024, queryMaxThreads: 1 }));
});
afterAll(async () => {
  await store?.close();
  tmp.cleanup();
});

describe('query budgets', () => {
  it('a query over its memory budget fails with QueryBudgetError, and the API answers 503 naming the budget', async () => {
    // 20 million UInt64 in one array: 160 MB, over the 50 MB budget.
    const err = await store.query(sql`SELECT length(groupArray(number)) AS n FROM numbers(${20_000_000})`).catch((e) => e);
    expect(err).toBeInstanceOf(QueryBudgetError);
    expect(err.budget).toBe('memory');
    const res = errorResponse(err);
    expect(res.status).toBe(503);
    expect((await res.json()).error).toMatch(/memory budget of 52428800 bytes \(PAYSCOPE_QUERY_MAX_MEMORY_BYTES\)/);
  });

  it('commands after a query are not held to its budget (the embedded engine keeps SET settings)', async () => {
    await store.query(sql`SELECT 1`);
    await store.command(sql`CREATE TABLE big ENGINE = Memory AS SELECT groupArray(number) AS a FROM numbers(${20_000_000})`);
    const [row] = await store.query<{ n: string }>(sql`SELECT length(a) AS n FROM big`);
    expect(Number(row.n)).toBe(20_000_000);
    await store.command(sql`DROP TABLE big`);
  });

  it('an insert completes while a dashboard query runs; the query then stops at its time budget (504)', async () => {
    await store.command(sql`CREATE TABLE ins (x UInt64) ENGINE = MergeTree ORDER BY x`);
    const file = path.join(tmp.dir, 'batch.rowbinary');
    const rows = 1000;
    const buf = Buffer.alloc(8 * rows);
    for (let i = 0; i < rows; i++) buf.writeBigUInt64LE(BigInt(i), 8 * i);
    fs.writeFileSync(file, buf);

    // Sleeps 1 s per 10-row block over 100,000 rows: it only ends by its time budget.
    let queryDone = false;
    const slow = store.query(sql`SELECT sum(sleepEachRow(${0.1})) FROM numbers(${100_000}) SETTINGS max_block_size = 10`)
      .then(() => null, (e) => e)
      .finally(() => { queryDone = true; });
    // Let the query reach the engine before the insert is issued.
    await new Promise((r) => setTimeout(r, 500));
    await store.insertRowBinaryFile('ins', [{ name: 'x', type: 'UInt64' }], file, 'budget-test-1');
    expect(queryDone).toBe(false);
    const [row] = await store.query<{ n: string }>(sql`SELECT count() AS n FROM ins`);
    expect(Number(row.n)).toBe(rows);

    const err = await slow;
    expect(err).toBeInstanceOf(QueryBudgetError);
    expect(err.budget).toBe('time');
    const res = errorResponse(err);
    expect(res.status).toBe(504);
    expect((await res.json()).error).toMatch(/time budget of 20 s \(PAYSCOPE_QUERY_TIMEOUT_SEC\)/);
  }, (TIMEOUT_SEC + 60) * 1000);
});
