import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService } from './helpers/service-process.js';
import { startTraceBackend, type StoredSpan, type TraceBackend } from './helpers/trace-backend.js';
import { CARDS, formatCard, leaksCard, SECRETS, SEPARATORS, survivors } from './helpers/redaction-corpus.js';

// End to end: a real program started with `node --import @payscope/instrumentation/register`
// puts every card and secret shape of the corpus into every place a span has text, and into real
// HTTP requests; the real SDK and OTLP exporter send them to payscope's ingest, which stores them
// in the embedded ClickHouse. Nothing is read back from the exporter: only from the store.

interface Case {
  id: string;
  text: string;
  number?: number;
  card?: string;
  secrets?: string[];
  survives?: boolean;
}

const KEYS = ['', 'card=', 'card_number=', 'pan: ', 'note '];
const cases: Case[] = [];
CARDS.forEach((card, c) =>
  SEPARATORS.forEach(([, separator], s) => {
    const id = `c${cases.length}`;
    const number = separator === '' && Number.isSafeInteger(Number(card.digits)) ? Number(card.digits) : undefined;
    cases.push({ id, text: `${KEYS[(c + s) % KEYS.length]}${formatCard(card, separator)}`, number, card: card.digits });
  }),
);
for (const secret of SECRETS) cases.push({ id: `s${cases.length}`, text: secret.text, secrets: secret.secrets });
for (const [, text] of survivors()) cases.push({ id: `v${cases.length}`, text, survives: true });

const RESOURCE_SECRET = 'sk_live_R3s0urceArgKey9Q';
const RESOURCE_CARD = CARDS.find((c) => c.brand === 'Visa 16')!.digits;
const ENV_CARD = CARDS.find((c) => c.brand === 'Mastercard 5-series')!;
const ENV_PASSWORD = 'EnvPassw0rd7Q';

/** Every string in a stored span but its resource, with where it was found. */
function texts(span: StoredSpan): Array<[where: string, text: string]> {
  const out: Array<[string, string]> = [['name', span.name], ['status', span.status.message]];
  const add = (where: string, attributes: Record<string, string>) => {
    for (const [key, value] of Object.entries(attributes)) out.push([`${where} key`, key], [`${where} ${key}`, value]);
  };
  add('attribute', span.attributes);
  span.events.forEach((e, i) => {
    out.push([`event ${i} name`, e.name]);
    add(`event ${i}`, e.attributes);
  });
  span.links.forEach((l, i) => add(`link ${i}`, l.attributes));
  return out;
}

function caseOf(span: StoredSpan, byId: Map<string, Case>): Case | undefined {
  const id = span.attributes['corpus.case'] ?? /\/corpus\/([csv]\d+)/.exec(span.attributes['url.full'] ?? span.attributes['url.path'] ?? '')?.[1];
  return id === undefined ? undefined : byId.get(id);
}

