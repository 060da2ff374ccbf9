import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type * as grpc from '@grpc/grpc-js';
import type { PayscopeConfig } from '../lib/config';
import { openStore, setStore, type Store } from '../lib/store/store';
import { migrate } from '../clickhouse/migrate';
import { IngestPipeline, type PipelineStats } from '../lib/ingest/pipeline';
import { handleOtlpTraces } from '../lib/ingest/otlp-http';
import { createOtlpGrpcServer, listenGrpc } from '../lib/ingest/otlp-grpc';
import { SPAN_COLUMNS, startTimeWindow } from '../lib/ingest/otlp';
import { DecodePool } from '../lib/ingest/decode-pool';
import { isAuthorized } from '../lib/access';
import { PayscopeMetrics } from '../lib/metrics';
import { ClickHouseLease, JobRunner, SingleInstanceLease } from '../lib/jobs';
import { evaluateAlerts } from '../lib/alerts/engine';
import { outboxCounts } from '../lib/alerts/store';
import { runPartialsJob } from '../lib/queries/partials-job';

/**
 * One payscope process: store (opened once), migrations, background jobs (lib/jobs: the ingest
 * writer), OTLP/HTTP and OTLP/gRPC receivers and — unless disabled — the Next.js dashboard, which
 * also accepts OTLP/HTTP on its port; /metrics on both HTTP ports.
 * With the embedded store this must be the only process using the data directory.
 */

export interface StartOptions {
  config: PayscopeConfig;
  /** Port for each listener: a number (0 = any free port) or null to not listen. Defaults from config. */
  ports?: { dashboard?: number | null; otlpHttp?: number | null; grpc?: number | null };
  /** Serve the dashboard (Next.js). @default { dev: false } */
  dashboard?: false | { dev: boolean; dir?: string };
  log?: (line: string) => void;
}

export interface RunningServer {
  readonly store: Store;
  readonly pipeline: IngestPipeline;
  /** Decodes large OTLP bodies on worker threads. */
  readonly decoder: DecodePool;
  /** What `GET /metrics` serves. */
  readonly metrics: PayscopeMetrics;
  /** Background work: the ingest writer, and scheduled jobs (docs/jobs.md). */
  readonly jobs: JobRunner;
  readonly ports: { dashboard?: number; otlpHttp?: number; grpc?: number };
  /** Stops the listeners, stores what was accepted, closes the store. */
  close(): Promise<void>;
}

function listen(server: http.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/**
 * An HTTP listener that bounds what a slow or idle client can hold: headers and whole request in
 * time, connections in number (more are closed as they arrive).
 */
function createHttpServer(config: PayscopeConfig, handler: http.RequestListener): http.Server {
  const requestTimeout = config.requestTimeoutMs;
  const headersTimeout = Math.min(config.headersTimeoutMs, requestTimeout);
  const server = http.createServer({
    requestTimeout,
    headersTimeout,
    // How often Node looks for expired requests; its default (30 s) would let one overrun by as much.
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(headersTimeout / 4))),
  }, handler);
  server.maxConnections = config.maxConnections;
  return server;
}

/**
 * The warning for a listener reachable beyond this machine with no token to keep strangers from
 * sending spans (ingest) or reading them (dashboard); undefined when there is none.
 */
export function exposureWarning(config: PayscopeConfig, dashboard: boolean): string | undefined {
  if (/^(127\.\d+\.\d+\.\d+|::1|localhost)$/i.test(config.host)) return undefined;
  const open: string[] = [];
  if (!config.ingestToken && (config.otlpHttpPort || config.otlpGrpcPort || dashboard)) open.push('anyone who can reach it can send spans (set PAYSCOPE_INGEST_TOKEN)');
  if (!config.apiToken && dashboard) open.push('anyone who can reach it can read the dashboard and API (set PAYSCOPE_API_TOKEN)');
  if (open.length === 0) return undefined;
  return `WARNING: payscope listens on ${config.host}, reachable beyond this machine, without access tokens: ${open.join('; ')}. Or set HOST=127.0.0.1 to listen on this machine only.`;
}

function closeHttp(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}

/** What the receivers ask of the decoders: span start times within retention (docs/ingest.md). */
function decodeOptions(config: PayscopeConfig) {
  return { startTimeWindow: startTimeWindow(config.retentionDays) };
}

/** `GET /metrics`: Prometheus text exposition (docs/metrics.md). */
async function serveMetrics(res: http.ServerResponse, metrics: PayscopeMetrics): Promise<void> {
  const text = await metrics.text();
  res.writeHead(200, { 'content-type': metrics.contentType });
  res.end(text);
}

function unauthorizedJson(res: http.ServerResponse, message: string): void {
  res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer', connection: 'close' });
  res.end(JSON.stringify({ error: message }));
}

