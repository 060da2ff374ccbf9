import http from 'node:http';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLuhnValid, maskCardNumbers, RedactingSpanExporter, SpanRedactor, withStage } from '../src/index.js';
import { close, httpGet, listen, startInMemoryPayscope, waitForSpan, type InMemoryPayscope } from './helpers/in-process.js';

// Test card numbers (all Luhn-valid): Visa 4111 1111 1111 1111, Mastercard 5555 5555 5555 4444,
// Amex 3782 822463 10005 (15 digits), Visa 13-digit 4222222222222, UnionPay 19-digit 6212345678901265.

describe('card numbers', () => {
  it.each([
    ['4111111111111111', '************1111'],
    ['4111 1111 1111 1111', '**** **** **** 1111'],
    ['4111-1111-1111-1111', '****-****-****-1111'],
    ['3782 822463 10005', '**** ****** *0005'],
    ['4222222222222', '*********2222'],
    ['6212345678901265', '************1265'],
    ['6250941006528599', '************8599'],
    ['card=5555555555554444&exp=12/29', 'card=************4444&exp=12/29'],
    ['pay with 4111 1111 1111 1111 today', 'pay with **** **** **** 1111 today'],
    // a card right after other digits is still found, the other digits are kept
    ['order 12 4111 1111 1111 1111', 'order 12 **** **** **** 1111'],
    ['2024-01-15 4111-1111-1111-1111', '2024-01-15 ****-****-****-1111'],
    ['card4111111111111111x', 'card************1111x'],
  ])('masks %s', (input, expected) => {
    expect(maskCardNumbers(input)).toBe(expected);
  });

  it.each([
    '4111111111111112', // Luhn fails
    '1234 5678 9012 3456', // Luhn fails
    '411111111111', // 12 digits: too short
    '41111111111111111111111', // 23 digits in a row: an id, not a card
    'order 2024011512345678 shipped', // Luhn fails
    'trace 4bf92f3577b34da6a3ce929d0e0e4736',
    'no digits here',
    '4111  1111  1111  1111', // double spaces are not card separators
  ])('leaves %s alone', (input) => {
    expect(maskCardNumbers(input)).toBe(input);
  });

  it('checks Luhn', () => {
    expect(isLuhnValid('79927398713')).toBe(true);
    expect(isLuhnValid('79927398710')).toBe(false);
    expect(isLuhnValid('')).toBe(false);
  });
});

describe('SpanRedactor', () => {
  const redactor = new SpanRedactor();

  it('drops sensitive headers and card fields, whatever their spelling', () => {
    const out = redactor.redactAttributes({
      'http.request.header.authorization': ['Bearer sk_live_abc'],
      'http.request.header.cookie': ['session=abc'],
      'http.response.header.set-cookie': ['session=abc'],
      'http.request.header.x-api-key': ['k'],
      'http.request.header.api-key': ['k'],
      'card.cvv': '123',
      cvc: '123',
      'payment.card.pan': '4111111111111111',
      card_number: '4111111111111111',
      'body.cardNumber': '4111111111111111',
      'http.request.method': 'POST',
      'http.request.header.content-type': ['application/json'],
      'japan.region': 'kanto',
    });
    expect(out).toEqual({
      'http.request.method': 'POST',
      'http.request.header.content-type': ['application/json'],
      'japan.region': 'kanto',
    });
  });

  it('masks key=value pairs and card numbers inside text', () => {
    expect(redactor.redactText('https://pay.example/charge?pan=4111111111111111&cvv=123&amount=10')).toBe(
      'https://pay.example/charge?pan=[REDACTED]&cvv=[REDACTED]&amount=10',
    );
    expect(redactor.redactText('{"card_number":"4111 1111 1111 1111","cvc":"737","currency":"CNY"}')).toBe(
      '{"card_number":"[REDACTED]","cvc":"[REDACTED]","currency":"CNY"}',
    );
    expect(redactor.redactText('Authorization: Bearer sk_live_123 rest')).toBe('Authorization: [REDACTED] rest');
    expect(redactor.redactText('declined card 5555-5555-5555-4444 (cardNumber: 5555555555554444)')).toBe(
      'declined card ****-****-****-4444 (cardNumber: [REDACTED])',
    );
    expect(redactor.redactText('japan=tokyo; timespan: 5')).toBe('japan=tokyo; timespan: 5');
  });

  it('masks cards in string arrays and in numbers', () => {
    expect(redactor.redactAttributes({ a: ['x 4111111111111111', 'y'], n: 4111111111111111, small: 42, ts: 1_700_000_000_000 })).toEqual({
      a: ['x ************1111', 'y'],
      n: '************1111',
      small: 42,
      ts: 1_700_000_000_000,
    });
  });

  it('returns the same objects when there is nothing to redact', () => {
    const attributes = { 'http.request.method': 'GET', 'url.full': 'http://ledger/charge?order=123' };
    expect(redactor.redactAttributes(attributes)).toBe(attributes);
  });

  it('takes extra sensitive keys, and can leave card numbers alone', () => {
    const custom = new SpanRedactor({ sensitiveKeys: ['x-merchant-secret'], cardNumbers: false });
    expect(custom.redactAttributes({ 'http.request.header.x-merchant-secret': ['s'], note: '4111111111111111' })).toEqual({
      note: '4111111111111111',
    });
    expect(custom.redactText('x_merchant_secret=abc')).toBe('x_merchant_secret=[REDACTED]');
  });

  it('fails closed: a span that cannot be redacted is not exported', async () => {
    const inner = new InMemorySpanExporter();
    const throwing = { redactSpan: () => { throw new Error('boom'); } } as unknown as SpanRedactor;
    const exporter = new RedactingSpanExporter(inner, throwing);
    const result = await new Promise((resolve) => exporter.export([{} as ReadableSpan], resolve));
    expect(result).toEqual({ code: ExportResultCode.SUCCESS });
    expect(inner.getFinishedSpans()).toHaveLength(0);
  });
});

