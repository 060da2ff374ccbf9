import { getStringFromEnv } from '@opentelemetry/core';
import { OTLPTraceExporter as OTLPGrpcTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as OTLPJsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { createEmptyMetadata } from '@opentelemetry/otlp-grpc-exporter-base';
import { ConsoleSpanExporter, type SpanExporter } from '@opentelemetry/sdk-trace';

/** The OTLP transports of the OpenTelemetry spec (`OTEL_EXPORTER_OTLP_PROTOCOL`). */
export type OtlpProtocol = 'grpc' | 'http/protobuf' | 'http/json';
const PROTOCOLS: readonly string[] = ['grpc', 'http/protobuf', 'http/json'];

/** The exporter names payscope knows in `OTEL_TRACES_EXPORTER`. */
const EXPORTERS: readonly string[] = ['otlp', 'console', 'none'];

export interface ExporterOptions {
  protocol?: OtlpProtocol;
  endpoint?: string;
  headers?: Record<string, string>;
}

/** An OTLP/HTTP traces URL from a base URL (`http://payscope:4318`) or a full one. */
export function tracesUrl(endpoint: string): string {
  const url = new URL(endpoint);
  if (url.pathname === '' || url.pathname === '/') url.pathname = '/v1/traces';
  return url.toString();
}

/** `OTEL_TRACES_EXPORTER` as a list of names (`otlp,console`); `undefined` when not set. */
export function tracesExportersFromEnv(): string[] | undefined {
  const names = getStringFromEnv('OTEL_TRACES_EXPORTER')
    ?.split(',')
    .map((e) => e.trim().toLowerCase())
    .filter((e) => e !== '');
  return names === undefined || names.length === 0 ? undefined : names;
}

/** The traces protocol: the option, else `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL`, else `OTEL_EXPORTER_OTLP_PROTOCOL`, else `http/protobuf` (the spec's default). */
export function otlpProtocol(option: OtlpProtocol | undefined, log: (message: string) => void): OtlpProtocol {
  if (option !== undefined) return option;
  for (const name of ['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL']) {
    const value = getStringFromEnv(name)?.trim().toLowerCase();
    if (value === undefined || value === '') continue;
    if (PROTOCOLS.includes(value)) return value as OtlpProtocol;
    log(`${name}=${value} is not one of ${PROTOCOLS.join(', ')}: using http/protobuf`);
    return 'http/protobuf';
  }
  return 'http/protobuf';
}

function otlpExporter(options: ExporterOptions, log: (message: string) => void): SpanExporter {
  const protocol = otlpProtocol(options.protocol, log);
  if (protocol === 'grpc') {
    const headers = options.headers;
    return new OTLPGrpcTraceExporter({
      url: options.endpoint,
      // Read on the first export, not here: loading @grpc/grpc-js now would load it before the
      // gRPC instrumentation can patch it for the app.
      get metadata() {
        if (headers === undefined) return undefined;
        const metadata = createEmptyMetadata();
        for (const [key, value] of Object.entries(headers)) metadata.set(key, value);
        return metadata;
      },
    });
  }
  const config = { url: options.endpoint === undefined ? undefined : tracesUrl(options.endpoint), headers: options.headers };
  return protocol === 'http/json' ? new OTLPJsonTraceExporter(config) : new OTLPProtoTraceExporter(config);
}

/**
 * The exporters `OTEL_TRACES_EXPORTER` names (default `otlp`): `otlp` over the configured protocol,
 * `console` to stdout; `none` adds none. Unknown names are logged and skipped, as the spec asks.
 */
export function createTraceExporters(options: ExporterOptions, log: (message: string) => void): SpanExporter[] {
  const exporters: SpanExporter[] = [];
  for (const name of new Set(tracesExportersFromEnv() ?? ['otlp'])) {
    if (name === 'otlp') exporters.push(otlpExporter(options, log));
    else if (name === 'console') exporters.push(new ConsoleSpanExporter());
    else if (!EXPORTERS.includes(name)) log(`OTEL_TRACES_EXPORTER: unknown exporter "${name}" skipped (known: ${EXPORTERS.join(', ')})`);
  }
  return exporters;
}