function otlpOnlyHandler(pipeline: IngestPipeline, config: PayscopeConfig, store: Store, decoder: DecodePool, metrics: PayscopeMetrics): http.RequestListener {
  const ingest = { pipeline, maxBodyBytes: config.maxBodyBytes, token: config.ingestToken, decoder, decodeOptions: decodeOptions(config), bodyIdleTimeoutMs: config.bodyIdleTimeoutMs, metrics };
  // The scraper may hold either token: the API token, which reads everything, or the ingest token,
  // which already reads this port's /health counters. Open when neither is set.
  const tokens = [config.apiToken, config.ingestToken].filter((t): t is string => !!t);
  const mayReadMetrics = (req: http.IncomingMessage) => tokens.length === 0 || tokens.some((t) => isAuthorized(t, req.headers));
  return (req, res) => {
    const url = req.url ?? '/';
    if (url === '/v1/traces' || url.startsWith('/v1/traces?')) {
      void handleOtlpTraces(req, res, ingest);
      return;
    }
    if (req.method === 'GET' && url === '/metrics') {
      if (!mayReadMetrics(req)) return unauthorizedJson(res, 'missing or wrong token: send Authorization: Bearer <PAYSCOPE_API_TOKEN or PAYSCOPE_INGEST_TOKEN>');
      void serveMetrics(res, metrics);
      return;
    }
    if (req.method === 'GET' && (url === '/' || url === '/health')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      // Status stays open for load balancers; the counters tell about traffic, so they need the token.
      const counters = isAuthorized(config.ingestToken, req.headers) ? { ingest: pipeline.stats(), decodedOnWorkers: decoder.offloaded } : {};
      const { status, reasons } = pipeline.health();
      res.end(JSON.stringify({ status, ...(reasons.length > 0 ? { reasons } : {}), store: store.kind, ...counters }));
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: `not found: ${req.method} ${url}; OTLP traces go to POST /v1/traces` }));
  };
}

/**
 * The dashboard port: OTLP/HTTP on /v1/traces (the ingest token), everything else behind the API
 * token but /api/health and /instrumentation.tgz (the instrumentation package, installed by
 * services' `npm install`, which sends no token); /metrics here, the rest to Next.js (`next`).
 */
export function dashboardHandler(config: PayscopeConfig, ingest: http.RequestListener, metrics: PayscopeMetrics, next: http.RequestListener): http.RequestListener {
  return (req, res) => {
    const url = req.url ?? '/';
    if (url === '/v1/traces' || url.startsWith('/v1/traces?')) return ingest(req, res);
    if (url !== '/api/health' && url !== '/instrumentation.tgz' && !isAuthorized(config.apiToken, req.headers)) {
      const api = url.startsWith('/api/');
      res.writeHead(401, {
        'content-type': api ? 'application/json' : 'text/plain; charset=utf-8',
        // Browsers get a login prompt (any user name, the token as password); API clients use Bearer.
        'www-authenticate': api ? 'Bearer' : 'Basic realm="payscope", charset="UTF-8"',
        connection: 'close',
      });
      res.end(api ? JSON.stringify({ error: 'missing or wrong token: send Authorization: Bearer <PAYSCOPE_API_TOKEN>' }) : 'payscope: log in with any user name and the PAYSCOPE_API_TOKEN as password');
      return;
    }
    if (req.method === 'GET' && url === '/metrics') {
      void serveMetrics(res, metrics);
      return;
    }
    // A path with a broken percent-escape (`/payments/%`) cannot name anything; Next.js would
    // answer it with a bare 500.
    if (!decodablePath(url)) {
      const api = url.startsWith('/api/');
      res.writeHead(400, { 'content-type': api ? 'application/json' : 'text/plain; charset=utf-8' });
      res.end(api ? JSON.stringify({ error: 'malformed percent-escape in the URL path' }) : 'payscope: malformed percent-escape in the URL path');
      return;
    }
    next(req, res);
  };
}

