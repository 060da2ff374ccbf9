import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { sql } from '../lib/store/sql';
import { startTestServer } from './helpers/server';
import { makeSpans, protobufRequest } from './helpers/spans';

/** With PAYSCOPE_INGEST_TOKEN set, OTLP over HTTP and gRPC stores only what presents the token. */

const TOKEN = 'ingest-t0ken';
let server: Awaited<ReturnType<typeof startTestServer>>;
let body: Buffer;
beforeAll(async () => {
  server = await startTestServer({ ingestToken: TOKEN });
  body = protobufRequest(await makeSpans(4));
});
afterAll(async () => server?.stop());

const count = async () => Number((await server.store.query<{ n: string }>(sql`SELECT count() AS n FROM otel_traces`))[0].n);

function post(headers: Record<string, string>) {
  return fetch(`http://127.0.0.1:${server.ports.otlpHttp}/v1/traces`, {
    method: 'POST', body: new Uint8Array(body), headers: { 'content-type': 'application/x-protobuf', ...headers },
  });
}

function grpcExport(metadata?: Record<string, string>) {
  const client = new grpc.Client(`127.0.0.1:${server.ports.grpc}`, grpc.credentials.createInsecure());
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(metadata ?? {})) md.set(k, v);
  return new Promise<number>((resolve) => {
    client.makeUnaryRequest('/opentelemetry.proto.collector.trace.v1.TraceService/Export', (b: Buffer) => b, (b: Buffer) => b, body, md,
      (err) => { client.close(); resolve(err ? err.code : 0); });
  });
}

describe('ingest token', () => {
  it('refuses OTLP/HTTP without the token (401) and stores nothing', async () => {
    const none = await post({});
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect((await post({ authorization: 'Bearer wrong' })).status).toBe(401);
    expect(await count()).toBe(0);
  });

  it('accepts OTLP/HTTP with the token', async () => {
    expect((await post({ authorization: `Bearer ${TOKEN}` })).status).toBe(200);
    expect(await count()).toBe(4);
  });

  it('applies to OTLP/gRPC: UNAUTHENTICATED without, OK with', async () => {
    expect(await grpcExport()).toBe(grpc.status.UNAUTHENTICATED);
    expect(await grpcExport({ authorization: 'Bearer nope' })).toBe(grpc.status.UNAUTHENTICATED);
    expect(await count()).toBe(4);
    expect(await grpcExport({ authorization: `Bearer ${TOKEN}` })).toBe(grpc.status.OK);
    expect(await count()).toBe(8);
  });
});
