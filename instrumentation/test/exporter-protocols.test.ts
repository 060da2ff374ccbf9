import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startService, type ServiceProcess } from './helpers/service-process.js';
import { refusedEndpoint, startTraceBackend, type StoredSpan, type TraceBackend } from './helpers/trace-backend.js';

// The standard exporter variables, each protocol into a real payscope (OTLP/HTTP and OTLP/gRPC
// receivers, embedded store). The fixture makes one traced request and exits with code 3.
let backend: TraceBackend;
let proxy: RecordingProxy;
const running: ServiceProcess[] = [];

/** A plain HTTP forwarder in front of payscope's OTLP/HTTP port that notes each body's content type. */
interface RecordingProxy {
  endpoint: string;
  contentTypes: string[];
  close(): Promise<void>;
}

async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const contentTypes: string[] = [];
  const server: Server = createServer((req, res) => {
    contentTypes.push(String(req.headers['content-type']));
    const upstream = request(new URL(req.url ?? '/', target), { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    contentTypes,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const realPayscope = process.env.PAYSCOPE_TEST_TRACE_BACKEND !== 'receiver';

beforeAll(async () => {
  if (!realPayscope) return;
  backend = await startTraceBackend();
  proxy = await startRecordingProxy(backend.endpoint);
});

afterEach(() => {
  for (const service of running.splice(0)) if (service.child.exitCode === null && service.child.signalCode === null) service.child.kill('SIGKILL');
});

afterAll(async () => {
  await proxy?.close();
  await backend?.close();
});

/** Runs the one-shot fixture as `service` and waits for its exit (code 3: the app's own). */
async function runOneShot(service: string, env: Record<string, string>): Promise<ServiceProcess> {
  const app = await startService('one-shot.mjs', { env: { OTEL_SERVICE_NAME: service, ...env }, waitForPort: false });
  running.push(app);
  expect((await app.exited).code).toBe(3);
  return app;
}

const serverAndClientOf = (service: string) => (all: StoredSpan[]) => {
  const mine = all.filter((s) => s.service === service);
  return mine.some((s) => s.kind === 'SERVER') && mine.some((s) => s.kind === 'CLIENT');
};

describe.skipIf(!realPayscope)('OTLP exporter variables, into a real payscope', () => {
  it('OTEL_EXPORTER_OTLP_PROTOCOL=grpc exports over OTLP/gRPC', async () => {
    await runOneShot('proto-grpc', { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_ENDPOINT: backend.grpcEndpoint! });
    const spans = await backend.waitForSpans(serverAndClientOf('proto-grpc'));
    expect(spans.find((s) => s.service === 'proto-grpc' && s.kind === 'SERVER')?.attributes['url.path']).toBe('/ping');
  });

  it.each([
    ['http/protobuf', 'application/x-protobuf'],
    ['http/json', 'application/json'],
  ])('OTEL_EXPORTER_OTLP_PROTOCOL=%s sends %s over OTLP/HTTP', async (protocol, contentType) => {
    const service = `proto-${protocol.replace('/', '-')}`;
    const before = proxy.contentTypes.length;
    await runOneShot(service, { OTEL_EXPORTER_OTLP_PROTOCOL: protocol, OTEL_EXPORTER_OTLP_ENDPOINT: proxy.endpoint });
    await backend.waitForSpans(serverAndClientOf(service));
    const sent = proxy.contentTypes.slice(before);
    expect(sent.length).toBeGreaterThan(0);
    expect(new Set(sent)).toEqual(new Set([contentType]));
  });

  it('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL wins over OTEL_EXPORTER_OTLP_PROTOCOL', async () => {
    await runOneShot('proto-traces-wins', {
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_ENDPOINT: backend.grpcEndpoint!,
    });
    await backend.waitForSpans(serverAndClientOf('proto-traces-wins'));
  });

  it.each([
    ['http/protobuf', () => `${backend.endpoint}/v1/traces`],
    ['grpc', () => backend.grpcEndpoint!],
  ])('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT wins over OTEL_EXPORTER_OTLP_ENDPOINT (%s)', async (protocol, endpoint) => {
    const service = `traces-endpoint-${protocol.replace('/', '-')}`;
    await runOneShot(service, {
      OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
      OTEL_EXPORTER_OTLP_ENDPOINT: await refusedEndpoint(),
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: endpoint(),
    });
    await backend.waitForSpans(serverAndClientOf(service));
  });

  it('OTEL_TRACES_EXPORTER=console,otlp prints the spans and exports them', async () => {
    const app = await runOneShot('exporter-console-otlp', { OTEL_TRACES_EXPORTER: 'console,otlp', OTEL_EXPORTER_OTLP_ENDPOINT: backend.endpoint });
    const stored = await backend.waitForSpans(serverAndClientOf('exporter-console-otlp'));
    for (const span of stored.filter((s) => s.service === 'exporter-console-otlp')) expect(app.stdout()).toContain(span.spanId);
  });

  it('OTEL_TRACES_EXPORTER=console prints the spans; an unknown name is named in a warning', async () => {
    const app = await runOneShot('exporter-console', { OTEL_TRACES_EXPORTER: 'console,zipkinx', OTEL_EXPORTER_OTLP_ENDPOINT: await refusedEndpoint() });
    expect(app.stdout()).toMatch(/kind: 1,[\s\S]*kind: 2,|kind: 2,[\s\S]*kind: 1,/);
    expect(app.stdout()).toContain("'url.path': '/ping'");
    expect(app.stderr()).toContain('unknown exporter "zipkinx"');
  });
});