export async function startServer(opts: StartOptions): Promise<RunningServer> {
  const { config } = opts;
  const log = opts.log ?? ((l: string) => console.log(l));
  const ports = {
    dashboard: opts.ports?.dashboard !== undefined ? opts.ports.dashboard : config.port,
    otlpHttp: opts.ports?.otlpHttp !== undefined ? opts.ports.otlpHttp : config.otlpHttpPort || null,
    grpc: opts.ports?.grpc !== undefined ? opts.ports.grpc : config.otlpGrpcPort || null,
  };
  // The metrics exist before the store (they time its queries), the pipeline after it.
  let ingestStats: (() => PipelineStats) | undefined;
  const metrics = new PayscopeMetrics(() => ingestStats?.());
  const store = await openStore(config, { onQuery: (seconds) => metrics.queried(seconds) });
  const cleanups: (() => Promise<void>)[] = [];
  try {
    setStore(store);
    await migrate(store, { retentionDays: config.retentionDays, log });
    const pipeline = new IngestPipeline(store, {
      table: 'otel_traces',
      columns: SPAN_COLUMNS,
      spoolDir: config.spoolDir,
      batchMaxBytes: config.batchMaxBytes,
      maxQueueBytes: config.maxQueueBytes,
      maxQueueWaitMs: config.maxQueueWaitMs,
      maxSpoolBytes: config.maxSpoolBytes,
      fsync: config.spoolFsync,
      insertConcurrency: config.insertConcurrency,
      batchMinBytes: config.batchMinBytes,
      batchWaitMs: config.batchWaitMs,
      log,
      debug: config.ingestDebug,
      observer: metrics,
    });
    ingestStats = () => pipeline.stats();
    // The embedded store has one process; a ClickHouse server may have several instances, of which
    // one runs each cluster job (docs/jobs.md).
    const lease = store.kind === 'embedded' ? new SingleInstanceLease() : new ClickHouseLease(store);
    const jobs = new JobRunner({ lease, log });
    jobs.service({ name: 'ingest-writer', start: () => pipeline.start(), stop: () => pipeline.close() });
    jobs.schedule({
      name: 'alert-evaluation', everyMs: config.alerts.intervalSec * 1000, scope: 'cluster',
      async run() {
        const started = performance.now();
        const r = await evaluateAlerts(store, { config: config.alerts, now: Date.now(), sla: config.callbackSla });
        for (const f of r.failed) log(`alerts: rule ${f.rule} failed: ${f.error}`);
        metrics.alertEvaluated({
          seconds: (performance.now() - started) / 1000, failedRules: r.failed.map((f) => f.rule), firing: r.firing,
          attempts: r.delivery.byKind, pending: (await outboxCounts(store)).pending ?? 0,
        });
      },
    });
    jobs.schedule({
      name: 'partials', everyMs: config.partials.intervalSec * 1000, scope: 'cluster',
      async run(signal) {
        await runPartialsJob(store, config.retentionDays, config.partials.settleSec, signal);
      },
    });
    await jobs.start();
    cleanups.push(() => jobs.stop());
    const decoder = new DecodePool({ workers: config.decodeWorkers, inlineBelowBytes: config.decodeInlineBelowBytes, maxQueued: config.decodeMaxQueued });
    cleanups.push(() => decoder.close());
    const bound: RunningServer['ports'] = {};

    if (ports.otlpHttp !== null) {
      const server = createHttpServer(config, otlpOnlyHandler(pipeline, config, store, decoder, metrics));
      server.keepAliveTimeout = 65_000;
      bound.otlpHttp = await listen(server, config.host, ports.otlpHttp);
      cleanups.unshift(() => closeHttp(server));
      log(`OTLP/HTTP listening on http://${config.host}:${bound.otlpHttp}/v1/traces`);
    }
    if (ports.grpc !== null) {
      const server: grpc.Server = createOtlpGrpcServer({
        pipeline,
        maxBodyBytes: config.maxBodyBytes,
        token: config.ingestToken,
        decoder,
        decodeOptions: decodeOptions(config),
        maxConcurrentStreams: config.grpcMaxStreams,
        maxConnectionIdleMs: config.grpcMaxConnectionIdleMs,
        maxConnectionAgeMs: config.grpcMaxConnectionAgeMs,
        maxConnectionAgeGraceMs: config.grpcMaxConnectionAgeGraceMs,
        metrics,
      });
      bound.grpc = await listenGrpc(server, config.host, ports.grpc);
      cleanups.unshift(() => new Promise<void>((resolve) => server.tryShutdown(() => resolve())));
      log(`OTLP/gRPC listening on ${config.host}:${bound.grpc}`);
    }
    if (ports.dashboard !== null && opts.dashboard !== false) {
      const dev = opts.dashboard?.dev ?? false;
      const { default: next } = await import('next');
      const app = next({ dev, dir: opts.dashboard?.dir ?? process.cwd(), hostname: config.host, port: ports.dashboard });
      await app.prepare();
      const handle = app.getRequestHandler();
      const ingest = otlpOnlyHandler(pipeline, config, store, decoder, metrics);
      const server = createHttpServer(config, dashboardHandler(config, ingest, metrics, (req, res) => void handle(req, res)));
      bound.dashboard = await listen(server, config.host, ports.dashboard);
      cleanups.unshift(async () => { await closeHttp(server); await app.close(); });
      log(`dashboard on http://localhost:${bound.dashboard} (store: ${store.kind})`);
    }

    let closing: Promise<void> | undefined;
    return {
      store,
      pipeline,
      decoder,
      metrics,
      jobs,
      ports: bound,
      close() {
        closing ??= (async () => {
          for (const c of cleanups) await c().catch((err) => log(`shutdown: ${(err as Error).message}`));
          setStore(undefined);
          await store.close();
        })();
        return closing;
      },
    };
  } catch (err) {
    for (const c of cleanups) await c().catch(() => {});
    await store.close().catch(() => {});
    throw err;
  }
}

function decodablePath(url: string): boolean {
  const q = url.indexOf('?');
  try {
    decodeURIComponent(q < 0 ? url : url.slice(0, q));
    return true;
  } catch {
    return false;
  }
}
