import fs from 'node:fs';
import path from 'node:path';
import { parseErrorClasses, type ErrorCodeEntry } from './analytics/error-taxonomy';
import { BUILTIN_FX_RATES, parseFxRates, type FxRateTable } from './analytics/money';

/**
 * Everything payscope reads from the environment, parsed once and validated.
 * Names follow the conventions of the tools they configure (CLICKHOUSE_* like the ClickHouse
 * clients, PORT like Next.js) and PAYSCOPE_* for payscope's own knobs.
 */
export interface PayscopeConfig {
  /** `embedded` (chDB in this process) unless CLICKHOUSE_URL is set. */
  storeKind: 'embedded' | 'clickhouse';
  /** Embedded store directory. @default `<project>/.payscope-data/store` */
  dataDir: string;
  /** Write-ahead spool of accepted, not yet stored span batches. @default `<data dir>/../spool` */
  spoolDir: string;
  clickhouseUrl?: string;
  clickhouseUser: string;
  clickhousePassword: string;
  /** @default `default` */
  database: string;
  /** ClickHouse cluster for `ON CLUSTER` DDL; empty on a single node or embedded. */
  cluster: string;
  /** Span retention in days; 0 keeps spans forever. @default 30 */
  retentionDays: number;
  /** Dashboard + API (+ OTLP/HTTP) port. @default 3000 */
  port: number;
  /** OTLP/HTTP port. @default 4318; 0 disables the listener. */
  otlpHttpPort: number;
  /** OTLP/gRPC port. @default 4317; 0 disables the listener. */
  otlpGrpcPort: number;
  /** Interface to listen on. @default `0.0.0.0` */
  host: string;
  /** Largest accepted OTLP body, compressed or not. @default 32 MiB */
  maxBodyBytes: number;
  /** Bytes of decoded spans waiting to be written before ingest answers 429. @default 256 MiB */
  maxQueueBytes: number;
  /** Ingest answers 429 when the waiting spans would take longer than this to store. @default 3000 ms */
  maxQueueWaitMs: number;
  /** Bytes allowed in the spool (store down) before ingest answers 503. @default 2 GiB */
  maxSpoolBytes: number;
  /** Largest insert batch. @default 32 MiB */
  batchMaxBytes: number;
  /** A batch is sealed when an insert slot is free and it holds this many bytes... @default 4 MiB */
  batchMinBytes: number;
  /** ...or its first request has waited this long. @default 20 ms */
  batchWaitMs: number;
  /** Inserts running at once. @default 1 (the embedded engine runs one statement at a time) */
  insertConcurrency: number;
  /** fsync spool files before acknowledging (survives power loss, not only a process crash). @default false */
  spoolFsync: boolean;
  /** HTTP listeners: a request's headers must arrive within this. @default 10000 ms */
  headersTimeoutMs: number;
  /** HTTP listeners: a whole request (headers and body) must arrive within this. @default 30000 ms */
  requestTimeoutMs: number;
  /** OTLP/HTTP: a body that sends nothing for this long is refused (408). @default 10000 ms */
  bodyIdleTimeoutMs: number;
  /** Open connections per HTTP listener; more are closed as they come. @default 4096 */
  maxConnections: number;
  /** OTLP/gRPC: concurrent calls per connection. @default 100 */
  grpcMaxStreams: number;
  /** OTLP/gRPC: a connection without calls is closed after this. @default 300000 ms */
  grpcMaxConnectionIdleMs: number;
  /** OTLP/gRPC: a connection is asked to go away after this... @default 1800000 ms */
  grpcMaxConnectionAgeMs: number;
  /** ...and closed this much later. @default 30000 ms */
  grpcMaxConnectionAgeGraceMs: number;
  /** Worker threads decoding large OTLP bodies; 0 decodes all on the main thread. @default 2 */
  decodeWorkers: number;
  /** OTLP bodies smaller than this are decoded on the main thread. @default 1 MiB */
  decodeInlineBelowBytes: number;
  /** Large bodies waiting for a decode worker before ingest refuses more (429 / UNAVAILABLE). @default 8 */
  decodeMaxQueued: number;
  /** Time budget of one dashboard/API query, seconds (answered 504 above). @default 30; 0 = none */
  queryTimeoutSec: number;
  /** Memory budget of one dashboard/API query, bytes (answered 503 above). @default 4 GiB; 0 = none */
  queryMaxMemoryBytes: number;
  /** Threads one dashboard/API query may use. @default 1 (inserts keep the other cores); 0 = the engine's default (all cores) */
  queryMaxThreads: number;
  /** Gateway host entries added to the built-in table (`PAYSCOPE_GATEWAY_HOSTS="host=gateway,*.suffix=gateway"`). */
  gatewayHosts: ReadonlyArray<readonly [string, string]>;
  /** Seconds a gateway request may wait for its callback before the payment is stuck. */
  callbackSla: CallbackSla;
  /** Log each ingest batch (`PAYSCOPE_INGEST_DEBUG=1`). @default false */
  ingestDebug: boolean;
  /** Bearer token OTLP requests must present; unset = open. */
  ingestToken?: string;
  /** Token (Bearer, or Basic auth password) the dashboard and API require; unset = open. */
  apiToken?: string;
  /** Alerting (docs/alerts.md). */
  alerts: AlertConfig;
  /** The `partials` job (docs/jobs.md, lib/queries/partials-job.ts). */
  partials: PartialsJobConfig;
  /** Provider error codes added to (or overriding) the built-in error class table (lib/analytics/error-taxonomy.ts). */
  errorClasses: ErrorCodeEntry[];
  /** Currency money at stake is reported in (`PAYSCOPE_REPORTING_CURRENCY`). @default USD */
  reportingCurrency: string;
  /** Exchange rates (`PAYSCOPE_FX_RATES` / `PAYSCOPE_FX_RATES_FILE`). @default the built-in table of lib/analytics/money.ts */
  fxRates: FxRateTable;
}

