import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { DecodePool } from '../lib/ingest/decode-pool';
import { decodeTraceRequestJson, decodeTraceRequestProtobuf, OtlpDecodeError } from '../lib/ingest/otlp';
import { OverloadedError } from '../lib/ingest/pipeline';
import { sql } from '../lib/store/sql';
import { startTestServer } from './helpers/server';
import { jsonRequest, makeSpans, protobufRequest } from './helpers/spans';

/**
 * Large OTLP bodies are decoded on worker threads: the same rows as the inline decoder, the same
 * errors, a bounded queue, and the event loop free for other requests meanwhile.
 */

let proto: Buffer;
let protoSpans: number;
let json: Buffer;
let jsonSpans: number;

/** `copies` requests' worth of spans in one: protobuf messages concatenated merge their repeated fields. */
const repeatProto = (one: Buffer, copies: number) => Buffer.concat(Array.from({ length: copies }, () => one));

beforeAll(async () => {
  const spans = await makeSpans(500);
  proto = repeatProto(protobufRequest(spans), 40);
  protoSpans = 500 * 40;
  const doc = JSON.parse(jsonRequest(spans).toString());
  // one span with a bad id: the partial-success message must come back from the worker as well
  doc.resourceSpans[0].scopeSpans[0].spans[1].spanId = 'abc';
  doc.resourceSpans = Array.from({ length: 20 }, () => doc.resourceSpans[0]);
  json = Buffer.from(JSON.stringify(doc));
  jsonSpans = 500 * 20;
});

describe('DecodePool', () => {
  const pool = new DecodePool({ workers: 2, inlineBelowBytes: 64 * 1024, maxQueued: 4 });
  afterAll(() => pool.close());

  it('gives the inline decoder\'s result, byte for byte, for protobuf and JSON decoded on a worker', async () => {
    for (const [encoding, body, decodeInline] of [['protobuf', proto, decodeTraceRequestProtobuf], ['json', json, decodeTraceRequestJson]] as const) {
      const inline = decodeInline(body);
      const before = pool.offloaded;
      const pooled = await pool.decode(encoding, Buffer.from(body));
      expect(pool.offloaded, encoding).toBe(before + 1);
      expect(pooled.accepted).toBe(inline.accepted);
      expect(pooled.rejected).toBe(inline.rejected);
      expect(pooled.errorMessage).toBe(inline.errorMessage);
      expect(pooled.rows.length).toBe(inline.rows.length);
      expect(Buffer.compare(pooled.rows, inline.rows), encoding).toBe(0);
    }
    expect(decodeTraceRequestJson(json).rejected).toBe(20);
    expect(decodeTraceRequestProtobuf(proto).accepted).toBe(protoSpans);
  });

  it('transfers a body to the worker instead of copying it, unless it is a view into a buffer it does not own', async () => {
    const own = Buffer.from(proto);
    const r1 = await pool.decode('protobuf', own);
    expect(own.buffer.byteLength).toBe(0); // moved to the worker, not copied
    // a view, like a chunk sliced from a socket's read buffer: copied, the buffer left alone
    const framed = Buffer.concat([Buffer.alloc(5), proto]);
    const r2 = await pool.decode('protobuf', framed.subarray(5));
    expect(framed.buffer.byteLength).toBe(proto.length + 5);
    // the same view handed over whole (as grpc-js's frame is): transferred with the buffer
    const r3 = await pool.decode('protobuf', framed.subarray(5), undefined, true);
    expect(framed.buffer.byteLength).toBe(0);
    for (const r of [r1, r2, r3]) expect(r.accepted).toBe(protoSpans);
    expect(Buffer.compare(r2.rows, r3.rows)).toBe(0);
  });

  it('decodes small bodies inline', async () => {
    const small = protobufRequest(await makeSpans(3));
    const before = pool.offloaded;
    expect((await pool.decode('protobuf', small)).accepted).toBe(3);
    expect(pool.offloaded).toBe(before);
  });

  it('passes the decoder\'s error back as OtlpDecodeError with its message', async () => {
    const bad = proto.subarray(0, proto.length - 3);
    let inlineError: unknown;
    try { decodeTraceRequestProtobuf(bad); } catch (err) { inlineError = err; }
    expect(inlineError).toBeInstanceOf(OtlpDecodeError);
    const pooled = await pool.decode('protobuf', Buffer.from(bad)).then(() => undefined, (err: unknown) => err);
    expect(pooled).toBeInstanceOf(OtlpDecodeError);
    expect((pooled as Error).message).toBe((inlineError as Error).message);
    // the worker is still there for the next body
    expect((await pool.decode('protobuf', Buffer.from(proto))).accepted).toBe(protoSpans);
  });

  it('refuses beyond its queue (OverloadedError), and decodes what it queued', async () => {
    const one = new DecodePool({ workers: 1, inlineBelowBytes: 0, maxQueued: 1 });
    try {
      const first = one.decode('protobuf', Buffer.from(proto));
      const second = one.decode('protobuf', Buffer.from(proto));
      const third = one.decode('protobuf', Buffer.from(proto)).then(() => undefined, (err: unknown) => err);
      expect(await third).toBeInstanceOf(OverloadedError);
      expect((await first).accepted).toBe(protoSpans);
      expect((await second).accepted).toBe(protoSpans);
    } finally {
      await one.close();
    }
  });

  it('leaves the event loop free while a worker decodes', async () => {
    const big = repeatProto(proto, 8);
    let bigDone = false;
    const pending = pool.decode('protobuf', big).then((r) => { bigDone = true; return r; });
    // Work queued behind the decode runs before it finishes; inline, the decode would have run
    // to its end before anything else.
    const small = protobufRequest(await makeSpans(2));
    const smallResult = await pool.decode('protobuf', small);
    expect(smallResult.accepted).toBe(2);
    expect(bigDone).toBe(false);
    expect((await pending).accepted).toBe(protoSpans * 8);
  });
});

