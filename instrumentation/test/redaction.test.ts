import http from 'node:http';
import { SpanKind, SpanStatusCode, trace, type Attributes } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLuhnValid, maskCardNumbers, MAX_REDACTED_VALUE_LENGTH, REDACTED, RedactingSpanExporter, SpanRedactor, withStage } from '../src/index.js';
import { close, httpGet, listen, startInMemoryPayscope, waitForSpan, type InMemoryPayscope } from './helpers/in-process.js';
import {
  CARDS,
  formatCard,
  fullwidth,
  leaksCard,
  maskedCard,
  PLAIN_KEYS,
  SECRET_KEYS,
  SECRETS,
  SEPARATORS,
  survivors,
  visibleDigits,
} from './helpers/redaction-corpus.js';

const redactor = new SpanRedactor();

describe('card numbers: every brand and length, every separator', () => {
  const table = CARDS.flatMap((card) => SEPARATORS.map(([label, separator]) => [card.brand, label, card, separator] as const));

  it.each(table)('%s with %s separators is masked to its last four', (_brand, _label, card, separator) => {
    const text = formatCard(card, separator);
    expect(maskCardNumbers(text)).toBe(maskedCard(card, separator));
  });

  it.each(CARDS.map((card) => [card.brand, card] as const))('%s with mixed separators', (_brand, card) => {
    const mixed = [' ', '-', '%20', '.', '\t', '\u00a0'];
    expect(maskCardNumbers(formatCard(card, mixed))).toBe(maskedCard(card, mixed));
  });

  it.each(CARDS.map((card) => [card.brand, card] as const))('%s in fullwidth digits', (_brand, card) => {
    expect(maskCardNumbers(fullwidth(formatCard(card, ' ')))).toBe(fullwidth(maskedCard(card, ' ')));
  });

  const contexts: Array<[label: string, wrap: (card: string) => string]> = [
    ['a query string', (c) => `https://pay.example/charge?card=${c}&amount=12.50&currency=CNY`],
    ['a URL path', (c) => `/v1/cards/${c}/verify`],
    ['a JSON string', (c) => `{"note":"${c}","amount":"12.50"}`],
    ['an exception message', (c) => `Error: provider rejected card ${c} (code 05)`],
    ['a stack trace', (c) => `Error: card ${c} declined\n    at charge (/srv/app/gateway.js:118:11)\n    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)`],
    ['a key=value pair it cuts short', (c) => `card_number=${c}&exp=12/29`],
    ['a sentence after other digits', (c) => `order 12 retry 3 card ${c} today`],
    ['a sentence after a year', (c) => `2026 ${c}`],
  ];
  const spaced = CARDS.map((card) => [card, formatCard(card, ' ')] as const);
  it.each(contexts)('in %s, no card shows more than its last four', (_label, wrap) => {
    for (const [card, text] of spaced) {
      const out = redactor.redactText(wrap(text));
      expect(leaksCard(out, card.digits), `${card.brand}: ${out}`).toBe(false);
      expect(visibleDigits(out), card.brand).toContain(card.digits.slice(-4));
    }
  });

  it('percent-encoded once or twice after a secret key, no card shows more than its last four', () => {
    const leaks: string[] = [];
    for (const card of CARDS) {
      for (const [, separator] of SEPARATORS) {
        const once = encodeURIComponent(`pan: ${formatCard(card, separator)}`);
        for (const text of [`?note=${once}&x=1`, `?next=${encodeURIComponent(`/cb?note=${once}`)}`]) {
          const out = redactor.redactText(text);
          if (leaksCard(out, card.digits)) leaks.push(`${text} → ${out}`);
        }
      }
    }
    expect(leaks).toEqual([]);
  });

  it('keeps the percent-encoding of a URL when the card in it can be masked in place', () => {
    expect(redactor.redactText('/cb?note=card%3A%204111%201111%201111%201111&x=1')).toBe('/cb?note=card%3A%20****%20****%20****%201111&x=1');
    expect(redactor.redactText('/cb?note=%7B%22n%22%3A%224111%2D1111%2D1111%2D1111%22%7D')).toBe(
      '/cb?note=%7B%22n%22%3A%22****%2D****%2D****%2D1111%22%7D',
    );
  });

  it('finding: a card after a key is masked whole, not only its first group', () => {
    const out = redactor.redactText('card_number=5500 0055 5555 5559');
    expect(out).not.toContain('0055 5555');
    expect(leaksCard(out, '5500005555555559')).toBe(false);
  });

  it('a card next to a Luhn-valid run of other digits still shows only its own last four', () => {
    // `5xxx` + the card's first three groups is itself a Luhn-valid 16-digit window for about one
    // lead in ten: both windows are masked, the card's last four still show.
    const card = CARDS.find((c) => c.brand === 'Visa 16')!;
    let overlapping = 0;
    for (let lead = 5000; lead < 5200; lead++) {
      const out = maskCardNumbers(`${lead} ${formatCard(card, ' ')}`);
      expect(out.endsWith(maskedCard(card, ' ')), out).toBe(true);
      if (out.startsWith('****')) overlapping++;
    }
    expect(overlapping).toBeGreaterThan(0);
  });

  it.each(survivors())('keeps %s: %s', (_label, text) => {
    expect(redactor.redactText(text)).toBe(text);
  });

  it.each([
    ['a Luhn-invalid 16-digit number', '4111111111111112'],
    ['a 11-digit number', '41111111113'],
    ['a 12-digit number that is not Maestro', '411111111116'],
  ])('keeps %s', (_label, text) => {
    expect(maskCardNumbers(text)).toBe(text);
  });

  it('checks Luhn', () => {
    expect(isLuhnValid('79927398713')).toBe(true);
    expect(isLuhnValid('79927398710')).toBe(false);
    expect(isLuhnValid('')).toBe(false);
  });
});