/** The `partials` job: how often it runs, and how long an hour's spans must be quiet before it is computed. */
export interface PartialsJobConfig {
  /** Seconds from the end of one run to the next (`PAYSCOPE_PARTIALS_INTERVAL_SEC`). @default 30 */
  intervalSec: number;
  /** Seconds without an insert into an hour (and the hours it reads) before its partial is computed (`PAYSCOPE_PARTIALS_SETTLE_SEC`). @default 60 */
  settleSec: number;
}

/** Alerting: evaluation, receivers, the default rules' windows (docs/alerts.md). */
export interface AlertConfig {
  /** Seconds between evaluations (`PAYSCOPE_ALERT_INTERVAL_SEC`). @default 60 */
  intervalSec: number;
  /** Alertmanager-webhook receivers (`PAYSCOPE_ALERT_WEBHOOK_URL`, comma-separated). */
  webhookUrls: string[];
  /** Slack incoming webhook (`PAYSCOPE_ALERT_SLACK_URL`). */
  slackUrl?: string;
  /** The dashboard's address in links of notifications (`PAYSCOPE_PUBLIC_URL`). @default `http://localhost:<PORT>` */
  publicUrl: string;
  /**
   * Gateway-health rule: window judged (`PAYSCOPE_ALERT_GATEWAY_WINDOW_SEC`) @default 120, and `for`
   * (`PAYSCOPE_ALERT_GATEWAY_FOR_SEC`) @default 150: longer than the window, so one stray timeout
   * (which keeps a gateway "degraded" while it is in the window) does not fire.
   */
  gatewayWindowSec: number;
  gatewayForSec: number;
  /** The other default rules: window (`PAYSCOPE_ALERT_WINDOW_SEC`) @default 900, and `for` (`PAYSCOPE_ALERT_FOR_SEC`) @default 300. */
  windowSec: number;
  forSec: number;
}

