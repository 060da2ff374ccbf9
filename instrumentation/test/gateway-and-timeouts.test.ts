import { EventEmitter } from 'node:events';
import http from 'node:http';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import { GatewayHostTable, GatewaySpanProcessor, isTimeoutError, TimeoutTracker } from '../src/index.js';
import { close, listen, startInMemoryPayscope, waitForSpan, type InMemoryPayscope } from './helpers/in-process.js';
import { refusedEndpoint } from './helpers/trace-backend.js';

// Fake providers on 127.0.0.2, which the host table maps to the "mockpay" gateway.
let payscope: InMemoryPayscope;
let silent: http.Server; // accepts the request, never answers
let failing: http.Server; // answers 502
let silentUrl: string;
let failingUrl: string;

beforeAll(async () => {
  payscope = startInMemoryPayscope({ gatewayHosts: { '127.0.0.2': 'mockpay' } });
  silent = http.createServer(() => {});
  failing = http.createServer((_req, res) => {
    res.writeHead(502).end('bad gateway');
  });
  silentUrl = await listen(silent, '127.0.0.2');
  failingUrl = await listen(failing, '127.0.0.2');
});

afterAll(async () => {
  await Promise.all([close(silent), close(failing)]);
  await payscope.handle.shutdown();
});

/** Runs `request` and returns the client span it produced, found by a unique path. */
async function clientSpanFor(path: string, request: () => Promise<unknown>): Promise<ReadableSpan> {
  await request().catch(() => undefined);
  return waitForSpan(payscope, (spans) =>
    spans.find((s) => s.kind === SpanKind.CLIENT && String(s.attributes['url.full']).endsWith(path)),
  );
}

function httpRequest(url: string, options: http.RequestOptions, onRequest?: (req: http.ClientRequest) => void): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, options, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    onRequest?.(req);
    req.end();
  });
}

function expectTimeout(span: ReadableSpan): void {
  expect(span.status.code).toBe(SpanStatusCode.ERROR);
  expect(span.attributes['payment.timeout']).toBe(true);
  expect(span.attributes['error.type']).toBe('timeout');
  expect(span.attributes['payment.gateway']).toBe('mockpay');
}

function expectProviderError(span: ReadableSpan): void {
  expect(span.status.code).toBe(SpanStatusCode.ERROR);
  expect(span.attributes['payment.timeout']).toBeUndefined();
  expect(span.attributes['error.type']).not.toBe('timeout');
}

describe('gateway detection on client spans', () => {
  const tracer = () => trace.getTracer('gateway-test');

  it('uses the built-in table', async () => {
    tracer().startSpan('POST', { kind: SpanKind.CLIENT, attributes: { 'server.address': 'api.stripe.com' } }).end();
    tracer().startSpan('POST /gateway.do', { kind: SpanKind.CLIENT, attributes: { 'url.full': 'https://openapi.alipay.com/gateway.do' } }).end();
    const stripe = await waitForSpan(payscope, (s) => s.find((x) => x.attributes['server.address'] === 'api.stripe.com'));
    const alipay = await waitForSpan(payscope, (s) => s.find((x) => x.name === 'POST /gateway.do'));
    expect(stripe.attributes['payment.gateway']).toBe('stripe');
    expect(alipay.attributes['payment.gateway']).toBe('alipay');
  });

  it('keeps a gateway the app set itself, and ignores non-client spans', async () => {
    tracer()
      .startSpan('charge', { kind: SpanKind.CLIENT, attributes: { 'server.address': 'api.stripe.com', 'payment.gateway': 'stripe-connect' } })
      .end();
    tracer().startSpan('webhook', { kind: SpanKind.SERVER, attributes: { 'server.address': 'api.stripe.com' } }).end();
    const charge = await waitForSpan(payscope, (s) => s.find((x) => x.name === 'charge'));
    const webhook = await waitForSpan(payscope, (s) => s.find((x) => x.name === 'webhook'));
    expect(charge.attributes['payment.gateway']).toBe('stripe-connect');
    expect(webhook.attributes['payment.gateway']).toBeUndefined();
  });

  it('uses configured hosts on real outbound requests', async () => {
    const span = await clientSpanFor('/pay/502', () => httpRequest(`${failingUrl}/pay/502`, {}));
    expect(span.attributes['payment.gateway']).toBe('mockpay');
    expect(span.attributes['http.response.status_code']).toBe(502);
  });
});

