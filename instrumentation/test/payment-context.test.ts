import http from 'node:http';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  getPaymentContext,
  markStage,
  recordOutcome,
  withPayment,
  withStage,
} from '../src/index.js';
import { close, httpGet, listen, startInMemoryPayscope, waitForSpan, type InMemoryPayscope } from './helpers/in-process.js';

// Service A (checkout) calls service B (ledger) over a real HTTP hop; B has no payscope code.
// A third server on 127.0.0.2 plays a payment gateway ("mockpay" in the host table).
let payscope: InMemoryPayscope;
let serviceB: http.Server;
let serviceA: http.Server;
let gateway: http.Server;
let urlA: string;
let urlB: string;
let urlGateway: string;
const headersSeenByB: http.IncomingHttpHeaders[] = [];
const headersSeenByGateway: http.IncomingHttpHeaders[] = [];

beforeAll(async () => {
  payscope = startInMemoryPayscope({ gatewayHosts: { '127.0.0.2': 'mockpay' } });
  serviceB = http.createServer((req, res) => {
    headersSeenByB.push(req.headers);
    res.end('ledger ok');
  });
  gateway = http.createServer((req, res) => {
    headersSeenByGateway.push(req.headers);
    res.end('{"paid":true}');
  });
  urlB = await listen(serviceB);
  urlGateway = await listen(gateway, '127.0.0.2');
  serviceA = http.createServer((req, res) => {
    const orderId = new URL(req.url ?? '/', 'http://x').searchParams.get('order');
    if (orderId === null) {
      void httpGet(`${urlB}/balance`).then((r) => res.end(`no payment: ${r.body}`));
      return;
    }
    withPayment({ orderId, channel: 'wechatpay', amount: 99.9, currency: 'cny' }, async () => {
      const ledger = await httpGet(`${urlB}/charge`);
      const paid = await httpGet(`${urlGateway}/v3/pay/transactions`);
      res.end(`${ledger.body} / ${paid.body} / ${getPaymentContext()?.orderId}`);
    });
  });
  urlA = await listen(serviceA);
});

afterAll(async () => {
  await Promise.all([close(serviceA), close(serviceB), close(gateway)]);
  await payscope.handle.shutdown();
});

const serverSpan = (port: string, path: string) => (spans: ReadableSpan[]) =>
  spans.find(
    (s) => s.kind === SpanKind.SERVER && s.attributes['url.path'] === path && String(s.attributes['server.port']) === port,
  );