/** Callback SLA: seconds a gateway request may wait for its callback before the payment is stuck. */
export interface CallbackSla {
  /** `PAYSCOPE_CALLBACK_SLA_SEC`. @default 300 */
  defaultSec: number;
  /** Per gateway, overriding the default (`PAYSCOPE_CALLBACK_SLA="paypal=900,alipay=120"`). */
  byGateway: Record<string, number>;
}

/** The environment variables read (process.env, or a plain object in tests and tools). */
type Env = Record<string, string | undefined>;

const projectRoot = process.env.PAYSCOPE_HOME ?? process.cwd();

function intEnv(env: Env, name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) {
    throw new Error(`${name} must be an integer >= ${min}, got ${JSON.stringify(raw)}`);
  }
  return n;
}

/**
 * `paypal=900,alipay=120`: seconds per gateway (the environment's `PAYSCOPE_CALLBACK_SLA` and the
 * API's `sla` parameter). Throws on an item that is not gateway=seconds with seconds > 0.
 */
export function parseGatewaySeconds(text: string, what = 'PAYSCOPE_CALLBACK_SLA'): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = item.lastIndexOf('=');
    const gateway = item.slice(0, eq).trim();
    const sec = Number(item.slice(eq + 1));
    if (eq <= 0 || !gateway || !Number.isFinite(sec) || sec <= 0) {
      throw new Error(`${what}: expected gateway=seconds, got ${JSON.stringify(item)}`);
    }
    out[gateway] = sec;
  }
  return out;
}

/** `host=gateway,*.suffix=gateway` (`PAYSCOPE_GATEWAY_HOSTS`); throws on an item without both sides. */
export function parseGatewayHosts(text: string): Array<[string, string]> {
  const entries: Array<[string, string]> = [];
  for (const item of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = item.indexOf('=');
    const pattern = item.slice(0, Math.max(eq, 0)).trim();
    const gateway = item.slice(eq + 1).trim();
    if (eq <= 0 || !pattern || !gateway || /\s/.test(pattern)) {
      throw new Error(`PAYSCOPE_GATEWAY_HOSTS: expected host=gateway or *.suffix=gateway, got ${JSON.stringify(item)}`);
    }
    entries.push([pattern, gateway]);
  }
  return entries;
}

