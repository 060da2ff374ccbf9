import { diag, type Span } from '@opentelemetry/api';
import { getNodeAutoInstrumentations, type InstrumentationConfigMap } from '@opentelemetry/auto-instrumentations-node';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { getStringListFromEnv } from '@opentelemetry/core';
import { FastifyOtelInstrumentation, type FastifyOtelInstrumentationOpts } from '@fastify/otel';
import { wrapFetchForTimeouts, type TimeoutTracker } from './timeouts.js';

const UPSTREAM_PREFIX = '@opentelemetry/instrumentation-';

type UpstreamName = keyof InstrumentationConfigMap;
type ShortName<T> = T extends `${typeof UPSTREAM_PREFIX}${infer S}` ? S : never;

/** Instrumentation names as in `OTEL_NODE_ENABLED_INSTRUMENTATIONS`: `http`, `pg`, `nestjs-core`, ... */
export type InstrumentationName = ShortName<UpstreamName> | 'fastify';

type ConfigFor<K extends InstrumentationName> = K extends 'fastify'
  ? FastifyOtelInstrumentationOpts
  : NonNullable<InstrumentationConfigMap[`${typeof UPSTREAM_PREFIX}${K}` & UpstreamName]>;

/** Per instrumentation: `true` / `false` to switch it on or off, or its upstream config (which switches it on). */
export type InstrumentationToggles = { [K in InstrumentationName]?: boolean | ConfigFor<K> };

/**
 * On unless configured otherwise: the libraries payment services talk through. Fastify is traced
 * by `@fastify/otel` (the upstream-recommended instrumentation), the others by
 * `@opentelemetry/auto-instrumentations-node`. Noisy ones (fs, dns, net, ...) stay off.
 */
export const DEFAULT_INSTRUMENTATIONS: readonly InstrumentationName[] = Object.freeze([
  'http',
  'undici',
  'express',
  'fastify',
  'koa',
  'nestjs-core',
  'pg',
  'mysql2',
  'redis',
  'ioredis',
  'mongodb',
  'kafkajs',
  'amqplib',
  'grpc',
] as InstrumentationName[]);

function fromEnv(name: string): string[] | undefined {
  const list = getStringListFromEnv(name);
  return list === undefined || list.length === 0 ? undefined : list;
}

/**
 * Which instrumentations run. Same precedence as upstream: explicit options first, then
 * `OTEL_NODE_ENABLED_INSTRUMENTATIONS` (replaces the default list) and
 * `OTEL_NODE_DISABLED_INSTRUMENTATIONS` (removes from it), then payscope's defaults.
 */
export function resolveEnabledInstrumentations(toggles: InstrumentationToggles = {}): Set<string> {
  const enabled = new Set<string>(fromEnv('OTEL_NODE_ENABLED_INSTRUMENTATIONS') ?? DEFAULT_INSTRUMENTATIONS);
  for (const name of fromEnv('OTEL_NODE_DISABLED_INSTRUMENTATIONS') ?? []) enabled.delete(name);
  for (const [name, toggle] of Object.entries(toggles)) {
    if (toggle === false) enabled.delete(name);
    else if (toggle !== undefined) enabled.add(name);
  }
  return enabled;
}

type HttpRequestHook = (span: Span, request: unknown) => void;

function chainRequestHooks(first: HttpRequestHook, second: HttpRequestHook | undefined): HttpRequestHook {
  if (second === undefined) return first;
  return (span, request) => {
    first(span, request);
    second(span, request);
  };
}

