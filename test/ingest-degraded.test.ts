import fs from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { SpanKind } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyInsertError, IngestPipeline, runningPipeline, SpansRejectedError } from '../lib/ingest/pipeline';
import { decodeTraceRequestProtobuf, SPAN_COLUMNS } from '../lib/ingest/otlp';
import { ClickHouseError, openStore, setStore, StoreUnavailableError, type Store } from '../lib/store/store';
import { migrate } from '../clickhouse/migrate';
import { sql } from '../lib/store/sql';
import { tempDataDir, testConfig } from './helpers/store';
import { makeSpans, protobufRequest } from './helpers/spans';

/**
 * The ingest path never jams and says when it is degraded: a batch the store rejects for its content
 * is split into its requests and what still fails is refused (client waiting) or dead-lettered
 * (already acknowledged), so the batches behind it are stored; health tells whenever acknowledged
 * spans are not reaching the store. Real embedded ClickHouse throughout; the "down" store is a real
 * client pointed at a closed port, or (where the store must come back) the real store refusing
 * inserts while `down` is set.
 */

const DAY_MS = 86_400_000;
const tmp = tempDataDir();
let store: Store;

beforeAll(async () => {
  store = await openStore(testConfig(tmp.dir));
  await migrate(store, { retentionDays: 0 });
});
afterAll(async () => {
  await store?.close();
  tmp.cleanup();
});

function pipelineFor(s: Store, spoolDir: string, overrides = {}) {
  return new IngestPipeline(s, {
    table: 'otel_traces', columns: SPAN_COLUMNS, spoolDir, batchMaxBytes: 1 << 20, maxQueueBytes: 64 << 20,
    maxSpoolBytes: 64 << 20, fsync: false, insertConcurrency: 1, batchMinBytes: 0, batchWaitMs: 0, log: () => {}, ...overrides,
  });
}

/** `days` real SDK spans of one service, span i starting i days before now (a client with a wrong clock). */
async function spansOnDays(days: number, service: string): Promise<ReadableSpan[]> {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': service }), spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracer = provider.getTracer('payscope-test');
  const now = Date.now();
  for (let i = 0; i < days; i++) {
    const start = new Date(now - i * DAY_MS);
    tracer.startSpan(`day ${i}`, { kind: SpanKind.CLIENT, startTime: start }).end(new Date(start.getTime() + 5));
  }
  await provider.forceFlush();
  const spans = exporter.getFinishedSpans();
  await provider.shutdown();
  return spans;
}

async function countService(service: string): Promise<number> {
  return Number((await store.query<{ n: string }>(sql`SELECT count() AS n FROM otel_traces WHERE ServiceName = ${service}`))[0].n);
}

const rowbinaryFiles = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.rowbinary')) : []);

/** A store that refuses inserts as unreachable while `down` is set, then is the real store again. */
function flakyStore(real: Store): Store & { down: boolean } {
  const s = Object.create(real) as Store & { down: boolean };
  s.down = true;
  s.insertRowBinaryFile = (...args) => (s.down ? Promise.reject(new StoreUnavailableError('ClickHouse unavailable: connection refused')) : real.insertRowBinaryFile(...args));
  return s;
}

describe('spans spread over many days', () => {
  it('a request whose 101 spans fall on 101 days is stored, and so are the requests after it', async () => {
    const spread = decodeTraceRequestProtobuf(protobufRequest(await spansOnDays(101, 'days-spread')));
    expect(spread.accepted).toBe(101);
    const later = decodeTraceRequestProtobuf(protobufRequest(await makeSpans(5, 'days-later')));
    const pipeline = pipelineFor(store, path.join(tmp.dir, 'spool-days'));
    await pipeline.start();
    await pipeline.submit(spread.rows, spread.accepted);
    await pipeline.submit(later.rows, later.accepted);
    await pipeline.submit(later.rows, later.accepted);
    await pipeline.flush();
    expect(await countService('days-spread')).toBe(101);
    expect(await countService('days-later')).toBe(10);
    expect(pipeline.stats().storeUp).toBe(true);
    expect(pipeline.stats().spoolFiles).toBe(0);
    expect(pipeline.health()).toEqual({ status: 'ok', reasons: [] });
    await pipeline.close();
  });

  it('"too many partitions for a single INSERT block" from the engine is a content error, not a reason to retry', async () => {
    // The engine's own error, with its default limit of 100 partitions per insert block.
    const err = await store
      .command(sql`INSERT INTO otel_traces (Timestamp, TraceId, SpanId, ServiceName) SETTINGS max_partitions_per_insert_block = 100
        SELECT now64(9) - toIntervalDay(number), '0af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203331', 'partitions-probe' FROM numbers(101)`)
      .then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(ClickHouseError);
    expect((err as ClickHouseError).code).toBe('252');
    expect(classifyInsertError(err)).toBe('content');
    // The same code for a store behind on merges: the store is unwell, retry.
    expect(classifyInsertError(new ClickHouseError({ message: 'Too many parts (3001 with average size of 1.00 KiB) in table. Merges are processing significantly slower than inserts', code: '252', type: 'TOO_MANY_PARTS' }))).toBe('store');
    expect(classifyInsertError(new StoreUnavailableError('ClickHouse unavailable: ECONNREFUSED'))).toBe('store');
    expect(classifyInsertError(new ClickHouseError({ message: 'Memory limit exceeded', code: '241', type: 'MEMORY_LIMIT_EXCEEDED' }))).toBe('suspect');
  });
});

