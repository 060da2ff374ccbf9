import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IngestPipeline, OverloadedError } from '../lib/ingest/pipeline';
import { decodeTraceRequestProtobuf, SPAN_COLUMNS } from '../lib/ingest/otlp';
import { openStore } from '../lib/store/store';
import { migrate } from '../clickhouse/migrate';
import { sql } from '../lib/store/sql';
import { tempDataDir, testConfig } from './helpers/store';
import { makeSpans, protobufRequest } from './helpers/spans';

/**
 * The delivery contract when the store is down: accepted spans go to the spool and are acknowledged;
 * a later start replays them into the store; a batch replayed after it was already stored is not
 * stored twice. The "down" store is a real ClickHouse client pointed at a closed port.
 */

const tmp = tempDataDir();
afterAll(() => tmp.cleanup());

function pipelineFor(store: Awaited<ReturnType<typeof openStore>>, spoolDir: string, overrides = {}) {
  return new IngestPipeline(store, {
    table: 'otel_traces', columns: SPAN_COLUMNS, spoolDir, batchMaxBytes: 1 << 20, maxQueueBytes: 64 << 20,
    maxSpoolBytes: 64 << 20, fsync: true, insertConcurrency: 1, batchMinBytes: 0, batchWaitMs: 0, log: () => {}, ...overrides,
  });
}

describe('ingest spool', () => {
  const spoolDir = path.join(tmp.dir, 'spool');
  let rows: Buffer;
  let spans: number;

  it('acknowledges into the spool while the store is unreachable', async () => {
    const decoded = decodeTraceRequestProtobuf(protobufRequest(await makeSpans(6)));
    rows = decoded.rows;
    spans = decoded.accepted;
    const down = await openStore({ ...testConfig(tmp.dir), storeKind: 'clickhouse', clickhouseUrl: 'http://127.0.0.1:9' });
    const pipeline = pipelineFor(down, spoolDir);
    await pipeline.start();
    // Each submit resolves (= the exporter gets 200) although nothing could be inserted.
    for (let i = 0; i < 3; i++) await pipeline.submit(rows, spans);
    expect(pipeline.stats().storeUp).toBe(false);
    const files = fs.readdirSync(spoolDir).filter((f) => f.endsWith('.rowbinary'));
    expect(files.length).toBeGreaterThanOrEqual(1);
    const spooled = files.reduce((n, f) => n + fs.statSync(path.join(spoolDir, f)).size, 0);
    expect(spooled).toBe(rows.length * 3);
    await pipeline.close(500);
    await down.close();
  });

  it('refuses with 503-style OverloadedError once the spool is full', async () => {
    const down = await openStore({ ...testConfig(tmp.dir), storeKind: 'clickhouse', clickhouseUrl: 'http://127.0.0.1:9' });
    const other = path.join(tmp.dir, 'spool-small');
    const pipeline = pipelineFor(down, other, { maxSpoolBytes: rows.length * 2 });
    await pipeline.start();
    await pipeline.submit(rows, spans);
    await pipeline.submit(rows, spans);
    await expect(pipeline.submit(rows, spans)).rejects.toBeInstanceOf(OverloadedError);
    await pipeline.close(200);
    await down.close();
  });

  it('replays the spool into the store at the next start, and a replay of a stored batch is not stored twice', async () => {
    const store = await openStore(testConfig(tmp.dir));
    await migrate(store, { retentionDays: 0 });
    const files = fs.readdirSync(spoolDir).filter((f) => f.endsWith('.rowbinary'));
    const first = path.join(spoolDir, files[0]);
    const copy = Buffer.from(fs.readFileSync(first));
    const pipeline = pipelineFor(store, spoolDir);
    await pipeline.start();
    await pipeline.flush();
    const count = async () => Number((await store.query<{ n: string }>(sql`SELECT count() AS n FROM otel_traces`))[0].n);
    expect(await count()).toBe(spans * 3);
    expect(fs.readdirSync(spoolDir).filter((f) => f.endsWith('.rowbinary'))).toEqual([]);

    // A crash between insert and unlink leaves a stored batch in the spool: its replay is deduplicated.
    fs.writeFileSync(first, copy);
    const again = pipelineFor(store, spoolDir);
    await again.start();
    await again.flush();
    expect(fs.readdirSync(spoolDir).filter((f) => f.endsWith('.rowbinary'))).toEqual([]);
    expect(await count()).toBe(spans * 3);
    await again.close();
    await pipeline.close();
    await store.close();
  });
});
