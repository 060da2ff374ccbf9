import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from './store';
import { sql } from './sql';
import { migrate } from '../../clickhouse/migrate';
import { decodeTraceRequestProtobuf, SPAN_COLUMNS } from '../ingest/otlp';
import { tempDataDir, testConfig } from '../../test/helpers/store';
import { makeSpans, protobufRequest } from '../../test/helpers/spans';

/**
 * The embedded store gives each insert that may run at once (PAYSCOPE_INSERT_CONCURRENCY) a
 * connection of its own, so a second insert does not queue behind the first. The first insert reads
 * a named pipe nobody writes to yet: it cannot finish, whatever the machine's speed, until the test
 * writes its rows — after the second insert is stored.
 */

const tmp = tempDataDir();
let store: Store | undefined;
afterAll(async () => {
  await store?.close();
  tmp.cleanup();
});

const count = async (s: Store) => Number((await s.query<{ n: string }>(sql`SELECT count() AS n FROM otel_traces`))[0].n);

describe('embedded store, two inserts at once', () => {
  it('stores a second insert while the first is still reading its file', async () => {
    store = await openStore(testConfig(path.join(tmp.dir, 'data'), { insertConcurrency: 2 }));
    await migrate(store, { retentionDays: 0, log: () => {} });
    const first = decodeTraceRequestProtobuf(protobufRequest(await makeSpans(3)));
    const second = decodeTraceRequestProtobuf(protobufRequest(await makeSpans(4)));
    const pipe = path.join(tmp.dir, 'first.rowbinary');
    execFileSync('mkfifo', [pipe]);
    const file = path.join(tmp.dir, 'second.rowbinary');
    fs.writeFileSync(file, second.rows);

    let firstStored = false;
    const inserting = store.insertRowBinaryFile('otel_traces', SPAN_COLUMNS, pipe, 'first').then(() => { firstStored = true; });
    // Until the first insert is running (it then waits on the pipe).
    while (Number((await store.query<{ n: string }>(sql`SELECT count() AS n FROM system.processes WHERE query LIKE '%first.rowbinary%' AND query NOT LIKE '%system.processes%'`))[0].n) === 0) {
      await new Promise((r) => setTimeout(r, 20));
    }
    await store.insertRowBinaryFile('otel_traces', SPAN_COLUMNS, file, 'second');
    expect(firstStored).toBe(false);
    expect(await count(store)).toBe(second.accepted);

    const w = fs.openSync(pipe, 'w');
    fs.writeSync(w, first.rows);
    fs.closeSync(w);
    await inserting;
    expect(await count(store)).toBe(first.accepted + second.accepted);
  });
});