describe('nothing that looks like a card or a secret reaches the store', () => {
  let backend: TraceBackend;
  let dir: string;
  let spans: StoredSpan[];
  const byId = new Map(cases.map((c) => [c.id, c]));

  beforeAll(async () => {
    backend = await startTraceBackend();
    dir = mkdtempSync(join(tmpdir(), 'payscope-redaction-'));
    const corpusFile = join(dir, 'corpus.json');
    writeFileSync(corpusFile, JSON.stringify(cases.map(({ id, text, number }) => ({ id, text, number }))));
    const script = await startService('redaction-app.mjs', {
      waitForPort: false,
      args: [`--stripe-key=${RESOURCE_SECRET}`, RESOURCE_CARD],
      env: {
        CORPUS_FILE: corpusFile,
        OTEL_EXPORTER_OTLP_ENDPOINT: backend.endpoint,
        OTEL_SERVICE_NAME: 'redaction-app',
        OTEL_RESOURCE_ATTRIBUTES: `deploy.note=card%20${encodeURIComponent(formatCard(ENV_CARD, ' '))},deploy.db_password=${ENV_PASSWORD}`,
        // Every span of the run fits in the queue, and the flush at exit may take its time.
        OTEL_BSP_MAX_QUEUE_SIZE: '20000',
        PAYSCOPE_SHUTDOWN_TIMEOUT_MS: '120000',
      },
    });
    const exit = await script.exited;
    if (exit.code !== 0) throw new Error(`redaction-app exited with ${exit.code}: ${script.stderr()}`);
    // One internal span per case, plus its HTTP client and server spans, plus the anchor.
    spans = await backend.waitForSpans((all) => all.filter((s) => s.service === 'redaction-app').length >= cases.length * 3 + 1, 60_000);
    spans = spans.filter((s) => s.service === 'redaction-app');
  }, 180_000);

  afterAll(async () => {
    await backend?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('stores every span: redaction drops none', () => {
    const corpusSpans = spans.filter((s) => s.attributes['corpus.case'] !== undefined);
    expect(new Set(corpusSpans.map((s) => s.attributes['corpus.case'])).size).toBe(cases.length);
    for (const kind of ['CLIENT', 'SERVER'] as const) {
      const http = spans.filter((s) => s.kind === kind && caseOf(s, byId) !== undefined);
      expect(new Set(http.map((s) => caseOf(s, byId)!.id)).size, kind).toBe(cases.length);
    }
  });

  it('no card shows more than its last four, in any name, attribute, event, link, status or URL', () => {
    const leaks: string[] = [];
    let checked = 0;
    for (const span of spans) {
      const c = caseOf(span, byId);
      if (c?.card === undefined) continue;
      checked++;
      for (const [where, text] of texts(span)) if (leaksCard(text, c.card)) leaks.push(`${c.id} ${JSON.stringify(c.text)} → ${where}: ${text}`);
    }
    expect(checked).toBe(cases.filter((c) => c.card !== undefined).length * 3);
    expect(leaks).toEqual([]);
  });

  it('a card stored as a number attribute is stored masked', () => {
    const numbered = spans.filter((s) => s.attributes['corpus.case'] !== undefined && byId.get(s.attributes['corpus.case'])?.number !== undefined);
    expect(numbered.length).toBeGreaterThan(0);
    for (const span of numbered) {
      const c = byId.get(span.attributes['corpus.case'])!;
      expect(span.attributes['corpus.number']).toBe(`${'*'.repeat(c.card!.length - 4)}${c.card!.slice(-4)}`);
    }
  });

  it('no secret survives, in any name, attribute, event, link, status or URL', () => {
    const leaks: string[] = [];
    for (const span of spans) {
      const c = caseOf(span, byId);
      if (c?.secrets === undefined) continue;
      for (const [where, text] of texts(span)) {
        const decoded = text.replace(/(?:%[0-9A-Fa-f]{2})+/g, (e) => Buffer.from(e.replace(/%/g, ''), 'hex').toString('utf8'));
        for (const secret of c.secrets) if (decoded.includes(secret)) leaks.push(`${c.id} ${c.text} → ${where}: ${text}`);
      }
    }
    expect(leaks).toEqual([]);
  });

  it('ids, times and amounts survive unchanged', () => {
    const survivorCount = cases.filter((c) => c.survives).length;
    const servers = spans.filter((s) => s.kind === 'SERVER' && caseOf(s, byId)?.survives);
    expect(servers).toHaveLength(survivorCount);
    for (const span of servers) {
      expect(new URLSearchParams(span.attributes['url.query'].replace(/^\?/, '')).get('note')).toBe(caseOf(span, byId)!.text);
    }
    for (const span of spans) {
      const c = span.attributes['corpus.case'] === undefined ? undefined : byId.get(span.attributes['corpus.case']);
      if (!c?.survives) continue;
      expect(span.name).toBe(c.text);
      expect(span.attributes['corpus.text']).toBe(c.text);
      expect(span.events.find((e) => e.name !== 'exception')?.attributes['corpus.text']).toBe(c.text);
      expect(span.status.message).toBe(c.text);
    }
  });

  it('resource attributes are redacted: process arguments and OTEL_RESOURCE_ATTRIBUTES', () => {
    const resources = new Set(spans.map((s) => JSON.stringify(s.resource)));
    expect(resources.size).toBe(1);
    const resource = spans[0].resource;
    const all = Object.entries(resource).flat().join('\n');
    expect(all).not.toContain(RESOURCE_SECRET.slice(8));
    expect(all).not.toContain(ENV_PASSWORD);
    for (const value of Object.values(resource)) {
      expect(leaksCard(value, RESOURCE_CARD), value).toBe(false);
      expect(leaksCard(value, ENV_CARD.digits), value).toBe(false);
    }
    expect(resource['deploy.db_password']).toBeUndefined();
    expect(resource['deploy.note']).toBe(`card ${'**** **** **** '}${ENV_CARD.digits.slice(-4)}`);
    expect(resource['process.command_args']).toContain('--stripe-key=[REDACTED]');
    expect(resource['process.command_args']).toContain(`************${RESOURCE_CARD.slice(-4)}`);
    expect(resource['service.name']).toBe('redaction-app');
  });
});
