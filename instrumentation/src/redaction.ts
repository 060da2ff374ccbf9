import type { Attributes, AttributeValue, Link, SpanStatus } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import type { ReadableSpan, SpanExporter, TimedEvent } from '@opentelemetry/sdk-trace';
import { maskCardNumbers } from './card-numbers.js';
import { maskKeyValues, maskTokenShapes, REDACTED, SensitiveKeys } from './secrets.js';

export { isLuhnValid, maskCardNumbers } from './card-numbers.js';
export { REDACTED, SENSITIVE_KEY_NAMES, SENSITIVE_KEY_SUFFIXES } from './secrets.js';

export interface RedactionOptions {
  /** Mask card numbers in every string exported (see README). @default true */
  cardNumbers?: boolean;
  /** Key names treated as secret, in addition to the built-in ones (matched like `SENSITIVE_KEY_NAMES`). */
  sensitiveKeys?: string[];
  /**
   * Longest text (UTF-16 code units) that is scanned; a longer one is replaced whole by
   * `[REDACTED: N bytes, over the redaction limit]`, so one huge attribute cannot hold the event
   * loop while it is scanned. @default 65536
   */
  maxValueLength?: number;
}

/** Default `maxValueLength`: 64 Ki code units, a few ms to scan (README, "Redaction"). */
export const MAX_REDACTED_VALUE_LENGTH = 65_536;

// Texts repeat from span to span (methods, hosts, routes, channels, one order's id on each of its
// spans): the short ones found clean are remembered, so each is scanned once. Only clean texts are
// kept, never one that held a secret or a card.
const MAX_REMEMBERED_LENGTH = 256;
const MAX_REMEMBERED_TEXTS = 1024;

/** What replaces a text too long to scan: its size only (never a part of it, which could hold half a card). */
function overRedactionLimit(text: string): string {
  return `[REDACTED: ${Buffer.byteLength(text, 'utf8')} bytes, over the redaction limit]`;
}

/**
 * Redacts exported spans and resources; pure apart from small caches. Once built (bad
 * `sensitiveKeys` or `maxValueLength` throw here, at start), nothing it does throws: a value that cannot be redacted
 * becomes `[REDACTED]`.
 */
export class SpanRedactor {
  private readonly maskCards: boolean;
  private readonly keys: SensitiveKeys;
  private readonly maxValueLength: number;
  private readonly clean = new Set<string>();

  constructor(options: RedactionOptions = {}) {
    this.maskCards = options.cardNumbers !== false;
    this.keys = new SensitiveKeys(options.sensitiveKeys ?? []);
    const max = options.maxValueLength ?? MAX_REDACTED_VALUE_LENGTH;
    if (!Number.isSafeInteger(max) || max < 0) throw new RangeError(`redaction maxValueLength must be a non-negative integer, got ${max}`);
    this.maxValueLength = max;
  }

  /** Whether an attribute with this key is dropped whole. */
  isSensitiveKey(key: string): boolean {
    return this.keys.has(key);
  }

  /**
   * Masks credentials and card numbers inside free text. Cards are masked before `key=value`
   * pairs, so a value the pair rule cuts short (`card_number=5500 0055 …`) is still masked whole.
   */
  redactText(text: string): string {
    if (text.length < 5) return text; // shorter than any secret or card this can find (`pin=1`)
    // Fail closed: the whole value goes, never a truncated part that could end inside a card.
    if (text.length > this.maxValueLength) return overRedactionLimit(text);
    const remember = text.length <= MAX_REMEMBERED_LENGTH;
    if (remember && this.clean.has(text)) return text;
    try {
      let out = this.redactLayer(text);
      // Percent-encoding can hide a secret from the rules above, or split a card so that a
      // `key=value` rule cuts it short. Up to two decoded layers are redacted too; when the
      // exported text, decoded, would show anything else than the decoded layer redacted, the
      // decoded layer is exported instead (readable, and never more than its redaction).
      let outDepth = 0;
      let layer = text;
      for (let depth = 1; depth <= 2 && layer.includes('%'); depth++) {
        const decoded = percentDecode(layer);
        if (decoded === layer) break;
        const redacted = this.redactLayer(decoded);
        let view = out;
        for (let d = outDepth; d < depth; d++) view = percentDecode(view);
        if (view !== redacted) {
          out = redacted;
          outDepth = depth;
        }
        layer = decoded;
      }
      if (remember && out === text) {
        if (this.clean.size >= MAX_REMEMBERED_TEXTS) this.clean.clear();
        this.clean.add(text);
      }
      return out;
    } catch {
      return REDACTED;
    }
  }

  private redactLayer(text: string): string {
    let out = maskTokenShapes(text);
    if (this.maskCards) out = maskCardNumbers(out);
    return maskKeyValues(out, this.keys);
  }

  private redactNumber(value: number): AttributeValue {
    // A card number set as a number: integers of 12+ digits are checked like text.
    if (!this.maskCards || !Number.isInteger(value) || Math.abs(value) < 1e11) return value;
    const text = String(value);
    const masked = maskCardNumbers(text);
    return masked === text ? value : masked;
  }

