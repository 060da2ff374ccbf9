import http from 'node:http';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../lib/store/sql';
import { startTestServer } from './helpers/server';
import { jsonRequest, makeSpans, protobufRequest } from './helpers/spans';

/**
 * Bad input gets the status the OTLP spec asks for and a message; the server keeps serving; nothing
 * of a rejected request is stored. Every case is followed by a count of the stored spans.
 */

const MAX_BODY = 256 * 1024;
let server: Awaited<ReturnType<typeof startTestServer>>;
let url: string;
let validProto: Buffer;
let validJson: Buffer;
let stored = 0;

beforeAll(async () => {
  server = await startTestServer({ maxBodyBytes: MAX_BODY });
  url = `http://127.0.0.1:${server.ports.otlpHttp}/v1/traces`;
  const spans = await makeSpans(5);
  validProto = protobufRequest(spans);
  validJson = jsonRequest(spans);
});
afterAll(async () => server?.stop());

async function post(body: Buffer | string, headers: Record<string, string>) {
  const res = await fetch(url, { method: 'POST', body: typeof body === 'string' ? body : new Uint8Array(body), headers });
  const buf = Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, text: buf.toString('utf8'), body: buf };
}

async function countSpans(): Promise<number> {
  const [r] = await server.store.query<{ n: string }>(sql`SELECT count() AS n FROM otel_traces`);
  return Number(r.n);
}

/** The server still answers a valid request with 200 and stores it. */
async function stillServes() {
  const r = await post(validProto, { 'content-type': 'application/x-protobuf' });
  expect(r.status).toBe(200);
  stored += 5;
  expect(await countSpans()).toBe(stored);
}

const PROTO = { 'content-type': 'application/x-protobuf' };
const JSON_CT = { 'content-type': 'application/json' };