function positiveNumberEnv(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a number of seconds > 0, got ${JSON.stringify(raw)}`);
  return n;
}

/** Inline JSON in `name`, else the JSON file named by `name_FILE`, else undefined; both set is an error. */
function jsonEnv(env: Env, name: string): { text: string; what: string } | undefined {
  const inline = env[name];
  const file = env[`${name}_FILE`];
  if (inline && file) throw new Error(`set ${name} or ${name}_FILE, not both`);
  if (inline) return { text: inline, what: name };
  if (!file) return undefined;
  try {
    return { text: fs.readFileSync(path.resolve(projectRoot, file), 'utf8'), what: `${name}_FILE (${file})` };
  } catch (e) {
    throw new Error(`${name}_FILE: cannot read ${JSON.stringify(file)} (${(e as Error).message})`);
  }
}

function moneyConfig(env: Env): Pick<PayscopeConfig, 'reportingCurrency' | 'fxRates'> {
  const rates = jsonEnv(env, 'PAYSCOPE_FX_RATES');
  const fxRates = rates ? parseFxRates(rates.text, rates.what) : BUILTIN_FX_RATES;
  const reportingCurrency = (env.PAYSCOPE_REPORTING_CURRENCY || 'USD').toUpperCase();
  if (fxRates.rates[reportingCurrency] === undefined) {
    throw new Error(`PAYSCOPE_REPORTING_CURRENCY: no exchange rate for ${JSON.stringify(reportingCurrency)} (rates known: ${Object.keys(fxRates.rates).join(', ')})`);
  }
  return { reportingCurrency, fxRates };
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Reads and validates the whole configuration; throws one clear message on the first bad variable
 * (`npm start` prints it and exits before anything listens).
 */
export function loadConfig(env: Env = process.env): PayscopeConfig {
  const base = path.resolve(projectRoot, env.PAYSCOPE_DATA_DIR ?? '.payscope-data');
  const database = env.CLICKHOUSE_DATABASE || 'default';
  const cluster = env.PAYSCOPE_CLICKHOUSE_CLUSTER ?? '';
  for (const [name, value] of [['CLICKHOUSE_DATABASE', database], ['PAYSCOPE_CLICKHOUSE_CLUSTER', cluster]]) {
    if (value && !IDENTIFIER.test(value)) throw new Error(`${name} must be a plain identifier, got ${JSON.stringify(value)}`);
  }
  return {
    storeKind: env.CLICKHOUSE_URL ? 'clickhouse' : 'embedded',
    dataDir: path.join(base, 'store'),
    spoolDir: path.join(base, 'spool'),
    clickhouseUrl: env.CLICKHOUSE_URL || undefined,
    clickhouseUser: env.CLICKHOUSE_USER ?? 'default',
    clickhousePassword: env.CLICKHOUSE_PASSWORD ?? '',
    database,
    cluster,
    retentionDays: intEnv(env, 'PAYSCOPE_RETENTION_DAYS', 30),
    port: intEnv(env, 'PORT', 3000),
    otlpHttpPort: intEnv(env, 'PAYSCOPE_OTLP_HTTP_PORT', 4318),
    otlpGrpcPort: intEnv(env, 'PAYSCOPE_OTLP_GRPC_PORT', 4317),
    host: env.HOST || '0.0.0.0',
    maxBodyBytes: intEnv(env, 'PAYSCOPE_MAX_BODY_BYTES', 32 * 1024 * 1024, 1024),
    maxQueueBytes: intEnv(env, 'PAYSCOPE_MAX_QUEUE_BYTES', 256 * 1024 * 1024, 1024),
    maxQueueWaitMs: intEnv(env, 'PAYSCOPE_MAX_QUEUE_WAIT_MS', 3000, 0),
    maxSpoolBytes: intEnv(env, 'PAYSCOPE_MAX_SPOOL_BYTES', 2 * 1024 * 1024 * 1024, 1024),
    batchMaxBytes: intEnv(env, 'PAYSCOPE_BATCH_MAX_BYTES', 32 * 1024 * 1024, 1024),
    batchMinBytes: intEnv(env, 'PAYSCOPE_BATCH_MIN_BYTES', 4 * 1024 * 1024, 0),
    batchWaitMs: intEnv(env, 'PAYSCOPE_BATCH_WAIT_MS', 20, 0),
    insertConcurrency: intEnv(env, 'PAYSCOPE_INSERT_CONCURRENCY', 1, 1),
    spoolFsync: env.PAYSCOPE_SPOOL_FSYNC === '1' || env.PAYSCOPE_SPOOL_FSYNC === 'true',
    headersTimeoutMs: intEnv(env, 'PAYSCOPE_HEADERS_TIMEOUT_MS', 10_000, 1),
    requestTimeoutMs: intEnv(env, 'PAYSCOPE_REQUEST_TIMEOUT_MS', 30_000, 1),
    bodyIdleTimeoutMs: intEnv(env, 'PAYSCOPE_BODY_IDLE_TIMEOUT_MS', 10_000, 1),
    maxConnections: intEnv(env, 'PAYSCOPE_MAX_CONNECTIONS', 4096, 1),
    grpcMaxStreams: intEnv(env, 'PAYSCOPE_GRPC_MAX_STREAMS', 100, 1),
    grpcMaxConnectionIdleMs: intEnv(env, 'PAYSCOPE_GRPC_MAX_CONNECTION_IDLE_MS', 300_000, 1),
    grpcMaxConnectionAgeMs: intEnv(env, 'PAYSCOPE_GRPC_MAX_CONNECTION_AGE_MS', 1_800_000, 1),
    grpcMaxConnectionAgeGraceMs: intEnv(env, 'PAYSCOPE_GRPC_MAX_CONNECTION_AGE_GRACE_MS', 30_000, 1),
    decodeWorkers: intEnv(env, 'PAYSCOPE_DECODE_WORKERS', 2, 0),
    decodeInlineBelowBytes: intEnv(env, 'PAYSCOPE_DECODE_INLINE_BYTES', 1024 * 1024, 0),
    decodeMaxQueued: intEnv(env, 'PAYSCOPE_DECODE_QUEUE', 8, 0),
    queryTimeoutSec: intEnv(env, 'PAYSCOPE_QUERY_TIMEOUT_SEC', 30, 0),
    queryMaxMemoryBytes: intEnv(env, 'PAYSCOPE_QUERY_MAX_MEMORY_BYTES', 4 * 1024 * 1024 * 1024, 0),
    queryMaxThreads: intEnv(env, 'PAYSCOPE_QUERY_MAX_THREADS', 1, 0),
    gatewayHosts: parseGatewayHosts(env.PAYSCOPE_GATEWAY_HOSTS ?? ''),
    callbackSla: {
      defaultSec: positiveNumberEnv(env, 'PAYSCOPE_CALLBACK_SLA_SEC', 300),
      byGateway: parseGatewaySeconds(env.PAYSCOPE_CALLBACK_SLA ?? ''),
    },
    ingestDebug: env.PAYSCOPE_INGEST_DEBUG === '1',
    ingestToken: env.PAYSCOPE_INGEST_TOKEN || undefined,
    apiToken: env.PAYSCOPE_API_TOKEN || undefined,
    alerts: loadAlertConfig(env),
    partials: {
      intervalSec: intEnv(env, 'PAYSCOPE_PARTIALS_INTERVAL_SEC', 30, 1),
      settleSec: intEnv(env, 'PAYSCOPE_PARTIALS_SETTLE_SEC', 60, 0),
    },
    // Payment intelligence: error classes and money at stake.
    errorClasses: ((c) => (c ? parseErrorClasses(c.text, c.what) : []))(jsonEnv(env, 'PAYSCOPE_ERROR_CLASSES')),
    ...moneyConfig(env),
  };
}

function httpUrl(name: string, raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new Error(`${name}: not a URL: ${JSON.stringify(raw.slice(0, 200))}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`${name}: only http and https URLs, got ${JSON.stringify(u.protocol)}`);
  return u.toString();
}