describe('timeouts are marked apart from provider errors', () => {
  it('node:http `timeout` option + destroy() on the timeout event', async () => {
    const span = await clientSpanFor('/pay/http-timeout-option', () =>
      httpRequest(`${silentUrl}/pay/http-timeout-option`, { timeout: 100 }, (req) => {
        req.on('timeout', () => req.destroy());
      }),
    );
    expectTimeout(span);
  });

  it('node:http with AbortSignal.timeout()', async () => {
    const span = await clientSpanFor('/pay/http-abort-signal', () =>
      httpRequest(`${silentUrl}/pay/http-abort-signal`, { signal: AbortSignal.timeout(100) }),
    );
    expectTimeout(span);
  });

  it('fetch (undici) with AbortSignal.timeout()', async () => {
    const span = await clientSpanFor('/pay/fetch-timeout', () => fetch(`${silentUrl}/pay/fetch-timeout`, { signal: AbortSignal.timeout(100) }));
    expectTimeout(span);
  });

  it('fetch whose timeout fires before the request is under way (undici may report a plain AbortError)', async () => {
    // Most likely on a fresh connection; each round uses a new server, so a new origin.
    for (let i = 0; i < 10; i++) {
      const server = http.createServer(() => {});
      const url = await listen(server, '127.0.0.2');
      await fetch(`${url}/pay/early-timeout-${i}`, { signal: AbortSignal.timeout(1) }).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 5));
      await close(server);
    }
    const spans = (await payscope.spans()).filter((s) => String(s.attributes['url.full']).includes('/pay/early-timeout-'));
    expect(spans.length).toBeGreaterThan(0);
    for (const span of spans) expectTimeout(span);
  });

  it('a provider 502 is a provider error, not a timeout', async () => {
    const span = await clientSpanFor('/pay/provider-error', () => httpRequest(`${failingUrl}/pay/provider-error`, {}));
    expectProviderError(span);
    expect(span.attributes['payment.gateway']).toBe('mockpay');
  });

  it('a refused connection is an error, not a timeout', async () => {
    const refused = await refusedEndpoint();
    const viaHttp = await clientSpanFor('/pay/refused-http', () => httpRequest(`${refused}/pay/refused-http`, {}));
    const viaFetch = await clientSpanFor('/pay/refused-fetch', () => fetch(`${refused}/pay/refused-fetch`));
    expectProviderError(viaHttp);
    expectProviderError(viaFetch);
  });

  it('a request the app cancels on purpose is neither a timeout nor an error', async () => {
    const controller = new AbortController();
    const span = await clientSpanFor('/pay/cancelled', () => {
      const pending = fetch(`${silentUrl}/pay/cancelled`, { signal: controller.signal });
      setTimeout(() => controller.abort(), 50);
      return pending;
    });
    expect(span.attributes['payment.timeout']).toBeUndefined();
    expect(span.status.code).not.toBe(SpanStatusCode.ERROR);
  });
});

describe('a client span ended as a deliberate cancel', () => {
  // What the undici instrumentation produces for an AbortError: status unset, no response.
  const cancelled = (tracker: TimeoutTracker, reason: unknown) => {
    const processor = new GatewaySpanProcessor(new GatewayHostTable({ '127.0.0.2': 'mockpay' }), tracker);
    const tracer = new TracerProvider({ spanProcessors: [processor] }).getTracer('cancel-test');
    const span = tracer.startSpan('POST', { kind: SpanKind.CLIENT, attributes: { 'url.full': 'http://127.0.0.2:9/pay' } });
    const controller = new AbortController();
    tracker.linkSignal(span, controller.signal);
    controller.abort(reason);
    span.end();
    return span as unknown as ReadableSpan;
  };

  it('is a timeout when its request signal was aborted by a timeout', () => {
    expectTimeout(cancelled(new TimeoutTracker(), new DOMException('The operation was aborted due to timeout', 'TimeoutError')));
  });

  it('stays a cancel when the app aborted for its own reasons', () => {
    const span = cancelled(new TimeoutTracker(), undefined);
    expect(span.attributes['payment.timeout']).toBeUndefined();
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
  });
});

describe('TimeoutTracker.httpRequestHook', () => {
  // The http instrumentation binds a client request to its context before calling the hook, which
  // wraps every listener added through the request's own methods; the hook's listeners need no
  // context, so it adds them with EventEmitter's own method (finding: a closure and two WeakMaps per request).
  it("adds its listeners without the request's own (context-bound) listener methods, and still sees the timeout", () => {
    const request = Object.assign(new EventEmitter(), { getHeader: () => undefined });
    for (const method of ['on', 'once', 'addListener', 'prependListener', 'prependOnceListener'] as const) {
      request[method] = () => {
        throw new Error(`${method} called`);
      };
    }
    const tracker = new TimeoutTracker();
    const span = new TracerProvider().getTracer('hook-test').startSpan('POST', { kind: SpanKind.CLIENT });
    tracker.httpRequestHook(span, request);
    expect(tracker.has(span)).toBe(false);
    request.emit('timeout');
    expect(tracker.has(span)).toBe(true);

    const other = new TracerProvider().getTracer('hook-test').startSpan('POST', { kind: SpanKind.CLIENT });
    const aborted = Object.assign(new EventEmitter(), { getHeader: () => undefined });
    tracker.httpRequestHook(other, aborted);
    aborted.on('error', () => undefined);
    aborted.emit('error', new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
    expect(tracker.has(other)).toBe(true);
  });

  it('leaves incoming requests alone', () => {
    const incoming = new EventEmitter();
    const span = new TracerProvider().getTracer('hook-test').startSpan('GET', { kind: SpanKind.SERVER });
    new TimeoutTracker().httpRequestHook(span, incoming);
    expect(incoming.listenerCount('timeout')).toBe(0);
  });
});

describe('isTimeoutError', () => {
  it.each([
    [Object.assign(new Error('connect ETIMEDOUT 10.0.0.1:443'), { code: 'ETIMEDOUT' }), true],
    [Object.assign(new Error('Headers Timeout Error'), { code: 'UND_ERR_HEADERS_TIMEOUT' }), true],
    [new DOMException('The operation was aborted due to timeout', 'TimeoutError'), true],
    [new Error('The operation was aborted', { cause: new DOMException('signal timed out', 'TimeoutError') }), true],
    [new Error('timeout of 5000ms exceeded'), true],
    [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), false],
    [new Error('card_declined'), false],
    [new DOMException('This operation was aborted', 'AbortError'), false],
    ['timeout', false],
  ])('%s → %s', (error, expected) => {
    expect(isTimeoutError(error)).toBe(expected);
  });
});