describe('redaction in the export pipeline (on by default)', () => {
  let payscope: InMemoryPayscope;
  let server: http.Server;
  let url: string;

  beforeAll(async () => {
    payscope = startInMemoryPayscope({
      instrumentations: {
        // A team that captures headers: the sensitive ones must still never leave the process.
        http: { headersToSpanAttributes: { client: { requestHeaders: ['authorization', 'x-api-key', 'x-request-id'] } } },
      },
    });
    server = http.createServer((_req, res) => res.end('ok'));
    url = await listen(server);
  });

  afterAll(async () => {
    await close(server);
    await payscope.handle.shutdown();
  });

  it('masks URLs and drops captured credentials on real client spans', async () => {
    await httpGet(`${url}/charge?card=4111-1111-1111-1111&cvv=123`, {
      headers: { authorization: 'Bearer sk_live_secret', 'x-api-key': 'key_123', 'x-request-id': 'req-7' },
    });
    const span = await waitForSpan(payscope, (spans) =>
      spans.find((s) => s.kind === SpanKind.CLIENT && String(s.attributes['url.full']).includes('/charge')),
    );
    expect(span.attributes['url.full']).toBe(`${url}/charge?card=****-****-****-1111&cvv=[REDACTED]`);
    expect(span.attributes['http.request.header.authorization']).toBeUndefined();
    expect(span.attributes['http.request.header.x-api-key']).toBeUndefined();
    expect(span.attributes['http.request.header.x-request-id']).toEqual(['req-7']);
    const server = await waitForSpan(payscope, (spans) =>
      spans.find((s) => s.kind === SpanKind.SERVER && s.attributes['url.path'] === '/charge'),
    );
    expect(String(server.attributes['url.query'])).not.toContain('4111-1111');
  });

  it('masks span names, event attributes and exception messages', async () => {
    const tracer = trace.getTracer('redaction-test');
    const span = tracer.startSpan('lookup 4111111111111111', { attributes: { note: 'pan 5555 5555 5555 4444' } });
    span.addEvent('card.checked', { 'card.number.raw': '4111111111111111', 'card.cvv': '123' });
    span.end();
    expect(() =>
      withStage('gateway.request', () => {
        throw new Error('provider rejected card 4111 1111 1111 1111');
      }),
    ).toThrow();

    const named = await waitForSpan(payscope, (spans) => spans.find((s) => s.name.startsWith('lookup')));
    expect(named.name).toBe('lookup ************1111');
    expect(named.attributes.note).toBe('pan **** **** **** 4444');
    expect(named.events[0].attributes).toEqual({ 'card.number.raw': '************1111' });

    const failed = await waitForSpan(payscope, (spans) => spans.find((s) => s.name === 'gateway.request'));
    expect(failed.status).toEqual({ code: SpanStatusCode.ERROR, message: 'provider rejected card **** **** **** 1111' });
    const exception = failed.events.find((e) => e.name === 'exception');
    expect(exception?.attributes?.['exception.message']).toBe('provider rejected card **** **** **** 1111');
    expect(String(exception?.attributes?.['exception.stacktrace'])).not.toContain('4111 1111 1111 1111');
  });
});
