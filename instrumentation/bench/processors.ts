// CPU per span of each stage payscope adds to the OpenTelemetry pipeline, on the spans the
// overhead benchmark's payment endpoint makes (one server span, three client spans per request,
// inside a payment context), and of the OTLP/protobuf serialization every SDK pays, for scale.
//
//   node --expose-gc --import tsx instrumentation/bench/processors.ts
//
// Stages: PaymentContextSpanProcessor.onStart, GatewaySpanProcessor.onEnding, the bounded queue's
// onEnd, RedactingSpanExporter.export (redaction of the batch, resource included), the baggage
// propagator's inject on each client call, and withPayment once per request. Each is timed
// over a batch of real SDK spans made beforehand, in CPU time; the median of ROUNDS rounds counts.
// BUILD_DIR=<dir>[,<dir>…] measures other builds (copies of instrumentation/dist) instead of src,
// round by round in turn, so that a change in the machine's load hits them alike.
import { pathToFileURL } from 'node:url';
import { context, defaultTextMapSetter, ROOT_CONTEXT, SpanKind, trace, type Context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { ExportResultCode } from '@opentelemetry/core';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { TracerProvider, type ReadableSpan, type Span } from '@opentelemetry/sdk-trace';

type Build = {
  label: string;
  PaymentContextSpanProcessor: typeof import('../src/payment-context-span-processor.js').PaymentContextSpanProcessor;
  GatewaySpanProcessor: typeof import('../src/gateway-span-processor.js').GatewaySpanProcessor;
  GatewayHostTable: typeof import('../src/gateway-host-table.js').GatewayHostTable;
  BoundedBatchSpanProcessor: typeof import('../src/bounded-batch-span-processor.js').BoundedBatchSpanProcessor;
  RedactingSpanExporter: typeof import('../src/redaction.js').RedactingSpanExporter;
  SpanRedactor: typeof import('../src/redaction.js').SpanRedactor;
  setPaymentContext: typeof import('../src/payment-context.js').setPaymentContext;
  withPayment: typeof import('../src/payment-context.js').withPayment;
  GatewayAwareBaggagePropagator: typeof import('../src/gateway-baggage-propagator.js').GatewayAwareBaggagePropagator;
};
async function loadBuild(dir: string | undefined): Promise<Build> {
  const load = async (name: string): Promise<Record<string, unknown>> =>
    (await import(dir ? pathToFileURL(`${dir}/${name}.js`).href : `../src/${name}.js`)) as Record<string, unknown>;
  return {
    label: dir ?? 'src',
    ...(await load('payment-context-span-processor')),
    ...(await load('gateway-span-processor')),
    ...(await load('gateway-host-table')),
    ...(await load('bounded-batch-span-processor')),
    ...(await load('redaction')),
    ...(await load('payment-context')),
    ...(await load('gateway-baggage-propagator')),
  } as Build;
}
// withPayment runs in the active context, as in an app.
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
const builds = await Promise.all((process.env.BUILD_DIR?.split(',') ?? [undefined]).map(loadBuild));

const ROUNDS = Number(process.env.ROUNDS ?? 15);
const gc = (globalThis as { gc?: () => void }).gc;
const REQUESTS = Number(process.env.REQUESTS ?? 5000);

// The resource the payscope variant exports (env, host, os and process detectors).
const resource = resourceFromAttributes({
  'process.pid': 5443,
  'process.executable.name': 'node',
  'process.executable.path': '/usr/bin/node',
  'process.command_args': ['/usr/bin/node', '--import', '@payscope/instrumentation/register', '/srv/app/payment-app.mjs'],
  'process.runtime.version': '20.20.2',
  'process.runtime.name': 'nodejs',
  'process.runtime.description': 'Node.js',
  'process.command': '/srv/app/payment-app.mjs',
  'process.owner': 'app',
  'os.type': 'linux',
  'os.version': '6.18.44',
  'host.name': 'vm',
  'host.arch': 'amd64',
  'host.id': '3d1219c7c4c5404aaa1f6d2a48adfda4',
  'service.name': 'checkout',
  'telemetry.sdk.language': 'nodejs',
  'telemetry.sdk.name': 'opentelemetry',
  'telemetry.sdk.version': '2.12.0',
});
const tracer = new TracerProvider({ resource }).getTracer('@opentelemetry/instrumentation-http', '0.223.0');

interface Request {
  server: Span;
  clients: Span[];
  clientContext: Context;
}

// Spans as @opentelemetry/instrumentation-http makes them (stable semconv), not yet ended.
// Each build opens the payment context its own way (its own Baggage), as it would in the app.
function request(n: number, build: Build): Request {
  const orderId = `ord-${n}`;
  const server = tracer.startSpan('POST', {
    kind: SpanKind.SERVER,
    attributes: {
      'http.request.method': 'POST',
      'url.scheme': 'http',
      'server.address': '127.0.0.1',
      'network.peer.address': '127.0.0.1',
      'network.peer.port': 53226,
      'network.protocol.version': '1.1',
      'user_agent.original': 'node',
      'url.path': '/pay',
      'url.query': `order=${orderId}`,
      'client.address': '127.0.0.1',
      'server.port': 42009,
    },
  });
  server.setAttributes({ 'payment.order_id': orderId, 'payment.channel': 'alipay', 'payment.amount': '12.50', 'payment.currency': 'CNY' });
  const clientContext = build.setPaymentContext(trace.setSpan(ROOT_CONTEXT, server), { orderId, channel: 'alipay', amount: '12.50', currency: 'CNY' });
  const clients = ['/risk/check', '/gateway/charge', '/ledger/entries'].map((path) =>
    tracer.startSpan(
      'POST',
      {
        kind: SpanKind.CLIENT,
        attributes: { 'http.request.method': 'POST', 'server.address': '127.0.0.1', 'server.port': 33197, 'url.full': `http://127.0.0.1:33197${path}` },
      },
      clientContext,
    ),
  );
  // The SDK's tracer makes SDK spans (the processors' view of them); the API types them as API spans.
  return { server: server as Span, clients: clients as Span[], clientContext };
}

function finish(r: Request): void {
  for (const c of r.clients) {
    c.setAttributes({ 'http.response.status_code': 200, 'network.peer.address': '127.0.0.1', 'network.peer.port': 33197, 'network.protocol.version': '1.1' });
  }
  r.server.setAttribute('http.response.status_code', 200);
}

/**
 * Median CPU ns per span of `run(build)` over fresh data from `prepare`, for each build. CPU time,
 * not wall time: on a shared machine the wall clock counts other processes' turns too.
 */
function measure<T>(prepare: (build: Build) => T, run: (data: T, build: Stages) => number): number[] {
  const results = stages.map((): number[] => []);
  for (let round = 0; round < ROUNDS; round++) {
    stages.forEach((build, b) => {
      const data = prepare(build.build);
      gc?.(); // the garbage of `prepare` is not the stage's
      const start = process.cpuUsage();
      const spans = run(data, build);
      const used = process.cpuUsage(start);
      results[b].push(((used.user + used.system) * 1000) / spans);
    });
  }
  return results.map((r) => r.sort((a, b) => a - b)[Math.floor(r.length / 2)]);
}

const requests = (build: Build): Request[] => Array.from({ length: REQUESTS }, (_, i) => request(i, build));
const ended = (build: Build): ReadableSpan[] =>
  requests(build).flatMap((r) => {
    finish(r);
    for (const c of r.clients) c.end();
    r.server.end();
    return [r.server, ...r.clients] as unknown as ReadableSpan[];
  });

const noopExporter = { export: (_spans: ReadableSpan[], done: (r: { code: ExportResultCode }) => void) => done({ code: ExportResultCode.SUCCESS }), shutdown: () => Promise.resolve() };
interface Stages {
  build: Build;
  paymentContext: InstanceType<Build['PaymentContextSpanProcessor']>;
  gateway: InstanceType<Build['GatewaySpanProcessor']>;
  redacting: InstanceType<Build['RedactingSpanExporter']>;
  propagator: InstanceType<Build['GatewayAwareBaggagePropagator']>;
}
const stages: Stages[] = builds.map((build) => ({
  build,
  paymentContext: new build.PaymentContextSpanProcessor(),
  gateway: new build.GatewaySpanProcessor(new build.GatewayHostTable()),
  redacting: new build.RedactingSpanExporter(noopExporter, new build.SpanRedactor()),
  propagator: new build.GatewayAwareBaggagePropagator(new build.GatewayHostTable()),
}));
const serializer = ProtobufTraceSerializer;

const rows: Array<[string, number[]]> = [];
rows.push([
  'PaymentContextSpanProcessor.onStart',
  measure(requests, (rs, { paymentContext }) => {
    for (const r of rs) for (const c of r.clients) paymentContext.onStart(c, r.clientContext);
    for (const r of rs) paymentContext.onStart(r.server, ROOT_CONTEXT);
    return rs.length * 4;
  }),
]);
rows.push([
  'GatewaySpanProcessor.onEnding',
  measure(
    (build) => {
      const rs = requests(build);
      rs.forEach(finish);
      return rs;
    },
    (rs, { gateway }) => {
      for (const r of rs) {
        gateway.onEnding(r.server);
        for (const c of r.clients) gateway.onEnding(c);
      }
      return rs.length * 4;
    },
  ),
]);
rows.push([
  'BoundedBatchSpanProcessor.onEnd',
  measure(
    ended,
    (spans, { build }) => {
      const queue = new build.BoundedBatchSpanProcessor(noopExporter, { maxQueueSize: 1 << 20, maxExportBatchSize: 1 << 20, scheduledDelayMillis: 3_600_000 });
      for (const s of spans) queue.onEnd(s);
      void queue.shutdown();
      return spans.length;
    },
  ),
]);
rows.push([
  'GatewayAwareBaggagePropagator.inject, per client call',
  measure(requests, (rs, { propagator }) => {
    // As the http instrumentation injects: the client span active in the payment's context.
    for (const r of rs) for (const c of r.clients) propagator.inject(trace.setSpan(r.clientContext, c), {}, defaultTextMapSetter);
    return rs.length * 3;
  }),
]);
rows.push([
  'withPayment, per request (server span active)',
  measure(requests, (rs, { build }) => {
    for (const r of rs) {
      const orderId = r.server.attributes['payment.order_id'] as string;
      context.with(trace.setSpan(ROOT_CONTEXT, r.server), () =>
        build.withPayment({ orderId, channel: 'alipay', amount: '12.50', currency: 'CNY' }, () => undefined),
      );
    }
    return rs.length;
  }),
]);
for (const batch of [512, 64]) {
  rows.push([
    `RedactingSpanExporter.export, ${batch}-span batches`,
    measure(ended, (spans, { redacting }) => {
      for (let i = 0; i < spans.length; i += batch) redacting.export(spans.slice(i, i + batch), () => undefined);
      return spans.length;
    }),
  ]);
}
rows.push([
  'OTLP/protobuf serialization, 512-span batches (every SDK)',
  measure(ended, (spans) => {
    for (let i = 0; i < spans.length; i += 512) serializer.serializeRequest(spans.slice(i, i + 512));
    return spans.length;
  }),
]);

console.log(`CPU ns per span (unless marked); ${REQUESTS} requests (${REQUESTS * 4} spans) per round, median of ${ROUNDS} rounds`);
console.log(`${''.padEnd(58)} ${builds.map((b) => b.label.padStart(12)).join(' ')}`);
for (const [label, ns] of rows) console.log(`${label.padEnd(58)} ${ns.map((n) => n.toFixed(0).padStart(12)).join(' ')}`);
