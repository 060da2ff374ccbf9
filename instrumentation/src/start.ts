import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Attributes } from '@opentelemetry/api';
import {
  CompositePropagator,
  getBooleanFromEnv,
  getNumberFromEnv,
  getStringFromEnv,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import {
  defaultResource,
  envDetector,
  hostDetector,
  osDetector,
  processDetector,
  resourceFromAttributes,
} from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import type { Sampler, SpanExporter } from '@opentelemetry/sdk-trace';
import {
  BoundedBatchSpanProcessor,
  type ExportQueueOptions,
  type ExportStats,
  type WarningLogger,
} from './bounded-batch-span-processor.js';
import { createTraceExporters, tracesExportersFromEnv, type OtlpProtocol } from './exporters.js';
import { GatewayAwareBaggagePropagator } from './gateway-baggage-propagator.js';
import { ENV_GATEWAY_HOSTS, GatewayHostTable } from './gateway-host-table.js';
import { GatewaySpanProcessor } from './gateway-span-processor.js';
import { createInstrumentations, type InstrumentationToggles } from './instrumentations.js';
import { PaymentContextSpanProcessor } from './payment-context-span-processor.js';
import { RedactingSpanExporter, SpanRedactor, type RedactionOptions } from './redaction.js';
import { installShutdownHooks } from './shutdown-hooks.js';
import { TimeoutTracker } from './timeouts.js';

export interface PayscopeOptions {
  /** `service.name`. @default OTEL_SERVICE_NAME, else the `name` in ./package.json, else `unknown_service:node` */
  serviceName?: string;
  /** `service.version`. */
  serviceVersion?: string;
  /** `deployment.environment.name`, e.g. `production`. */
  environment?: string;
  /** More resource attributes; `OTEL_RESOURCE_ATTRIBUTES` is read as well. */
  resourceAttributes?: Attributes;
  /**
   * Where spans go. Over HTTP a URL without a path gets `/v1/traces` appended; over gRPC the path is ignored.
   * @default OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, else OTEL_EXPORTER_OTLP_ENDPOINT (+ /v1/traces over HTTP), else http://localhost:4318/v1/traces (gRPC: http://localhost:4317)
   */
  endpoint?: string;
  /** The OTLP transport. @default OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, else OTEL_EXPORTER_OTLP_PROTOCOL, else `http/protobuf` */
  protocol?: OtlpProtocol;
  /** Export request headers, gRPC metadata over gRPC (e.g. an ingest bearer token); `OTEL_EXPORTER_OTLP_HEADERS` is read as well. */
  headers?: Record<string, string>;
  /** Switch instrumentations on or off, or configure them. See `DEFAULT_INSTRUMENTATIONS`. */
  instrumentations?: InstrumentationToggles;
  /** Instrumentations to register besides the built-in ones. */
  extraInstrumentations?: Instrumentation[];
  /** Extra `host pattern → gateway` entries (`'gw.example.com': 'acme'`, `'*.pay.example.org': 'acme'`); `PAYSCOPE_GATEWAY_HOSTS` is read as well. */
  gatewayHosts?: Record<string, string>;
  /** `false` turns redaction off (also `PAYSCOPE_REDACTION=off`). @default true */
  redaction?: boolean | RedactionOptions;
  /** Export queue bounds. */
  exportQueue?: ExportQueueOptions;
  /** Longest `shutdown()` takes, flush included. @default 3000 (`PAYSCOPE_SHUTDOWN_TIMEOUT_MS`) */
  shutdownTimeoutMillis?: number;
  /** Flush on SIGTERM / SIGINT / natural exit (see README). @default true */
  handleShutdown?: boolean;
  /** @default from OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG, else parent-based always-on */
  sampler?: Sampler;
  /** Replaces the exporters `OTEL_TRACES_EXPORTER` would choose (tests, other transports). Redaction and the bounded queue still apply. */
  traceExporter?: SpanExporter;
  /** Where payscope's own warnings go (dropped spans, ...). @default console.warn */
  logger?: WarningLogger;
}

export interface PayscopeHandle {
  /** Flushes within the shutdown timeout and stops tracing; never rejects. */
  shutdown(): Promise<void>;
  /** Exports what is queued now. */
  forceFlush(): Promise<void>;
  /** Export counters: queued, exported, dropped. */
  stats(): ExportStats;
  /** The host table in use, built-in entries plus configured ones. */
  readonly gatewayHosts: GatewayHostTable;
}

const RUNNING = Symbol.for('payscope.instrumentation.running');
type GlobalWithHandle = typeof globalThis & { [RUNNING]?: PayscopeHandle };

const defaultLogger: WarningLogger = (message) => console.warn(`[payscope] ${message}`);

function redactionFrom(option: PayscopeOptions['redaction']): RedactionOptions | undefined {
  if (option === false) return undefined;
  if (option === undefined) {
    const env = getStringFromEnv('PAYSCOPE_REDACTION')?.toLowerCase();
    if (env === 'off' || env === 'false' || env === '0') return undefined;
    return {};
  }
  return option === true ? {} : option;
}

function serviceNameFromPackageJson(): string | undefined {
  try {
    const pkg = JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8')) as { name?: unknown };
    return typeof pkg.name === 'string' && pkg.name !== '' ? pkg.name : undefined;
  } catch {
    return undefined;
  }
}

function resourceAttributesFrom(options: PayscopeOptions): Attributes {
  const attributes: Attributes = { ...options.resourceAttributes };
  const serviceNameSet =
    options.serviceName !== undefined ||
    getStringFromEnv('OTEL_SERVICE_NAME') !== undefined ||
    /(^|,)\s*service\.name\s*=/.test(getStringFromEnv('OTEL_RESOURCE_ATTRIBUTES') ?? '');
  if (!serviceNameSet) {
    const fromPackage = serviceNameFromPackageJson();
    if (fromPackage !== undefined) attributes['service.name'] = fromPackage;
  }
  if (options.serviceVersion !== undefined) attributes['service.version'] = options.serviceVersion;
  if (options.environment !== undefined) attributes['deployment.environment.name'] = options.environment;
  return attributes;
}

/** `OTEL_SDK_DISABLED=true`, or `OTEL_TRACES_EXPORTER=none`: the standard ways to switch tracing off. */
export function tracingDisabledByEnv(): boolean {
  if (getBooleanFromEnv('OTEL_SDK_DISABLED')) return true;
  return tracesExportersFromEnv()?.every((e) => e === 'none') ?? false;
}

function sumStats(a: ExportStats, b: ExportStats): ExportStats {
  return {
    queuedSpans: a.queuedSpans + b.queuedSpans,
    exportedSpans: a.exportedSpans + b.exportedSpans,
    droppedSpans: a.droppedSpans + b.droppedSpans,
  };
}

function noopHandle(gatewayHosts: GatewayHostTable): PayscopeHandle {
  return {
    shutdown: () => Promise.resolve(),
    forceFlush: () => Promise.resolve(),
    stats: () => ({ queuedSpans: 0, exportedSpans: 0, droppedSpans: 0 }),
    gatewayHosts,
  };
}

/**
 * Starts tracing this process: OpenTelemetry NodeSDK with payscope's instrumentations, payment
 * context propagation, gateway and timeout classification, redaction and a bounded export
 * queue. Call it before the app loads the libraries it wants traced (or use the `register`
 * entry with `node --import`). Calling it again returns the running instance.
 */
export function startPayscope(options: PayscopeOptions = {}): PayscopeHandle {
  const global = globalThis as GlobalWithHandle;
  const running = global[RUNNING];
  if (running !== undefined) return running;

  const log = options.logger ?? defaultLogger;
  const gatewayHosts = new GatewayHostTable();
  const envHosts = getStringFromEnv(ENV_GATEWAY_HOSTS);
  if (envHosts !== undefined) gatewayHosts.addAll(GatewayHostTable.parse(envHosts));
  if (options.gatewayHosts !== undefined) gatewayHosts.addAll(options.gatewayHosts);

  if (tracingDisabledByEnv()) return noopHandle(gatewayHosts);

  const shutdownTimeoutMillis = options.shutdownTimeoutMillis ?? getNumberFromEnv('PAYSCOPE_SHUTDOWN_TIMEOUT_MS') ?? 3000;
  const timeouts = new TimeoutTracker();
  const exporters = options.traceExporter !== undefined ? [options.traceExporter] : createTraceExporters(options, log);
  if (exporters.length === 0) return noopHandle(gatewayHosts);
  const redaction = redactionFrom(options.redaction);
  const redactor = redaction === undefined ? undefined : new SpanRedactor(redaction);
  // One bounded queue per exporter, so a slow one cannot hold back the other (`otlp,console`).
  const queues = exporters.map(
    (exporter) =>
      new BoundedBatchSpanProcessor(redactor === undefined ? exporter : new RedactingSpanExporter(exporter, redactor), {
        ...options.exportQueue,
        shutdownTimeoutMillis,
        log,
      }),
  );

  const sdk = new NodeSDK({
    resource: defaultResource().merge(resourceFromAttributes(resourceAttributesFrom(options))),
    serviceName: options.serviceName,
    // No cloud metadata detectors: they make network calls at startup. OTEL_NODE_RESOURCE_DETECTORS still wins.
    resourceDetectors:
      getStringFromEnv('OTEL_NODE_RESOURCE_DETECTORS') === undefined
        ? [envDetector, hostDetector, osDetector, processDetector]
        : undefined,
    instrumentations: [
      ...createInstrumentations(options.instrumentations ?? {}, timeouts),
      ...(options.extraInstrumentations ?? []),
    ],
    spanProcessors: [new PaymentContextSpanProcessor(), new GatewaySpanProcessor(gatewayHosts, timeouts), ...queues],
    sampler: options.sampler,
    // OTEL_PROPAGATORS, when set, is honored as is; by default W3C trace context plus baggage
    // that is never sent to payment gateways.
    textMapPropagator:
      getStringFromEnv('OTEL_PROPAGATORS') === undefined
        ? new CompositePropagator({
            propagators: [new W3CTraceContextPropagator(), new GatewayAwareBaggagePropagator(gatewayHosts)],
          })
        : undefined,
    // Traces only: payscope ingests no metrics or logs, so do not export them to its port.
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();

  let uninstallHooks: (() => void) | undefined;
  let stopped: Promise<void> | undefined;
  const handle: PayscopeHandle = {
    shutdown() {
      stopped ??= (async () => {
        uninstallHooks?.();
        const bound = new Promise<void>((resolve) => setTimeout(resolve, shutdownTimeoutMillis + 250).unref());
        await Promise.race([sdk.shutdown().catch(() => undefined), bound]);
        if (global[RUNNING] === handle) delete global[RUNNING];
      })();
      return stopped;
    },
    forceFlush: () => Promise.all(queues.map((q) => q.forceFlush().catch(() => undefined))).then(() => undefined),
    stats: () => queues.map((q) => q.stats()).reduce(sumStats),
    gatewayHosts,
  };
  if (options.handleShutdown !== false) uninstallHooks = installShutdownHooks(() => handle.shutdown());
  global[RUNNING] = handle;
  return handle;
}