describe('a batch the store rejects for its content', () => {
  it('is split: the bad request is refused, the requests beside and behind it are stored', async () => {
    const good = decodeTraceRequestProtobuf(protobufRequest(await makeSpans(4, 'split-good')));
    const next = decodeTraceRequestProtobuf(protobufRequest(await makeSpans(3, 'split-next')));
    // Rows cut short: the engine cannot read them (as with a corrupted spool file).
    const bad = good.rows.subarray(0, good.rows.length - 7);
    const pipeline = pipelineFor(store, path.join(tmp.dir, 'spool-split'), { batchMinBytes: 1 << 30, batchWaitMs: 60_000 });
    await pipeline.start();
    const a = pipeline.submit(good.rows, good.accepted);
    const b = pipeline.submit(bad, good.accepted);
    const c = pipeline.submit(good.rows, good.accepted);
    const flushed = pipeline.flush(); // seals the three as one batch
    await expect(a).resolves.toBeUndefined();
    await expect(b).rejects.toBeInstanceOf(SpansRejectedError);
    await expect(c).resolves.toBeUndefined();
    await flushed;
    const d = pipeline.submit(next.rows, next.accepted);
    await pipeline.flush();
    await d;
    expect(await countService('split-good')).toBe(8);
    expect(await countService('split-next')).toBe(3);
    const stats = pipeline.stats();
    expect(stats.splitBatches).toBe(1);
    expect(stats.rejectedSpans).toBe(good.accepted);
    expect(stats.storedSpans).toBe(2 * good.accepted + next.accepted);
    // The client was told; nothing acknowledged was lost, so nothing to report.
    expect(stats.deadLetterBatches).toBe(0);
    expect(pipeline.health().status).toBe('ok');
    expect(rowbinaryFiles(path.join(tmp.dir, 'spool-split'))).toEqual([]);
    await pipeline.close();
  });

  it('already acknowledged (spooled while the store was down): the bad request goes to the dead-letter folder, the rest is stored, a restart does not replay it', async () => {
    const good = decodeTraceRequestProtobuf(protobufRequest(await makeSpans(4, 'acked-good')));
    const after = decodeTraceRequestProtobuf(protobufRequest(await makeSpans(2, 'acked-after')));
    const bad = good.rows.subarray(0, good.rows.length - 7);
    const spoolDir = path.join(tmp.dir, 'spool-acked');
    const flaky = flakyStore(store);
    const pipeline = pipelineFor(flaky, spoolDir, { batchMinBytes: 1 << 30, batchWaitMs: 60_000 });
    await pipeline.start();
    // One batch of three requests; its insert finds the store down, so all three are acknowledged
    // once spooled.
    const three = Promise.all([pipeline.submit(good.rows, good.accepted), pipeline.submit(bad, good.accepted), pipeline.submit(good.rows, good.accepted)]);
    await pipeline.flush();
    await three;
    expect(pipeline.stats().storeUp).toBe(false);
    expect(rowbinaryFiles(spoolDir)).toHaveLength(1);
    const health = pipeline.health();
    expect(health.status).toBe('degraded');
    expect(health.reasons.join('\n')).toMatch(/store not taking inserts .*connection refused/);

    flaky.down = false;
    // The next retry (after its backoff) finds the store back and drains the spool.
    while (!pipeline.stats().storeUp || pipeline.stats().spoolFiles > 0) await new Promise((r) => setTimeout(r, 20));
    await pipeline.flush();
    expect(pipeline.stats().splitBatches).toBe(1);
    expect(await countService('acked-good')).toBe(8);
    const later = pipeline.submit(after.rows, after.accepted);
    await pipeline.flush();
    await later;
    expect(await countService('acked-after')).toBe(2);
    const deadDir = path.join(spoolDir, 'dead-letter');
    expect(rowbinaryFiles(deadDir)).toHaveLength(1);
    expect(fs.statSync(path.join(deadDir, rowbinaryFiles(deadDir)[0])).size).toBe(bad.length);
    expect(rowbinaryFiles(spoolDir)).toEqual([]);
    expect(pipeline.stats().deadLetterBatches).toBe(1);
    const degraded = pipeline.health();
    expect(degraded.status).toBe('degraded');
    expect(degraded.reasons).toHaveLength(1);
    expect(degraded.reasons[0]).toMatch(/^1 acknowledged batch\(es\) the store rejected are in the spool's dead-letter folder/);
    expect(degraded.reasons[0]).not.toContain(spoolDir);
    await pipeline.close();

    // Restart: nothing replayed, the dead letter still reported.
    const again = pipelineFor(store, spoolDir);
    await again.start();
    await again.flush();
    expect(again.stats().replayedBatches).toBe(0);
    expect(again.stats().deadLetterBatches).toBe(1);
    expect(again.health().status).toBe('degraded');
    expect(await countService('acked-good')).toBe(8);
    await again.close();
  });

  it('replayed after a restart (request boundaries unknown): dead-lettered whole, and the batches spooled after it are stored', async () => {
    const first = decodeTraceRequestProtobuf(protobufRequest(await makeSpans(3, 'replay-first')));
    const last = decodeTraceRequestProtobuf(protobufRequest(await makeSpans(5, 'replay-last')));
    const spoolDir = path.join(tmp.dir, 'spool-replay');
    // What a previous run left: a corrupted batch, oldest first, and a good one.
    fs.mkdirSync(spoolDir, { recursive: true });
    fs.writeFileSync(path.join(spoolDir, '1000-a-1.rowbinary'), first.rows.subarray(0, first.rows.length - 3));
    fs.writeFileSync(path.join(spoolDir, '1000-a-2.rowbinary'), last.rows);
    const pipeline = pipelineFor(store, spoolDir);
    await pipeline.start();
    await pipeline.flush();
    expect(await countService('replay-last')).toBe(5);
    expect(await countService('replay-first')).toBe(0);
    expect(rowbinaryFiles(spoolDir)).toEqual([]);
    expect(rowbinaryFiles(path.join(spoolDir, 'dead-letter'))).toEqual(['1000-a-1.rowbinary']);
    expect(pipeline.health().status).toBe('degraded');
    await pipeline.close();
  });

  it('an error that may be the batch\'s size (memory limit) is retried a few times, then handled as content instead of forever', async () => {
    const req = decodeTraceRequestProtobuf(protobufRequest(await makeSpans(3, 'memory-probe')));
    const spoolDir = path.join(tmp.dir, 'spool-memory');
    const real = store;
    let attempts = 0;
    // The engine's own MEMORY_LIMIT_EXCEEDED for this batch, every time it is inserted.
    const tight = Object.create(real) as Store;
    tight.insertRowBinaryFile = async () => {
      attempts++;
      // command(): the raw engine error (query() turns an overrun of its own budget into QueryBudgetError)
      await real.command(sql`SELECT groupArray(number) FROM numbers(1000000) SETTINGS max_memory_usage = 1000000`);
    };
    const pipeline = pipelineFor(tight, spoolDir);
    await pipeline.start();
    const p = pipeline.submit(req.rows, req.accepted);
    await expect(p).resolves.toBeUndefined(); // acknowledged once the store looked down
    while (pipeline.stats().deadLetterBatches === 0) await new Promise((r) => setTimeout(r, 50));
    expect(attempts).toBe(5);
    expect(pipeline.stats().deadLetterBatches).toBe(1);
    expect(rowbinaryFiles(spoolDir)).toEqual([]);
    await pipeline.close();
  }, 60_000);
});

describe('a spool file that vanished', () => {
  it('is given up, and the batches behind it are stored', async () => {
    const lost = decodeTraceRequestProtobuf(protobufRequest(await makeSpans(3, 'vanished-lost')));
    const kept = decodeTraceRequestProtobuf(protobufRequest(await makeSpans(2, 'vanished-kept')));
    const spoolDir = path.join(tmp.dir, 'spool-vanished');
    const flaky = flakyStore(store);
    const logs: string[] = [];
    const pipeline = pipelineFor(flaky, spoolDir, { log: (l: string) => logs.push(l) });
    await pipeline.start();
    await pipeline.submit(lost.rows, lost.accepted); // acknowledged into the spool: the store is down
    const [file] = rowbinaryFiles(spoolDir);
    fs.rmSync(path.join(spoolDir, file));
    await pipeline.submit(kept.rows, kept.accepted);
    flaky.down = false;
    while (!pipeline.stats().storeUp || pipeline.stats().spoolFiles > 0) await new Promise((r) => setTimeout(r, 20));
    await pipeline.flush();
    expect(await countService('vanished-kept')).toBe(2);
    expect(await countService('vanished-lost')).toBe(0);
    expect(pipeline.stats().spoolBytes).toBe(0);
    expect(logs.join('\n')).toMatch(/could not be set aside/);
    await pipeline.close();
  });
});

describe('health', () => {
  it('/api/health answers ok, in its usual shape, while the ingest is well', async () => {
    const { GET } = await import('../app/api/health/route');
    const pipeline = pipelineFor(store, path.join(tmp.dir, 'spool-well'));
    await pipeline.start();
    setStore(store);
    try {
      const res = await GET();
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'ok', store: 'embedded' });
    } finally {
      setStore(undefined);
      await pipeline.close();
    }
  });

  it('is degraded, with the reason, while the store is unreachable; /api/health says so', async () => {
    const rows = decodeTraceRequestProtobuf(protobufRequest(await makeSpans(3)));
    const down = await openStore({ ...testConfig(tmp.dir), storeKind: 'clickhouse', clickhouseUrl: 'http://127.0.0.1:9' });
    const pipeline = pipelineFor(down, path.join(tmp.dir, 'spool-down'));
    await pipeline.start();
    expect(pipeline.health()).toEqual({ status: 'ok', reasons: [] });
    await pipeline.submit(rows.rows, rows.accepted);
    const health = pipeline.health();
    expect(health.status).toBe('degraded');
    expect(health.reasons).toHaveLength(1);
    expect(health.reasons[0]).toMatch(/^store not taking inserts since .*; 1 batch\(es\), \d+ bytes wait in the spool$/);

    expect(runningPipeline()).toBe(pipeline);
    const { GET } = await import('../app/api/health/route');
    setStore(store); // the dashboard's store answers; the ingest's inserts do not
    try {
      const res = await GET();
      expect(res.status).toBe(200);
      const body = await res.json();
      expect(body.status).toBe('degraded');
      expect(body.reasons).toEqual(health.reasons);
    } finally {
      setStore(undefined);
      await pipeline.close(200);
      await down.close();
    }
    expect(runningPipeline()).toBeUndefined();
  });
});

