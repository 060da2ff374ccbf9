import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startService, type ServiceProcess } from './helpers/service-process.js';
import { startTraceBackend, type TraceBackend } from './helpers/trace-backend.js';

// startPayscope({ protocol, endpoint, headers }) into a payscope that requires an ingest token:
// the headers reach it over each protocol (over gRPC as call metadata). Its own file: one
// embedded store per process.
const realPayscope = process.env.PAYSCOPE_TEST_TRACE_BACKEND !== 'receiver';
const TOKEN = 'tok-s3cret';
let backend: TraceBackend;
const running: ServiceProcess[] = [];

beforeAll(async () => {
  if (realPayscope) backend = await startTraceBackend({ ingestToken: TOKEN });
});

afterEach(() => {
  for (const service of running.splice(0)) if (service.child.exitCode === null && service.child.signalCode === null) service.child.kill('SIGKILL');
});

afterAll(async () => {
  await backend?.close();
});

describe.skipIf(!realPayscope)('startPayscope({ protocol, headers }) into a payscope that requires a token', () => {
  it.each(['grpc', 'http/protobuf', 'http/json'])('%s carries the headers', async (protocol) => {
    const endpoint = protocol === 'grpc' ? backend.grpcEndpoint! : backend.endpoint;
    const service = `api-${protocol.replace('/', '-')}`;
    const run = async (token: string) => {
      const options = { serviceName: service, protocol, endpoint, headers: { authorization: `Bearer ${token}` }, handleShutdown: false };
      const app = await startService('api-start.mjs', { env: { FIXTURE_OPTIONS: JSON.stringify(options) }, preload: [], waitForPort: false });
      running.push(app);
      expect((await app.exited).code).toBe(0);
      return JSON.parse(app.stdout()) as { exportedSpans: number; droppedSpans: number };
    };
    // A wrong token is refused, so it is the header that lets the right one in.
    expect(await run('wrong')).toMatchObject({ exportedSpans: 0, droppedSpans: 1 });
    expect(await run(TOKEN)).toMatchObject({ exportedSpans: 1, droppedSpans: 0 });
    const spans = await backend.waitForSpans((all) => all.some((s) => s.service === service));
    expect(spans.filter((s) => s.service === service).map((s) => s.name)).toEqual(['api-start.work']);
  });
});
