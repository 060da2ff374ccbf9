import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IngestPipeline, OverloadedError } from '../lib/ingest/pipeline';
import { decodeTraceRequestProtobuf, SPAN_COLUMNS } from '../lib/ingest/otlp';
import { openStore, StoreUnavailableError } from '../lib/store/store';
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

describe('shedding before decoding', () => {
  it('answers 429 + Retry-After to a request arriving while the queue is full, without reading it as OTLP', async () => {
    const { createServer } = await import('node:http');
    const { handleOtlpTraces } = await import('../lib/ingest/otlp-http');
    const decoded = decodeTraceRequestProtobuf(protobufRequest(await makeSpans(4)));
    // The store is down, so the first batch stays queued (spooled, waiting for its insert): the
    // queue, limited to that one batch, is full from then on. Its inserts fail at once: a retry
    // that went out over the network would take the batch out of the queue while the request
    // travels, and a request arriving meanwhile would be admitted (a race with the retry timer).
    const down = await openStore({ ...testConfig(tmp.dir), storeKind: 'clickhouse', clickhouseUrl: 'http://127.0.0.1:9' });
    const refusing = Object.create(down) as typeof down;
    refusing.insertRowBinaryFile = () => Promise.reject(new StoreUnavailableError('ClickHouse unavailable: connection refused'));
    const pipeline = pipelineFor(refusing, path.join(tmp.dir, 'spool-shed'), { maxQueueBytes: decoded.rows.length });
    await pipeline.start();
    const server = createServer((req, res) => void handleOtlpTraces(req, res, { pipeline, maxBodyBytes: 1 << 20 }));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/v1/traces`;
    const post = (body: Uint8Array) => fetch(url, { method: 'POST', body: Buffer.from(body), headers: { 'content-type': 'application/x-protobuf' } });
    try {
      const first = await post(protobufRequest(await makeSpans(4)));
      expect(first.status).toBe(200);
      // Garbage would be a 400 if it were decoded; refused first, it is a 429 the exporter retries.
      const garbage = await post(new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2, 3]));
      expect(garbage.status).toBe(429);
      expect(garbage.headers.get('retry-after')).toBe('1');
      const valid = await post(protobufRequest(await makeSpans(4)));
      expect(valid.status).toBe(429);
      expect(pipeline.stats().refusedOverloaded).toBe(2);
      expect(pipeline.stats().acceptedSpans).toBe(decoded.accepted);
    } finally {
      await new Promise((r) => server.close(r));
      await pipeline.close(200);
      await down.close();
    }
  });
});

describe('requests whose client gave up', () => {
  it('are left out of the insert, whether their batch was still gathering or already queued', async () => {
    const store = await openStore(testConfig(tmp.dir));
    await migrate(store, { retentionDays: 0 });
    const req = async (n: number) => decodeTraceRequestProtobuf(protobufRequest(await makeSpans(n)));
    const [a, b, c, d, big] = await Promise.all([req(3), req(4), req(5), req(6), req(400)]);
    const count = async () => Number((await store.query<{ n: string }>(sql`SELECT count() AS n FROM otel_traces`))[0].n);
    const before = await count();

    // Gathering: both wait in the current batch; one client leaves before it is sealed.
    const gathering = pipelineFor(store, path.join(tmp.dir, 'spool-abandon-1'), { batchMinBytes: 1 << 30, batchWaitMs: 300 });
    await gathering.start();
    let bGone = false;
    const pa = gathering.submit(a.rows, a.accepted, () => false);
    const pb = gathering.submit(b.rows, b.accepted, () => bGone);
    bGone = true;
    await Promise.all([pa, pb]);
    expect(await count()).toBe(before + a.accepted);
    expect(gathering.stats().abandonedSpans).toBe(b.accepted);
    await gathering.close();

    // Queued: each request is its own batch (tiny batchMaxBytes); c and d wait behind a large insert,
    // and d's client leaves while they wait, so its rows are cut out of its spool file.
    const queued = pipelineFor(store, path.join(tmp.dir, 'spool-abandon-2'), { batchMaxBytes: 1 });
    await queued.start();
    let dGone = false;
    const pBig = queued.submit(big.rows, big.accepted, () => false);
    const pc = queued.submit(c.rows, c.accepted, () => false);
    const pd = queued.submit(d.rows, d.accepted, () => dGone);
    dGone = true;
    await Promise.all([pBig, pc, pd]);
    expect(await count()).toBe(before + a.accepted + big.accepted + c.accepted);
    expect(queued.stats().abandonedSpans).toBe(d.accepted);
    expect(queued.stats().storedSpans).toBe(big.accepted + c.accepted);
    await queued.close();
    await store.close();
  });
});

describe('time-bounded queue', () => {
  it('refuses (429-style, Retry-After) once what waits would take longer than maxQueueWaitMs to store', async () => {
    const store = await openStore(testConfig(tmp.dir));
    await migrate(store, { retentionDays: 0 });
    const small = decodeTraceRequestProtobuf(protobufRequest(await makeSpans(3)));
    // Batches of 1 MiB and more tell the insert rate; smaller ones are mostly fixed cost.
    const big = decodeTraceRequestProtobuf(protobufRequest(await makeSpans(8000)));
    expect(big.rows.length).toBeGreaterThan(1 << 20);
    const pipeline = pipelineFor(store, path.join(tmp.dir, 'spool-wait'), { maxQueueWaitMs: 1 });
    await pipeline.start();
    // Before any large insert the rate is unknown: no refusal on time.
    await pipeline.submit(small.rows, small.accepted);
    expect(pipeline.stats().storeBytesPerSec).toBe(0);
    expect(pipeline.refusal(0)).toBeUndefined();
    await pipeline.submit(big.rows, big.accepted);
    await pipeline.flush();
    expect(pipeline.stats().storeBytesPerSec).toBeGreaterThan(0);
    // Nothing ahead: a request is never refused on time alone.
    expect(pipeline.refusal(big.rows.length)).toBeUndefined();
    // A 1 MiB batch being inserted takes well over 1 ms at that rate: the next request is refused.
    const inserting = pipeline.submit(big.rows, big.accepted);
    const refused = pipeline.refusal(0);
    expect(refused?.status).toBe(429);
    expect(refused?.message).toMatch(/would take .* s to store/);
    await inserting;
    await pipeline.flush();
    // Idle again: accepted.
    expect(pipeline.refusal(0)).toBeUndefined();
    await pipeline.close();
    await store.close();
  });
});