function loadAlertConfig(env: Env): AlertConfig {
  const port = intEnv(env, 'PORT', 3000);
  return {
    intervalSec: intEnv(env, 'PAYSCOPE_ALERT_INTERVAL_SEC', 60, 1),
    webhookUrls: (env.PAYSCOPE_ALERT_WEBHOOK_URL ?? '').split(',').map((s) => s.trim()).filter(Boolean).map((u) => httpUrl('PAYSCOPE_ALERT_WEBHOOK_URL', u)),
    slackUrl: env.PAYSCOPE_ALERT_SLACK_URL ? httpUrl('PAYSCOPE_ALERT_SLACK_URL', env.PAYSCOPE_ALERT_SLACK_URL) : undefined,
    publicUrl: httpUrl('PAYSCOPE_PUBLIC_URL', env.PAYSCOPE_PUBLIC_URL || `http://localhost:${port}`).replace(/\/+$/, ''),
    gatewayWindowSec: intEnv(env, 'PAYSCOPE_ALERT_GATEWAY_WINDOW_SEC', 120, 10),
    gatewayForSec: intEnv(env, 'PAYSCOPE_ALERT_GATEWAY_FOR_SEC', 150, 0),
    windowSec: intEnv(env, 'PAYSCOPE_ALERT_WINDOW_SEC', 900, 10),
    forSec: intEnv(env, 'PAYSCOPE_ALERT_FOR_SEC', 300, 0),
  };
}

let processConfig: PayscopeConfig | undefined;

/**
 * This process's configuration, read from `process.env` once: what pages and the query layer use for
 * settings (gateway hosts, callback SLA) that are not passed to them explicitly.
 */
export function getConfig(): PayscopeConfig {
  processConfig ??= loadConfig();
  return processConfig;
}