describe('payment context across an HTTP hop', () => {
  it('stamps the downstream service spans through W3C baggage, with no code in the downstream service', async () => {
    const response = await httpGet(`${urlA}/pay?order=ord-1`);
    expect(response.body).toBe('ledger ok / {"paid":true} / ord-1');

    const portB = new URL(urlB).port;
    const bServer = await waitForSpan(payscope, serverSpan(portB, '/charge'));
    expect(bServer.attributes).toMatchObject({ 'payment.order_id': 'ord-1', 'payment.channel': 'wechatpay' });
    // Amount and currency travel in the baggage but are recorded where the payment was opened.
    expect(bServer.attributes['payment.amount']).toBeUndefined();
    // It really travelled in the request: B received the baggage header.
    const baggage = headersSeenByB.map((h) => h.baggage).find((b) => typeof b === 'string' && b.includes('ord-1'));
    expect(baggage).toContain('payment.order_id=ord-1');
    expect(baggage).toContain('payment.channel=wechatpay');
    expect(baggage).toContain('payment.amount=99.9');
    expect(baggage).toContain('payment.currency=CNY');

    // One trace: A's server span, A's client span, B's server span.
    const aServer = await waitForSpan(payscope, serverSpan(new URL(urlA).port, '/pay'));
    expect(bServer.spanContext().traceId).toBe(aServer.spanContext().traceId);
    // withPayment ran inside A's handler: A's server span (already started) gets the whole payment.
    expect(aServer.attributes).toMatchObject({
      'payment.order_id': 'ord-1',
      'payment.channel': 'wechatpay',
      'payment.amount': '99.9',
      'payment.currency': 'CNY',
    });
    const aClient = (await payscope.spans()).find(
      (s) => s.kind === SpanKind.CLIENT && s.attributes['url.full'] === `${urlB}/charge`,
    );
    expect(aClient?.attributes['payment.channel']).toBe('wechatpay');
  });

  it('does not send the payment baggage to a payment gateway, but still tags the client span', async () => {
    await httpGet(`${urlA}/pay?order=ord-2`);
    expect(headersSeenByB.at(-1)?.baggage).toContain('payment.order_id=ord-2');
    const gatewayHeaders = headersSeenByGateway.at(-1);
    expect(gatewayHeaders?.traceparent).toBeDefined();
    expect(gatewayHeaders?.baggage).toBeUndefined();

    const client = await waitForSpan(payscope, (spans) =>
      spans.find((s) => s.kind === SpanKind.CLIENT && s.attributes['payment.gateway'] === 'mockpay' && s.attributes['payment.order_id'] === 'ord-2'),
    );
    expect(client.attributes['server.address']).toBe('127.0.0.2');
  });

  it('caps an inbound baggage value at 256 characters on each span, and keeps a value the span set itself', async () => {
    const longOrder = `ord-${'7'.repeat(1000)}`;
    const portB = new URL(urlB).port;
    for (const path of ['/long-1', '/long-2']) {
      await httpGet(`${urlB}${path}`, { headers: { baggage: `payment.order_id=${longOrder},payment.channel=${path.slice(1)}` } });
    }
    for (const path of ['/long-1', '/long-2']) {
      const bServer = await waitForSpan(payscope, serverSpan(portB, path));
      expect(bServer.attributes['payment.order_id']).toBe(longOrder.slice(0, 256));
      expect(bServer.attributes['payment.channel']).toBe(path.slice(1));
    }

    withPayment({ orderId: 'ord-outer', channel: 'card' }, () => {
      trace.getTracer('payment-context-test').startSpan('own order', { attributes: { 'payment.order_id': 'ord-own' } }).end();
    });
    const own = await waitForSpan(payscope, (spans) => spans.find((s) => s.name === 'own order'));
    expect(own.attributes).toMatchObject({ 'payment.order_id': 'ord-own', 'payment.channel': 'card' });
  });

  it('leaves spans outside a payment untagged', async () => {
    const response = await httpGet(`${urlA}/pay`);
    expect(response.body).toBe('no payment: ledger ok');
    const bServer = await waitForSpan(payscope, serverSpan(new URL(urlB).port, '/balance'));
    expect(bServer.attributes['payment.order_id']).toBeUndefined();
    expect(headersSeenByB.at(-1)?.baggage).toBeUndefined();
  });
});