describe('secrets in text', () => {
  it.each(SECRETS.map((c) => [c.label, c] as const))('%s', (_label, c) => {
    const out = redactor.redactText(c.text);
    for (const secret of c.secrets) expect(out, out).not.toContain(secret);
    for (const kept of c.keep ?? []) expect(out).toContain(kept);
    expect(out).toContain(REDACTED);
  });

  it.each(SECRETS.map((c) => [c.label, c] as const))('%s, percent-encoded in a query string', (_label, c) => {
    const out = redactor.redactText(`https://shop.example/cb?note=${encodeURIComponent(c.text)}&order=ord-77`);
    for (const secret of c.secrets) {
      expect(out, out).not.toContain(secret);
      expect(out, out).not.toContain(encodeURIComponent(secret));
    }
  });

  it('masks every cookie of a Cookie header, not only the first', () => {
    expect(redactor.redactText('Cookie: a=1; session=abc123; csrf=xyz789')).toBe('Cookie: [REDACTED]');
  });

  it('stops a header value at the end of its line and of its enclosing JSON string', () => {
    expect(redactor.redactText('{"msg":"Authorization: Bearer abcdefghijk","level":"info"}')).toBe(
      '{"msg":"Authorization: [REDACTED]","level":"info"}',
    );
    expect(redactor.redactText('Cookie: a=1\nHost: api')).toBe('Cookie: [REDACTED]\nHost: api');
  });

  it('leaves keys that only contain a secret word alone', () => {
    const text = 'japan=tokyo; timespan: 5; input_tokens=120; token_type=bearer; basic plan';
    expect(redactor.redactText(text)).toBe(text);
  });
});