/** Builds the instrumentations to register, reusing upstream's constructor table. */
export function createInstrumentations(toggles: InstrumentationToggles, timeouts: TimeoutTracker): Instrumentation[] {
  const enabled = resolveEnabledInstrumentations(toggles);
  const configFor = (name: string): Record<string, unknown> => {
    const toggle = (toggles as Record<string, unknown>)[name];
    return typeof toggle === 'object' && toggle !== null ? { ...(toggle as Record<string, unknown>) } : {};
  };

  const upstreamConfigs: Record<string, Record<string, unknown>> = {};
  const known = new Set<string>(['fastify']);
  for (const upstreamName of Object.keys(UPSTREAM_NAMES)) {
    const name = upstreamName.slice(UPSTREAM_PREFIX.length);
    known.add(name);
    upstreamConfigs[upstreamName] = enabled.has(name) ? { ...configFor(name), enabled: true } : { enabled: false };
  }
  for (const name of enabled) {
    if (!known.has(name)) diag.warn(`payscope: unknown instrumentation "${name}" ignored`);
  }

  const http = upstreamConfigs[`${UPSTREAM_PREFIX}http`];
  if (http.enabled === true) {
    http.requestHook = chainRequestHooks(timeouts.httpRequestHook, http.requestHook as HttpRequestHook | undefined);
  }
  const undici = upstreamConfigs[`${UPSTREAM_PREFIX}undici`];
  if (undici.enabled === true) {
    undici.requestHook = chainRequestHooks(timeouts.undiciRequestHook, undici.requestHook as HttpRequestHook | undefined);
    wrapFetchForTimeouts();
  }

  const instrumentations: Instrumentation[] = getNodeAutoInstrumentations(upstreamConfigs as InstrumentationConfigMap);
  if (enabled.has('fastify')) {
    // Hooks Fastify through its `fastify.initialization` diagnostics channel: no module patching,
    // so ESM and CommonJS apps alike.
    instrumentations.push(new FastifyOtelInstrumentation({ registerOnInitialization: true, ...configFor('fastify') }));
  }
  return instrumentations;
}

// Every instrumentation upstream can build. Upstream exposes its table only as the config type;
// typing this record by that type makes the compiler check the list is complete and exact.
const UPSTREAM_NAMES: Record<UpstreamName, true> = {
  '@opentelemetry/instrumentation-amqplib': true,
  '@opentelemetry/instrumentation-aws-lambda': true,
  '@opentelemetry/instrumentation-aws-sdk': true,
  '@opentelemetry/instrumentation-bunyan': true,
  '@opentelemetry/instrumentation-cassandra-driver': true,
  '@opentelemetry/instrumentation-connect': true,
  '@opentelemetry/instrumentation-cucumber': true,
  '@opentelemetry/instrumentation-dataloader': true,
  '@opentelemetry/instrumentation-dns': true,
  '@opentelemetry/instrumentation-express': true,
  '@opentelemetry/instrumentation-fs': true,
  '@opentelemetry/instrumentation-generic-pool': true,
  '@opentelemetry/instrumentation-graphql': true,
  '@opentelemetry/instrumentation-grpc': true,
  '@opentelemetry/instrumentation-hapi': true,
  '@opentelemetry/instrumentation-host-metrics': true,
  '@opentelemetry/instrumentation-http': true,
  '@opentelemetry/instrumentation-ioredis': true,
  '@opentelemetry/instrumentation-kafkajs': true,
  '@opentelemetry/instrumentation-knex': true,
  '@opentelemetry/instrumentation-koa': true,
  '@opentelemetry/instrumentation-lru-memoizer': true,
  '@opentelemetry/instrumentation-memcached': true,
  '@opentelemetry/instrumentation-mongodb': true,
  '@opentelemetry/instrumentation-mongoose': true,
  '@opentelemetry/instrumentation-mysql2': true,
  '@opentelemetry/instrumentation-mysql': true,
  '@opentelemetry/instrumentation-nestjs-core': true,
  '@opentelemetry/instrumentation-net': true,
  '@opentelemetry/instrumentation-openai': true,
  '@opentelemetry/instrumentation-oracledb': true,
  '@opentelemetry/instrumentation-pg': true,
  '@opentelemetry/instrumentation-pino': true,
  '@opentelemetry/instrumentation-redis': true,
  '@opentelemetry/instrumentation-restify': true,
  '@opentelemetry/instrumentation-router': true,
  '@opentelemetry/instrumentation-runtime-node': true,
  '@opentelemetry/instrumentation-socket.io': true,
  '@opentelemetry/instrumentation-tedious': true,
  '@opentelemetry/instrumentation-undici': true,
  '@opentelemetry/instrumentation-winston': true,
};
