import type { Attributes, AttributeValue, Link, SpanStatus } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter, TimedEvent } from '@opentelemetry/sdk-trace';

/**
 * Attribute keys never exported, and keys whose values are masked where they appear as
 * `key=value` / `"key": "value"` / `Key: value` inside text. Matched on the last dot-separated
 * segment of an attribute key, ignoring case, `-` and `_`: `http.request.header.x-api-key`,
 * `card.cvv`, `cardNumber`.
 */
export const DEFAULT_SENSITIVE_KEYS: readonly string[] = Object.freeze([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'api-key',
  'apikey',
  'cvv',
  'cvv2',
  'cvc',
  'cvc2',
  'pan',
  'card_number',
]);

export interface RedactionOptions {
  /** Mask Luhn-valid 13–19 digit card numbers in every string exported. @default true */
  cardNumbers?: boolean;
  /** Keys treated like {@link DEFAULT_SENSITIVE_KEYS}, in addition to them. */
  sensitiveKeys?: string[];
}

export const REDACTED = '[REDACTED]';

// ---- card numbers ---------------------------------------------------------------------------

/** Luhn checksum over a string of digits. */
export function isLuhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return digits.length > 0 && sum % 10 === 0;
}

// Cheap pre-check: 13 digits in a row, each pair optionally split by one space or dash.
const CARD_CANDIDATE = /\d(?:[ -]?\d){12}/;
// A maximal run of digit groups joined by single spaces or dashes.
const DIGIT_RUN = /\d+(?:[ -]\d+)*/g;

function maskDigits(text: string, keepLast: number): string {
  let remaining = 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) remaining++;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      out += remaining > keepLast ? '*' : text[i];
      remaining--;
    } else {
      out += text[i];
    }
  }
  return out;
}

/**
 * Masks card numbers in one run of digit groups. A card is a window of whole consecutive groups
 * with 13–19 digits passing Luhn, so `order 12 4111 1111 1111 1111` masks the card and keeps 12.
 * Windows are tried longest first from each group, left to right, without overlapping.
 */
function maskRun(run: string): string {
  const groups: Array<{ start: number; end: number; digits: string }> = [];
  const groupRe = /\d+/g;
  for (let m = groupRe.exec(run); m !== null; m = groupRe.exec(run)) {
    groups.push({ start: m.index, end: m.index + m[0].length, digits: m[0] });
  }
  let out = '';
  let copiedTo = 0;
  let i = 0;
  while (i < groups.length) {
    let matchEnd = -1;
    let digits = '';
    for (let j = i; j < groups.length; j++) {
      digits += groups[j].digits;
      if (digits.length > 19) break;
      if (digits.length >= 13 && isLuhnValid(digits)) matchEnd = j;
    }
    if (matchEnd === -1) {
      i++;
      continue;
    }
    const start = groups[i].start;
    const end = groups[matchEnd].end;
    out += run.slice(copiedTo, start) + maskDigits(run.slice(start, end), 4);
    copiedTo = end;
    i = matchEnd + 1;
  }
  return copiedTo === 0 ? run : out + run.slice(copiedTo);
}

/**
 * Replaces every digit of each card number in `text` except the last four with `*`, keeping
 * separators: `4111 1111 1111 1111` → `**** **** **** 1111`. Numbers that fail Luhn are kept.
 */
export function maskCardNumbers(text: string): string {
  if (!CARD_CANDIDATE.test(text)) return text;
  return text.replace(DIGIT_RUN, (run) => (run.length < 13 ? run : maskRun(run)));
}

// ---- sensitive keys -------------------------------------------------------------------------