describe('SpanRedactor on attributes', () => {
  it('drops sensitive keys, whatever their spelling, and keeps others', () => {
    const attributes: Attributes = {};
    for (const key of [...SECRET_KEYS, ...PLAIN_KEYS]) attributes[key] = 'value-1';
    const out = redactor.redactAttributes(attributes);
    expect(Object.keys(out).sort()).toEqual([...PLAIN_KEYS].sort());
  });

  it('masks cards and secrets in string arrays, numbers and number arrays', () => {
    expect(
      redactor.redactAttributes({
        a: ['x 4111111111111111', 'y', 'token=abc123'],
        n: 4111111111111111,
        ns: [4111111111111111, 7],
        small: 42,
        ts: 1_765_000_000_000,
        ok: true,
      }),
    ).toEqual({
      a: ['x ************1111', 'y', 'token=[REDACTED]'],
      n: '************1111',
      ns: ['************1111', 7],
      small: 42,
      ts: 1_765_000_000_000,
      ok: true,
    });
  });

  it('returns the same objects when there is nothing to redact', () => {
    const attributes = { 'http.request.method': 'GET', 'url.full': 'http://ledger/charge?order=123' };
    expect(redactor.redactAttributes(attributes)).toBe(attributes);
  });

  it('gives one answer per text, whatever came before: texts found clean are remembered, no other', () => {
    // The redactor remembers short texts it found clean; every text, in any order and seen any number
    // of times, must come out as a fresh redactor makes it.
    const texts: string[] = [];
    for (const shape of CARDS) for (const [, separator] of SEPARATORS) texts.push(`pay ${formatCard(shape, separator)} now`);
    for (const secret of SECRETS) texts.push(secret.text);
    for (const [, text] of survivors()) texts.push(text);
    for (let i = 0; i < 1500; i++) texts.push(`ord-${i}`, `order=ord-${i}&channel=alipay`); // past the memory's size
    const one = new SpanRedactor();
    const order = [...texts, ...texts];
    let seed = 7;
    for (let i = order.length - 1; i > 0; i--) {
      seed = (seed * 48271) % 2147483647;
      const j = seed % (i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
    for (const text of order) expect(one.redactText(text), text).toBe(new SpanRedactor().redactText(text));
  });

  it('fails closed per value: a value that cannot be read or is not an attribute value becomes [REDACTED]', () => {
    const attributes: Attributes = { 'http.request.method': 'POST' };
    Object.defineProperty(attributes, 'boom', {
      enumerable: true,
      get() {
        throw new Error('getter throws');
      },
    });
    const weird = { 'resource.object': { card: '4111111111111111' }, 'resource.bytes': new Uint8Array([52, 49]), nested: [['4111111111111111']] };
    expect(redactor.redactAttributes(attributes)).toEqual({ 'http.request.method': 'POST', boom: REDACTED });
    expect(redactor.redactAttributes(weird as unknown as Attributes)).toEqual({
      'resource.object': REDACTED,
      'resource.bytes': REDACTED,
      nested: [REDACTED],
    });
  });

  it('takes extra sensitive keys, and can leave card numbers alone', () => {
    const custom = new SpanRedactor({ sensitiveKeys: ['x-merchant-secret-id'], cardNumbers: false });
    expect(custom.redactAttributes({ 'http.request.header.x-merchant-secret-id': ['s'], note: '4111111111111111' })).toEqual({
      note: '4111111111111111',
    });
    expect(custom.redactText('x_merchant_secret_id=abc')).toBe('x_merchant_secret_id=[REDACTED]');
    expect(() => new SpanRedactor({ sensitiveKeys: [''] })).toThrow(/sensitiveKeys/);
  });
});

describe('cost is linear in the input', () => {
  const MB = 1_000_000;
  const repeat = (unit: string) => unit.repeat(Math.ceil(MB / unit.length));
  // The scanners themselves, past the per-value limit that would otherwise replace 1 MB whole.
  const unlimited = new SpanRedactor({ maxValueLength: 2 * MB });

  it('1 MB of cards and separators in one chain', () => {
    // Every window of this chain that does not start at a 4 starts with 1: only the cards are cards.
    expect(maskCardNumbers(repeat('4111 1111 1111 1111 '))).toBe(repeat('**** **** **** 1111 '));
    expect(maskCardNumbers(repeat('4111%201111-1111.1111\t'))).toBe(repeat('****%20****-****.1111\t'));
  });

  it.each([
    ['digits and mixed separators', '1234 %20-5678.\t'],
    ['digits only', '0123456789'],
    ['key=value pairs', 'password=a&'],
    ['keys without separators', 'a_b-c.d'],
    ['unclosed quotes after a secret key', '"password":"'],
    ['unclosed brackets after a secret key', '"password":['],
    ['JWT starts', 'eyJeyJ.'],
    ['bearer words', 'Bearer Bearer '],
    ['URL starts', '//a:b//'],
    ['PEM starts', '-----BEGIN PRIVATE KEY-----'],
    ['hex words', 'deadbeef'],
    ['Authorization headers', 'Authorization: x="'],
  ])('1 MB of %s completes with a sane result', (_label, unit) => {
    const text = repeat(unit);
    const out = unlimited.redactText(text);
    expect(typeof out).toBe('string');
    expect(out.length).toBeGreaterThan(0);
    expect(out.length).toBeLessThanOrEqual(text.length + REDACTED.length * (text.length / unit.length + 1));
  });
});

describe('per-value limit: a huge text is replaced whole, never scanned or cut', () => {
  const card = '4111 1111 1111 1111';

  it('replaces a text over 64 Ki code units by its size, and scans one at the limit', () => {
    const over = `${card} ${'x'.repeat(MAX_REDACTED_VALUE_LENGTH - card.length)}`;
    expect(over.length).toBe(MAX_REDACTED_VALUE_LENGTH + 1);
    expect(redactor.redactText(over)).toBe(`[REDACTED: ${MAX_REDACTED_VALUE_LENGTH + 1} bytes, over the redaction limit]`);
    const at = over.slice(0, MAX_REDACTED_VALUE_LENGTH);
    expect(redactor.redactText(at)).toBe(`**** **** **** 1111 ${'x'.repeat(MAX_REDACTED_VALUE_LENGTH - card.length - 1)}`);
  });

  it('counts UTF-8 bytes in the marker and applies to strings and array items', () => {
    const small = new SpanRedactor({ maxValueLength: 40 });
    const long = `€ ${card} ${'é'.repeat(30)}`; // 52 code units; € is 3 bytes, é 2
    const marker = `[REDACTED: ${Buffer.byteLength(long)} bytes, over the redaction limit]`;
    expect(Buffer.byteLength(long)).toBe(3 + 1 + card.length + 1 + 60);
    expect(small.redactAttributes({ a: long, b: ['ok', long], n: 4111111111111111 })).toEqual({
      a: marker,
      b: ['ok', marker],
      n: '************1111', // numbers are short: scanned as before
    });
    expect(small.redactText(long.slice(0, 40))).toBe(`€ **** **** **** 1111 ${'é'.repeat(18)}`);
  });

  it('refuses a limit that is not a non-negative integer, at start', () => {
    expect(() => new SpanRedactor({ maxValueLength: -1 })).toThrow(/maxValueLength/);
    expect(() => new SpanRedactor({ maxValueLength: 1.5 })).toThrow(/maxValueLength/);
  });
});

describe('RedactingSpanExporter', () => {
  const span = (resource: Resource, attributes: Attributes = {}): ReadableSpan =>
    ({
      name: 'charge',
      kind: SpanKind.INTERNAL,
      spanContext: () => ({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 1 }),
      startTime: [1, 0],
      endTime: [1, 1],
      status: { code: SpanStatusCode.UNSET },
      attributes,
      links: [],
      events: [],
      duration: [0, 1],
      ended: true,
      resource,
      instrumentationScope: { name: 'test' },
      droppedAttributesCount: 0,
      droppedEventsCount: 0,
      droppedLinksCount: 0,
    }) as ReadableSpan;

  const exportThrough = async (spans: ReadableSpan[]) => {
    const inner = new InMemorySpanExporter();
    const exporter = new RedactingSpanExporter(inner);
    const result = await new Promise((resolve) => exporter.export(spans, resolve));
    return { result, spans: inner.getFinishedSpans() };
  };

  it('redacts resource attributes once per resource, waiting for async detectors', async () => {
    const resource = resourceFromAttributes({
      'service.name': 'checkout',
      'process.command_args': ['node', 'app.js', '--stripe-key=sk_live_4eC39HqLyjWDarjtT1zdp7dc', '4111111111111111'],
      'host.id': Promise.resolve('4bf92f3577b34da6a3ce929d0e0e4736'),
      'deploy.token': 'tk9Q2mW7xZp4',
    });
    expect(resource.asyncAttributesPending).toBe(true);
    const { result, spans } = await exportThrough([span(resource), span(resource)]);
    expect(result).toEqual({ code: ExportResultCode.SUCCESS });
    expect(spans[0].resource).toBe(spans[1].resource);
    expect(spans[0].resource.attributes).toEqual({
      'service.name': 'checkout',
      'process.command_args': ['node', 'app.js', '--stripe-key=[REDACTED]', '************1111'],
      'host.id': '4bf92f3577b34da6a3ce929d0e0e4736',
    });
  });

  it('passes spans and resources with nothing to redact through as they are', async () => {
    const resource = resourceFromAttributes({ 'service.name': 'checkout' });
    const clean = span(resource, { 'http.request.method': 'GET' });
    const { spans } = await exportThrough([clean]);
    expect(spans[0]).toBe(clean);
  });

  it('fails closed: a span that cannot be redacted is not exported', async () => {
    const inner = new InMemorySpanExporter();
    const throwing = { redactSpan: () => { throw new Error('boom'); }, redactResource: (r: Resource) => r } as unknown as SpanRedactor;
    const exporter = new RedactingSpanExporter(inner, throwing);
    const result = await new Promise((resolve) => exporter.export([span(resourceFromAttributes({}))], resolve));
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