describe('OTLP/HTTP bad input', () => {
  it('accepts the valid request (baseline)', async () => {
    const r = await post(validJson, JSON_CT);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text)).toEqual({});
    stored += 5;
    expect(await countSpans()).toBe(stored);
  });

  it('truncated protobuf → 400 with a message, nothing stored', async () => {
    for (const cut of [1, 7, Math.floor(validProto.length / 2), validProto.length - 1]) {
      const r = await post(validProto.subarray(0, cut), PROTO);
      expect(r.status, `cut at ${cut}`).toBe(400);
      expect(r.text).toMatch(/truncated|length|exceeds|invalid|unexpected/i);
    }
    expect(await countSpans()).toBe(stored);
    await stillServes();
  });

  it('garbage JSON and JSON of the wrong shape → 400', async () => {
    for (const body of ['{"resourceSpans": [', 'not json at all', '{"resourceSpans": 5}', '[1,2,3]']) {
      const r = await post(body, JSON_CT);
      expect(r.status, body).toBe(400);
      expect(JSON.parse(r.text).message).toBeTruthy();
    }
    expect(await countSpans()).toBe(stored);
    await stillServes();
  });

  it('wrong ids: all spans invalid → 400; some invalid → 200 with partial success, the valid ones stored', async () => {
    const doc = JSON.parse(validJson.toString());
    const spans = doc.resourceSpans[0].scopeSpans[0].spans;
    const allBad = structuredClone(doc);
    for (const s of allBad.resourceSpans[0].scopeSpans[0].spans) s.traceId = 'zz-not-hex';
    const r1 = await post(JSON.stringify(allBad), JSON_CT);
    expect(r1.status).toBe(400);
    expect(JSON.parse(r1.text).message).toMatch(/trace.?id/i);
    expect(await countSpans()).toBe(stored);

    const oneBad = structuredClone(doc);
    oneBad.resourceSpans[0].scopeSpans[0].spans[0].spanId = 'abc';
    const r2 = await post(JSON.stringify(oneBad), JSON_CT);
    expect(r2.status).toBe(200);
    const partial = JSON.parse(r2.text).partialSuccess;
    expect(Number(partial.rejectedSpans)).toBe(1);
    expect(partial.errorMessage).toMatch(/span.?id/i);
    stored += spans.length - 1;
    expect(await countSpans()).toBe(stored);
    await stillServes();
  });

  it('a span starting outside the retention window → partial success naming it; all outside → 400', async () => {
    const doc = JSON.parse(validJson.toString());
    const old = structuredClone(doc);
    const first = old.resourceSpans[0].scopeSpans[0].spans[0];
    first.startTimeUnixNano = String(Date.UTC(2000, 0, 1) * 1e6);
    first.endTimeUnixNano = String(Date.UTC(2000, 0, 1) * 1e6 + 1e6);
    const r = await post(JSON.stringify(old), JSON_CT);
    expect(r.status).toBe(200);
    const partial = JSON.parse(r.text).partialSuccess;
    expect(Number(partial.rejectedSpans)).toBe(1);
    expect(partial.errorMessage).toMatch(/older than 30 days/);
    stored += 4;
    expect(await countSpans()).toBe(stored);
    for (const span of old.resourceSpans[0].scopeSpans[0].spans) span.startTimeUnixNano = first.startTimeUnixNano;
    expect((await post(JSON.stringify(old), JSON_CT)).status).toBe(400);
    expect(await countSpans()).toBe(stored);
  });

  it('unsupported content type or encoding → 415', async () => {
    expect((await post(validProto, { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await post(validProto, { 'content-type': 'application/x-protobuf', 'content-encoding': 'br' })).status).toBe(415);
    expect(await countSpans()).toBe(stored);
    await stillServes();
  });

  it('oversize body → 413', async () => {
    const big = Buffer.alloc(MAX_BODY + 1, 0x0a);
    const r = await post(big, PROTO);
    expect(r.status).toBe(413);
    expect(r.body.toString('latin1')).toMatch(/exceeds the limit/);
    expect(await countSpans()).toBe(stored);
    await stillServes();
  });

  it('a client still sending an oversize body, busy when the 413 comes, gets the 413 (not a reset)', async () => {
    // Found by fuzz/: the server closed the connection right after its 413, the client's remaining
    // bytes drew a reset, and a client that had not read the answer yet saw only EPIPE/ECONNRESET.
    const port = Number(new URL(url).port);
    const busyClient = (size: number, chunked: boolean) => new Promise<string>((resolve) => {
      const headers: Record<string, string | number> = { 'content-type': 'application/x-protobuf' };
      if (!chunked) headers['content-length'] = size;
      const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/v1/traces', headers, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(`${res.statusCode}`));
      });
      req.on('error', (e: NodeJS.ErrnoException) => resolve(`error ${e.code}`));
      void (async () => {
        const chunk = Buffer.alloc(64 * 1024, 0x0a);
        let busy = false;
        for (let o = 0; o < size && !req.destroyed; o += chunk.length) {
          req.write(chunk.subarray(0, Math.min(chunk.length, size - o)));
          if (!busy && o > MAX_BODY) {
            // past the limit: the server can answer now, and this client does not read for a while
            busy = true;
            const t = Date.now();
            while (Date.now() - t < 300);
          }
          await new Promise((r) => setImmediate(r));
        }
        req.end();
      })();
    });
    for (const chunked of [false, true]) {
      for (const size of [MAX_BODY + 100_000, 2 * MAX_BODY]) expect(await busyClient(size, chunked), `${size} bytes, ${chunked ? 'chunked' : 'with length'}`).toBe('413');
    }
    expect(await countSpans()).toBe(stored);
    await stillServes();
  });

  it('gzip bomb → 413 without inflating it; valid gzip → 200', async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(64 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(MAX_BODY);
    const r = await post(bomb, { ...PROTO, 'content-encoding': 'gzip' });
    expect(r.status).toBe(413);
    expect(r.body.toString('latin1')).toMatch(/decompressed/);
    const bad = await post(Buffer.from('not gzip'), { ...PROTO, 'content-encoding': 'gzip' });
    expect(bad.status).toBe(400);
    expect(await countSpans()).toBe(stored);
    const ok = await post(zlib.gzipSync(validProto), { ...PROTO, 'content-encoding': 'gzip' });
    expect(ok.status).toBe(200);
    stored += 5;
    expect(await countSpans()).toBe(stored);
  });

  it('random bytes never crash the server', async () => {
    let seed = 42;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    for (let i = 0; i < 200; i++) {
      const len = Math.floor(rnd() * 400);
      const buf = Buffer.alloc(len);
      for (let j = 0; j < len; j++) buf[j] = Math.floor(rnd() * 256);
      const r = await post(buf, i % 2 ? PROTO : JSON_CT);
      expect([200, 400]).toContain(r.status);
    }
    await stillServes();
  });
});

describe('OTLP/gRPC bad input', () => {
  it('answers INVALID_ARGUMENT for a truncated request, OK for a valid one, and keeps serving', async () => {
    const grpc = await import('@grpc/grpc-js');
    const client = new grpc.Client(`127.0.0.1:${server.ports.grpc}`, grpc.credentials.createInsecure());
    const call = (body: Buffer) => new Promise<{ code: number; details?: string }>((resolve) => {
      client.makeUnaryRequest('/opentelemetry.proto.collector.trace.v1.TraceService/Export', (b: Buffer) => b, (b: Buffer) => b, body,
        (err) => resolve(err ? { code: err.code, details: err.details } : { code: 0 }));
    });
    const bad = await call(validProto.subarray(0, validProto.length - 3));
    expect(bad.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(bad.details).toMatch(/truncated|length|exceeds|invalid/i);
    expect(await countSpans()).toBe(stored);
    expect((await call(validProto)).code).toBe(grpc.status.OK);
    stored += 5;
    expect(await countSpans()).toBe(stored);
    client.close();
  });
});