  /** Strings, numbers, booleans and flat arrays of them are redacted; any other value (never made by the SDK) is replaced. */
  private redactValue(value: unknown): AttributeValue {
    if (typeof value === 'string') return this.redactText(value);
    if (typeof value === 'number') return this.redactNumber(value);
    if (typeof value === 'boolean') return value;
    if (Array.isArray(value)) {
      let changed = false;
      const out = new Array<unknown>(value.length);
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        let redacted: unknown = item;
        if (typeof item === 'string') redacted = this.redactText(item);
        else if (typeof item === 'number') redacted = this.redactNumber(item);
        else if (item !== null && item !== undefined && typeof item !== 'boolean') redacted = REDACTED;
        if (redacted !== item) changed = true;
        out[i] = redacted;
      }
      return changed ? (out as AttributeValue) : value;
    }
    return REDACTED;
  }

  /** `attributes` itself when nothing needs redacting, else a redacted copy. */
  redactAttributes(attributes: Attributes): Attributes {
    let out: Attributes | undefined;
    for (const key of Object.keys(attributes)) {
      let redacted: AttributeValue | undefined;
      let value: unknown;
      try {
        value = attributes[key];
        if (this.isSensitiveKey(key)) {
          out ??= copyAttributes(attributes);
          delete out[key];
          continue;
        }
        if (value === undefined) continue;
        redacted = this.redactValue(value);
      } catch {
        redacted = REDACTED;
      }
      if (redacted !== value) {
        out ??= copyAttributes(attributes);
        out[key] = redacted;
      }
    }
    return out ?? attributes;
  }

  /** `span` itself when nothing needs redacting, else a redacted copy (resource included). */
  redactSpan(span: ReadableSpan, resource: Resource = span.resource): ReadableSpan {
    const name = this.redactText(span.name);
    const attributes = this.redactAttributes(span.attributes);
    let events: TimedEvent[] = span.events;
    for (let i = 0; i < span.events.length; i++) {
      const event = span.events[i];
      const eventName = this.redactText(event.name);
      const redacted = event.attributes === undefined ? undefined : this.redactAttributes(event.attributes);
      if (eventName !== event.name || redacted !== event.attributes) {
        if (events === span.events) events = [...span.events];
        events[i] = { ...event, name: eventName, attributes: redacted };
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
    if (
      name === span.name &&
      attributes === span.attributes &&
      events === span.events &&
      links === span.links &&
      status === span.status &&
      resource === span.resource
    ) {
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
      resource,
      instrumentationScope: span.instrumentationScope,
      droppedAttributesCount: span.droppedAttributesCount,
      droppedEventsCount: span.droppedEventsCount,
      droppedLinksCount: span.droppedLinksCount,
    };
  }

  /** `resource` itself when nothing needs redacting, else a redacted copy. Its async attributes must have settled. */
  redactResource(resource: Resource): Resource {
    const attributes = resource.attributes;
    const redacted = this.redactAttributes(attributes);
    return redacted === attributes ? resource : resourceFromAttributes(redacted, { schemaUrl: resource.schemaUrl });
  }
}

/** `%XX` escapes decoded as UTF-8; everything else kept. */
function percentDecode(text: string): string {
  return text.replace(/(?:%[0-9A-Fa-f]{2})+/g, (escapes) => Buffer.from(escapes.replace(/%/g, ''), 'hex').toString('utf8'));
}

// A copy that reads each value once; a value whose getter throws is replaced rather than read again.
function copyAttributes(attributes: Attributes): Attributes {
  const out: Attributes = {};
  for (const key of Object.keys(attributes)) {
    try {
      out[key] = attributes[key];
    } catch {
      out[key] = REDACTED;
    }
  }
  return out;
}

/**
 * Redacts spans, and the resource they carry (process arguments, environment-provided
 * attributes, …), on their way to `exporter`. Runs in the export batch, off the request path.
 * A span that cannot be redacted is dropped, never exported as it was.
 */
export class RedactingSpanExporter implements SpanExporter {
  // The SDK gives every span the same resource object: redact it once.
  private readonly resources = new WeakMap<Resource, Resource>();

  constructor(
    private readonly exporter: SpanExporter,
    private readonly redactor: SpanRedactor = new SpanRedactor(),
  ) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    let pending: Array<Promise<void>> | undefined;
    try {
      for (const span of spans) {
        const resource = span.resource;
        if (resource?.asyncAttributesPending === true && resource.waitForAsyncAttributes !== undefined) {
          (pending ??= []).push(resource.waitForAsyncAttributes());
        }
      }
    } catch {
      pending = undefined;
    }
    if (pending === undefined) {
      this.exportRedacted(spans, resultCallback);
      return;
    }
    // Detectors may still be reading (host.id): redact the attributes they settle to, not a partial set.
    Promise.all(pending).then(
      () => this.exportRedacted(spans, resultCallback),
      () => this.exportRedacted(spans, resultCallback),
    );
  }

  private resourceFor(resource: Resource): Resource {
    let redacted = this.resources.get(resource);
    if (redacted === undefined) {
      try {
        redacted = this.redactor.redactResource(resource);
      } catch {
        redacted = resourceFromAttributes({});
      }
      if (resource.asyncAttributesPending !== true) this.resources.set(resource, redacted);
    }
    return redacted;
  }

  private exportRedacted(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    const redacted: ReadableSpan[] = [];
    for (const span of spans) {
      try {
        redacted.push(this.redactor.redactSpan(span, this.resourceFor(span.resource)));
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
