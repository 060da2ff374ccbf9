import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_INSTRUMENTATIONS, resolveEnabledInstrumentations, tracesUrl } from '../src/index.js';
import { createInstrumentations } from '../src/instrumentations.js';
import { TimeoutTracker } from '../src/timeouts.js';
import { PACKAGE_NAME, PACKAGE_VERSION } from '../src/version.js';

const saved = { ...process.env };
afterEach(() => {
  for (const key of ['OTEL_NODE_ENABLED_INSTRUMENTATIONS', 'OTEL_NODE_DISABLED_INSTRUMENTATIONS']) {
    if (saved[key] === undefined) delete process.env[key];
    else process.env[key] = saved[key];
  }
});

describe('which instrumentations run', () => {
  it('defaults to what payment services use, without the noisy ones', () => {
    const enabled = resolveEnabledInstrumentations();
    for (const name of ['http', 'undici', 'express', 'fastify', 'koa', 'nestjs-core', 'pg', 'mysql2', 'redis', 'ioredis', 'mongodb', 'kafkajs', 'amqplib', 'grpc']) {
      expect(enabled.has(name), name).toBe(true);
    }
    for (const name of ['fs', 'dns', 'net', 'aws-sdk', 'runtime-node', 'host-metrics']) expect(enabled.has(name), name).toBe(false);
    expect([...enabled].sort()).toEqual([...DEFAULT_INSTRUMENTATIONS].sort());
  });

  it('honors OTEL_NODE_ENABLED_INSTRUMENTATIONS and OTEL_NODE_DISABLED_INSTRUMENTATIONS', () => {
    process.env.OTEL_NODE_ENABLED_INSTRUMENTATIONS = 'http, fs ,pg';
    process.env.OTEL_NODE_DISABLED_INSTRUMENTATIONS = 'pg';
    expect([...resolveEnabledInstrumentations()].sort()).toEqual(['fs', 'http']);
    delete process.env.OTEL_NODE_ENABLED_INSTRUMENTATIONS;
    expect(resolveEnabledInstrumentations().has('pg')).toBe(false);
    expect(resolveEnabledInstrumentations().has('express')).toBe(true);
  });

  it('lets options win over the environment', () => {
    process.env.OTEL_NODE_DISABLED_INSTRUMENTATIONS = 'express';
    const enabled = resolveEnabledInstrumentations({ express: {}, dns: true, http: false });
    expect(enabled.has('express')).toBe(true);
    expect(enabled.has('dns')).toBe(true);
    expect(enabled.has('http')).toBe(false);
  });

  it('builds exactly the enabled instrumentations, through upstream and @fastify/otel', () => {
    const names = createInstrumentations({ fs: true, mongodb: false }, new TimeoutTracker()).map((i) => i.instrumentationName);
    expect(names).toContain('@opentelemetry/instrumentation-http');
    expect(names).toContain('@opentelemetry/instrumentation-undici');
    expect(names).toContain('@opentelemetry/instrumentation-fs');
    expect(names).toContain('@fastify/otel');
    expect(names).not.toContain('@opentelemetry/instrumentation-mongodb');
    expect(names).not.toContain('@opentelemetry/instrumentation-dns');
    expect(names).toHaveLength(DEFAULT_INSTRUMENTATIONS.length); // +fs -mongodb
  });
});

describe('endpoint', () => {
  it.each([
    ['http://payscope:4318', 'http://payscope:4318/v1/traces'],
    ['http://payscope:4318/', 'http://payscope:4318/v1/traces'],
    ['https://ingest.example.com/otlp/v1/traces', 'https://ingest.example.com/otlp/v1/traces'],
  ])('%s → %s', (endpoint, url) => {
    expect(tracesUrl(endpoint)).toBe(url);
  });
});

describe('package metadata', () => {
  it('reports the version in package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { name: string; version: string };
    expect({ name: PACKAGE_NAME, version: PACKAGE_VERSION }).toEqual({ name: pkg.name, version: pkg.version });
  });
});

describe('@payscope/instrumentation/conventions', () => {
  // The dashboard's analytics import the shared names by package name: both builds must serve them.
  it('exports the shared names from the ESM and the CommonJS build', async () => {
    const esm = (await import('@payscope/instrumentation/conventions')) as Record<string, unknown>;
    const cjs = createRequire(import.meta.url)('@payscope/instrumentation/conventions') as Record<string, unknown>;
    expect(Object.keys(cjs).sort()).toEqual(Object.keys(esm).sort());
    expect(esm.ATTR_PAYMENT_ORDER_ID).toBe('payment.order_id');
    expect(new (esm.GatewayHostTable as new () => { lookup(h: string): string | undefined })().lookup('api.stripe.com')).toBe('stripe');
    expect(esm.TIMEOUT_ERROR_CODES).toContain('ETIMEDOUT');
    const cjsTable = new (cjs.GatewayHostTable as new () => { lookup(h: string): string | undefined })();
    expect(cjsTable.lookup('x.checkout-live.adyenpayments.com')).toBe('adyen');
  });
});