describe('spool files', () => {
  it('are readable by payscope only: directories 0700, files 0600', async () => {
    const rows = decodeTraceRequestProtobuf(protobufRequest(await makeSpans(3)));
    const spoolDir = path.join(tmp.dir, 'spool-modes');
    // A spool directory left world-readable by an older version is tightened at start.
    fs.mkdirSync(spoolDir, { mode: 0o755 });
    fs.chmodSync(spoolDir, 0o755);
    const down = await openStore({ ...testConfig(tmp.dir), storeKind: 'clickhouse', clickhouseUrl: 'http://127.0.0.1:9' });
    const pipeline = pipelineFor(down, spoolDir);
    await pipeline.start();
    await pipeline.submit(rows.rows, rows.accepted);
    const mode = (p: string) => fs.statSync(p).mode & 0o777;
    expect(mode(spoolDir)).toBe(0o700);
    expect(mode(path.join(spoolDir, 'dead-letter'))).toBe(0o700);
    const files = rowbinaryFiles(spoolDir);
    expect(files).toHaveLength(1);
    expect(mode(path.join(spoolDir, files[0]))).toBe(0o600);
    await pipeline.close(200);
    await down.close();
  });
});

describe('hostile bodies', () => {
  it('a 31 KB gzip body of 32 MiB nested JSON arrays is answered 400 naming the depth, and nothing is queued', async () => {
    const { handleOtlpTraces } = await import('../lib/ingest/otlp-http');
    const pipeline = pipelineFor(store, path.join(tmp.dir, 'spool-deep'));
    await pipeline.start();
    const server = createServer((req, res) => void handleOtlpTraces(req, res, { pipeline, maxBodyBytes: 32 << 20 }));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const body = gzipSync(Buffer.from('['.repeat(32 << 20)), { level: 9 });
      expect(body.length).toBeLessThan(33_000);
      const res = await fetch(`http://127.0.0.1:${(server.address() as { port: number }).port}/v1/traces`, {
        method: 'POST', body, headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      });
      expect(res.status).toBe(400);
      expect((await res.json()).message).toMatch(/nesting deeper than 256 levels/);
      expect(pipeline.stats().acceptedSpans).toBe(0);
    } finally {
      await new Promise((r) => server.close(r));
      await pipeline.close();
    }
  });
});