function normalizeKey(key: string): string {
  return key.toLowerCase().replace(/[-_]/g, '');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Redacts exported spans; pure apart from a small cache of attribute-key decisions. */
export class SpanRedactor {
  private readonly maskCards: boolean;
  private readonly keys: Set<string>;
  private readonly keyValue: RegExp;
  private readonly keyDecisions = new Map<string, boolean>();

  constructor(options: RedactionOptions = {}) {
    this.maskCards = options.cardNumbers !== false;
    const keys = [...DEFAULT_SENSITIVE_KEYS, ...(options.sensitiveKeys ?? [])];
    this.keys = new Set(keys.map(normalizeKey));
    // `card_number` also matches card-number, cardnumber and cardNumber in text.
    const alternatives = [...new Set(keys.map((k) => escapeRegExp(k.toLowerCase()).replace(/[-_]/g, '[-_]?')))];
    // key, a separator (`=`, `:`, `": `), then the value: quoted (up to the closing quote), or a
    // bare token, optionally after an auth scheme (`Authorization: Bearer abc`).
    this.keyValue = new RegExp(
      `(?<![a-z0-9])(${alternatives.join('|')})(["']?\\s*[:=]\\s*)("[^"]*"|'[^']*'|(?:(?:Bearer|Basic|Token)\\s+)?[^\\s"'&,;})\\]]+)`,
      'gi',
    );
  }

  /** Whether an attribute with this key is dropped whole. */
  isSensitiveKey(key: string): boolean {
    let decision = this.keyDecisions.get(key);
    if (decision === undefined) {
      const dot = key.lastIndexOf('.');
      decision = this.keys.has(normalizeKey(dot === -1 ? key : key.slice(dot + 1)));
      // Attribute keys are few; the cap only guards against keys built from data.
      if (this.keyDecisions.size < 10_000) this.keyDecisions.set(key, decision);
    }
    return decision;
  }

  /** Masks sensitive `key=value` pairs and card numbers inside free text. */
  redactText(text: string): string {
    let out = text;
    this.keyValue.lastIndex = 0;
    if (this.keyValue.test(out)) {
      this.keyValue.lastIndex = 0;
      out = out.replace(this.keyValue, (_match, key: string, separator: string, value: string) => {
        const quote = value[0] === '"' || value[0] === "'" ? value[0] : '';
        return `${key}${separator}${quote}${REDACTED}${quote}`;
      });
    }
    return this.maskCards ? maskCardNumbers(out) : out;
  }

  private redactValue(value: AttributeValue): AttributeValue {
    if (typeof value === 'string') return this.redactText(value);
    if (typeof value === 'number') {
      // A card number set as a number: 13+ digit integers are checked like text.
      if (!this.maskCards || !Number.isInteger(value) || Math.abs(value) < 1e12) return value;
      const text = String(value);
      const masked = maskCardNumbers(text);
      return masked === text ? value : masked;
    }
    if (Array.isArray(value)) {
      let changed = false;
      const out = value.map((item) => {
        if (item === null || item === undefined) return item;
        const redacted = this.redactValue(item as string | number);
        if (redacted !== item) changed = true;
        return redacted;
      });
      return changed ? (out as AttributeValue) : value;
    }
    return value;
  }

  /** `attributes` itself when nothing needs redacting, else a redacted copy. */
  redactAttributes(attributes: Attributes): Attributes {
    let out: Attributes | undefined;
    for (const key of Object.keys(attributes)) {
      const value = attributes[key];
      if (this.isSensitiveKey(key)) {
        out ??= { ...attributes };
        delete out[key];
        continue;
      }
      if (value === undefined) continue;
      const redacted = this.redactValue(value);
      if (redacted !== value) {
        out ??= { ...attributes };
        out[key] = redacted;
      }
    }
    return out ?? attributes;
  }

  /** `span` itself when nothing needs redacting, else a redacted copy. */
  redactSpan(span: ReadableSpan): ReadableSpan {
    const name = this.redactText(span.name);
    const attributes = this.redactAttributes(span.attributes);
    let events: TimedEvent[] = span.events;
    for (let i = 0; i < span.events.length; i++) {
      const event = span.events[i];
      if (event.attributes === undefined) continue;
      const redacted = this.redactAttributes(event.attributes);
      if (redacted !== event.attributes) {
        if (events === span.events) events = [...span.events];
        events[i] = { ...event, attributes: redacted };
      }
    }
    let links: Link[] = span.links;
    for (let i = 0; i < span.links.length; i++) {
      const link = span.links[i];
      if (link.attributes === undefined) continue;
      const redacted = this.redactAttributes(link.attributes);
      if (redacted !== link.attributes) {
        if (links === span.links) links = [...span.links];
        links[i] = { ...link, attributes: redacted };
      }
    }
    let status: SpanStatus = span.status;
    if (status.message !== undefined) {
      const message = this.redactText(status.message);
      if (message !== status.message) status = { ...status, message };
    }
    if (name === span.name && attributes === span.attributes && events === span.events && links === span.links && status === span.status) {
      return span;
    }
    return {
      name,
      kind: span.kind,
      spanContext: () => span.spanContext(),
      parentSpanContext: span.parentSpanContext,
      startTime: span.startTime,
      endTime: span.endTime,
      status,
      attributes,
      links,
      events,
      duration: span.duration,
      ended: span.ended,
      resource: span.resource,
      instrumentationScope: span.instrumentationScope,
      droppedAttributesCount: span.droppedAttributesCount,
      droppedEventsCount: span.droppedEventsCount,
      droppedLinksCount: span.droppedLinksCount,
    };
  }
}

/**
 * Redacts spans on their way to `exporter`. Runs in the export batch, off the request path.
 * A span that cannot be redacted is dropped, never exported as it was.
 */
export class RedactingSpanExporter implements SpanExporter {
  constructor(
    private readonly exporter: SpanExporter,
    private readonly redactor: SpanRedactor = new SpanRedactor(),
  ) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    const redacted: ReadableSpan[] = [];
    for (const span of spans) {
      try {
        redacted.push(this.redactor.redactSpan(span));
      } catch {
        // fail closed
      }
    }
    if (redacted.length === 0) {
      resultCallback({ code: ExportResultCode.SUCCESS });
      return;
    }
    this.exporter.export(redacted, resultCallback);
  }

  shutdown(): Promise<void> {
    return this.exporter.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.exporter.forceFlush?.() ?? Promise.resolve();
  }
}