describe('stages and outcomes', () => {
  const tracer = () => trace.getTracer('payment-context-test');

  it('withStage makes a span named after the stage, inside the payment', async () => {
    const result = await withPayment({ orderId: 'ord-3', channel: 'alipay' }, () =>
      withStage('gateway.request', async () => {
        await new Promise((r) => setTimeout(r, 5));
        return 'sent';
      }),
    );
    expect(result).toBe('sent');
    const span = await waitForSpan(payscope, (spans) =>
      spans.find((s) => s.name === 'gateway.request' && s.attributes['payment.order_id'] === 'ord-3'),
    );
    expect(span.kind).toBe(SpanKind.INTERNAL);
    expect(span.attributes['payment.stage']).toBe('gateway.request');
    expect(span.attributes['payment.channel']).toBe('alipay');
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('withStage records a failure on the span and passes it on unchanged', async () => {
    const failure = new Error('ledger unavailable');
    await expect(
      withPayment({ orderId: 'ord-4' }, () =>
        withStage('order.confirm', async () => {
          throw failure;
        }),
      ),
    ).rejects.toBe(failure);
    expect(() => withStage('order.create', () => {
      throw failure;
    })).toThrow(failure);

    const span = await waitForSpan(payscope, (spans) =>
      spans.find((s) => s.name === 'order.confirm' && s.attributes['payment.order_id'] === 'ord-4'),
    );
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'ledger unavailable' });
    expect(span.events.find((e) => e.name === 'exception')?.attributes?.['exception.message']).toBe('ledger unavailable');
  });

  it('markStage and recordOutcome tag the active span; a decline is an outcome, not a span error', async () => {
    withPayment({ orderId: 'ord-5', channel: 'card', amount: 10, currency: 'usd' }, () => {
      tracer().startActiveSpan('callback handler', (span) => {
        markStage('gateway.callback');
        recordOutcome('failed', { errorCode: 'card_declined' });
        span.end();
      });
    });
    const span = await waitForSpan(payscope, (spans) => spans.find((s) => s.name === 'callback handler'));
    expect(span.attributes).toMatchObject({
      'payment.order_id': 'ord-5',
      'payment.stage': 'gateway.callback',
      'payment.outcome': 'failed',
      'payment.error_code': 'card_declined',
    });
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('withPayment inside nested internal spans tags them and the entry span above them, not the caller of the entry', async () => {
    tracer().startActiveSpan('caller', { kind: SpanKind.CLIENT }, (caller) => {
      tracer().startActiveSpan('POST /nested', { kind: SpanKind.SERVER }, (entry) => {
        tracer().startActiveSpan('middleware', (middleware) => {
          tracer().startActiveSpan('request handler', (handler) => {
            withPayment({ orderId: 'ord-nested', channel: 'card', amount: '3.00', currency: 'EUR' }, () => undefined);
            handler.end();
          });
          middleware.end();
        });
        entry.end();
      });
      caller.end();
    });
    const spans = await payscope.spans();
    for (const name of ['POST /nested', 'middleware', 'request handler']) {
      expect(spans.find((s) => s.name === name)?.attributes, name).toMatchObject({
        'payment.order_id': 'ord-nested',
        'payment.channel': 'card',
        'payment.amount': '3.00',
        'payment.currency': 'EUR',
      });
    }
    expect(spans.find((s) => s.name === 'caller')?.attributes['payment.order_id']).toBeUndefined();
  });

  it('does not move an ancestor span that belongs to another payment', async () => {
    tracer().startActiveSpan('settle batch', { kind: SpanKind.SERVER }, (batch) => {
      withPayment({ orderId: 'b-1', channel: 'card' }, () => undefined);
      tracer().startActiveSpan('settle b-2', (item) => {
        withPayment({ orderId: 'b-2', channel: 'card' }, () => undefined);
        item.end();
      });
      batch.end();
    });
    const batch = await waitForSpan(payscope, (spans) => spans.find((s) => s.name === 'settle batch'));
    const item = await waitForSpan(payscope, (spans) => spans.find((s) => s.name === 'settle b-2'));
    expect(batch.attributes['payment.order_id']).toBe('b-1');
    expect(item.attributes['payment.order_id']).toBe('b-2');
  });

  it('getPaymentContext reads the payment back inside, and nothing outside', () => {
    expect(getPaymentContext()).toBeUndefined();
    const inside = withPayment({ orderId: 'ord-6', channel: 'paypal', amount: '5.00', currency: 'EUR' }, () => getPaymentContext());
    expect(inside).toEqual({ orderId: 'ord-6', channel: 'paypal', amount: '5.00', currency: 'EUR' });
  });

  it('withPayment without an order id runs the function without a payment context', () => {
    const inside = withPayment({ orderId: '' }, () => getPaymentContext());
    expect(inside).toBeUndefined();
  });
});
