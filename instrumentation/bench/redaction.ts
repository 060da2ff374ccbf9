// Cost of redaction per exported attribute, on the attributes real spans carry.
//
//   node --import tsx instrumentation/bench/redaction.ts
//
// Redacts a batch of spans shaped like the ones the http, undici and pg instrumentations and the
// payment context make (no secrets: the common case), then the same with a card and a bearer
// token in the URL, a 64 KiB string of digits and separators (the longest value the default
// limit scans: the worst case per value), the same at 1 MB with the limit raised (the scanners'
// cost) and with the default limit (replaced whole). Prints ns per attribute and MB/s.
// REDACTION_MODULE=<path> measures another build of redaction.ts (to compare before/after).
import { pathToFileURL } from 'node:url';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';

const modulePath = process.env.REDACTION_MODULE;
const { SpanRedactor } = (await import(modulePath ? pathToFileURL(modulePath).href : '../src/redaction.js')) as typeof import('../src/redaction.js');

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const SPANS = 20_000;

function span(attributes: Record<string, unknown>, name = 'POST /orders/:orderId/pay'): ReadableSpan {
  return {
    name,
    kind: 1,
    spanContext: () => ({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 1 }),
    startTime: [1_700_000_000, 0],
    endTime: [1_700_000_000, 5_000_000],
    status: { code: 0 },
    attributes,
    links: [],
    events: [],
    duration: [0, 5_000_000],
    ended: true,
    resource: { attributes: {} },
    instrumentationScope: { name: 'bench' },
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  } as unknown as ReadableSpan;
}

const clean = {
  'http.request.method': 'POST',
  'url.full': 'http://payment:8080/orders/ord-2024-000123/pay?channel=alipay&amount=12.50',
  'url.path': '/orders/ord-2024-000123/pay',
  'url.query': 'channel=alipay&amount=12.50',
  'url.scheme': 'http',
  'server.address': 'payment',
  'server.port': 8080,
  'network.peer.address': '10.0.3.17',
  'user_agent.original': 'node',
  'http.response.status_code': 200,
  'http.route': '/orders/:orderId/pay',
  'payment.order_id': 'ord-2024-000123',
  'payment.channel': 'alipay',
  'payment.amount': '12.50',
  'payment.currency': 'CNY',
  'db.query.text': 'SELECT id, status FROM orders WHERE id = $1',
};
const dirty = {
  ...clean,
  'url.full': 'http://payment:8080/charge?card=4111-1111-1111-1111&access_token=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc',
  'url.query': 'card=4111+1111+1111+1111&password=hunter2',
};

const redactor = new SpanRedactor();
const unlimited = new SpanRedactor({ maxValueLength: 2_000_000 });
const cases: Array<{ label: string; spans: ReadableSpan[]; attributes: number; bytes: number; redactor?: InstanceType<typeof SpanRedactor> }> = [];
for (const [label, attributes] of [['clean http span', clean], ['card and token in URL', dirty]] as const) {
  const spans = Array.from({ length: SPANS }, () => span({ ...attributes }));
  const bytes = Object.values(attributes).reduce<number>((n, v) => n + String(v).length, 0) * SPANS;
  cases.push({ label, spans, attributes: Object.keys(attributes).length * SPANS, bytes });
}
const seps = [' ', '-', '.', '+', '%20', '\t', '\u00a0', '  '];
let big = '';
for (let i = 0; big.length < 1_000_000; i++) big += String((i * 7919) % 10_000).padStart(4, '0') + seps[i % seps.length];
const limit = big.slice(0, 65_536);
cases.push({ label: '64 KiB of digits and separators', spans: [span({ body: limit })], attributes: 1, bytes: limit.length });
cases.push({ label: '1 MB of them, limit raised', spans: [span({ body: big })], attributes: 1, bytes: big.length, redactor: unlimited });
cases.push({ label: '1 MB of them, over the limit', spans: [span({ body: big })], attributes: 1, bytes: big.length });

console.log(`module: ${modulePath ?? 'src/redaction.ts'}`);
for (const c of cases) {
  const times: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const start = process.hrtime.bigint();
    for (const s of c.spans) (c.redactor ?? redactor).redactSpan(s);
    times.push(Number(process.hrtime.bigint() - start));
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  console.log(
    `${c.label.padEnd(32)} ${(median / c.attributes).toFixed(0).padStart(9)} ns/attribute ${((c.bytes / median) * 1000).toFixed(1).padStart(8)} MB/s`,
  );
}