describe('payscope decoding large requests on worker threads', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  beforeAll(async () => {
    server = await startTestServer({ decodeInlineBelowBytes: 64 * 1024 });
  });
  afterAll(async () => server?.stop());
  const count = async () => Number((await server.store.query<{ n: string }>(sql`SELECT count() AS n FROM otel_traces`))[0].n);

  it('stores a large OTLP/HTTP and a large OTLP/gRPC request decoded on a worker', async () => {
    const r = await fetch(`http://127.0.0.1:${server.ports.otlpHttp}/v1/traces`, {
      method: 'POST', body: new Uint8Array(proto), headers: { 'content-type': 'application/x-protobuf' },
    });
    expect(r.status).toBe(200);
    expect(server.decoder.offloaded).toBe(1);
    const client = new grpc.Client(`127.0.0.1:${server.ports.grpc}`, grpc.credentials.createInsecure());
    const code = await new Promise<number>((resolve) => client.makeUnaryRequest('/opentelemetry.proto.collector.trace.v1.TraceService/Export',
      (b: Buffer) => b, (b: Buffer) => b, proto, (err) => resolve(err ? err.code : 0)));
    client.close();
    expect(code).toBe(grpc.status.OK);
    expect(server.decoder.offloaded).toBe(2);
    expect(await count()).toBe(2 * protoSpans);
  });

  it('applies the span start-time window to a body decoded on a worker', async () => {
    const doc = JSON.parse(json.toString());
    doc.resourceSpans[3].scopeSpans[0].spans[7].startTimeUnixNano = String(Date.UTC(2000, 0, 1) * 1e6);
    const before = { offloaded: server.decoder.offloaded, count: await count() };
    const r = await fetch(`http://127.0.0.1:${server.ports.otlpHttp}/v1/traces`, {
      method: 'POST', body: JSON.stringify(doc), headers: { 'content-type': 'application/json' },
    });
    expect(r.status).toBe(200);
    expect(server.decoder.offloaded).toBe(before.offloaded + 1);
    // 20 spans with a bad id (see beforeAll), and the one that started in 2000
    const partial = (await r.json()).partialSuccess;
    expect(Number(partial.rejectedSpans)).toBe(20 + 1);
    expect(await count()).toBe(before.count + jsonSpans - 21);
  });

  it('answers another request while a large one is being decoded', async () => {
    const big = repeatProto(proto, 8);
    const before = await count();
    let bigAnswered = false;
    const bigRequest = fetch(`http://127.0.0.1:${server.ports.otlpHttp}/v1/traces`, {
      method: 'POST', body: new Uint8Array(big), headers: { 'content-type': 'application/x-protobuf' },
    }).then((r) => { bigAnswered = true; return r.status; });
    // In this process: if the decode ran on the event loop, this loop could not see it running.
    let seen = false;
    for (let i = 0; i < 2000 && !bigAnswered && !(seen = server.decoder.busy > 0); i++) await new Promise((r) => setTimeout(r, 5));
    expect(seen).toBe(true);
    const health = await fetch(`http://127.0.0.1:${server.ports.otlpHttp}/health`);
    expect(health.status).toBe(200);
    expect(bigAnswered).toBe(false);
    expect(await bigRequest).toBe(200);
    expect(await count()).toBe(before + 8 * protoSpans);
  });
});
