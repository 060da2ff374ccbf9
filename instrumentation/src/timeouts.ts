import { EventEmitter, errorMonitor } from 'node:events';
import { context, createContextKey, type Span } from '@opentelemetry/api';
import { TIMEOUT_ERROR_CODES, TIMEOUT_ERROR_NAMES } from './attributes.js';

const TIMEOUT_CODES = new Set(TIMEOUT_ERROR_CODES);
const TIMEOUT_NAMES = new Set(TIMEOUT_ERROR_NAMES);
// "timeout", "timed out", "time out", "aborted due to timeout" (AbortSignal.timeout()).
const TIMEOUT_MESSAGE = /\btime(?:d)?[ -]?out\b/i;

/** Whether an error class, code or message names a timeout. */
export function isTimeoutLabel(label: unknown): boolean {
  if (typeof label !== 'string' || label === '') return false;
  return TIMEOUT_CODES.has(label) || TIMEOUT_NAMES.has(label) || TIMEOUT_MESSAGE.test(label);
}

/** Whether `error`, or an error in its `cause` chain, is a timeout. */
export function isTimeoutError(error: unknown, depth = 0): boolean {
  if (error === null || typeof error !== 'object' || depth > 3) return false;
  const e = error as { name?: unknown; code?: unknown; message?: unknown; cause?: unknown };
  if (TIMEOUT_NAMES.has(e.name as string) || TIMEOUT_CODES.has(e.code as string)) return true;
  if (typeof e.message === 'string' && TIMEOUT_MESSAGE.test(e.message)) return true;
  return isTimeoutError(e.cause, depth + 1);
}

const addListener = EventEmitter.prototype.addListener;

const FETCH_SIGNAL = createContextKey('payscope fetch abort signal');
const WRAPPED = Symbol.for('payscope.instrumentation.fetch-wrapper');

/**
 * Remembers client spans whose request hit a client-side timeout that the recorded error alone
 * would not reveal:
 * - node:http: `req.setTimeout()` / the `timeout` option followed by `req.destroy()` ends the
 *   span with a plain "socket hang up"; `AbortSignal.timeout()` with an `AbortError` whose
 *   `cause` is the `TimeoutError` (the span only records the outer error);
 * - fetch: depending on when the timer fires, undici reports an `AbortSignal.timeout()` as a
 *   plain `AbortError`, which its instrumentation ends as a deliberate, successful cancel. The
 *   request's signal tells the two apart.
 */
export class TimeoutTracker {
  private readonly timedOut = new WeakSet<object>();
  private readonly signals = new WeakMap<object, AbortSignal>();

  mark(span: Span): void {
    this.timedOut.add(span);
  }

  /** Whether the span's request timed out on the client side (checked when the span ends). */
  has(span: Span): boolean {
    if (this.timedOut.has(span)) return true;
    const signal = this.signals.get(span);
    return signal !== undefined && signal.aborted && isTimeoutError(signal.reason);
  }

  /**
   * A `requestHook` for `@opentelemetry/instrumentation-undici`: links the span to the abort
   * signal of the `fetch()` call that made it (see {@link wrapFetchForTimeouts}).
   */
  readonly undiciRequestHook = (span: Span): void => {
    const signal = context.active().getValue(FETCH_SIGNAL) as AbortSignal | undefined;
    if (signal !== undefined) this.linkSignal(span, signal);
  };

  /** Ties a client span to the abort signal of its request: aborted with a timeout reason = timed out. */
  linkSignal(span: Span, signal: AbortSignal): void {
    this.signals.set(span, signal);
  }

  /**
   * A `requestHook` for `@opentelemetry/instrumentation-http`. It is called before the
   * instrumentation attaches its own listeners, so ours run first and the span is still open.
   * It adds no `error` listener: an app that does not handle request errors still crashes on
   * them exactly as it would without payscope.
   */
  readonly httpRequestHook = (span: Span, request: unknown): void => {
    // Incoming requests (IncomingMessage) have no getHeader(); only client requests time out here.
    if (!(request instanceof EventEmitter) || typeof (request as { getHeader?: unknown }).getHeader !== 'function') return;
    // The http instrumentation has bound the request to its context by now, which wraps every listener
    // added through the request's own methods (a closure and two WeakMaps per request). These
    // listeners need no context: add them with EventEmitter's own method. Marking is idempotent,
    // so the timeout listener need not be a `once`.
    addListener.call(request, 'timeout', () => this.mark(span));
    addListener.call(request, errorMonitor, (error: unknown) => {
      if (isTimeoutError(error)) this.mark(span);
    });
  };
}

/**
 * Makes the `signal` of each global `fetch()` call visible to the undici instrumentation's
 * request hook, through the active context: undici's diagnostics channel, which the
 * instrumentation listens to, does not carry it. Calls are passed on unchanged.
 */
export function wrapFetchForTimeouts(): void {
  const original = globalThis.fetch as (typeof globalThis.fetch & { [WRAPPED]?: true }) | undefined;
  if (typeof original !== 'function' || original[WRAPPED]) return;
  const wrapped = function fetch(this: unknown, input: Parameters<typeof globalThis.fetch>[0], init?: RequestInit) {
    const signal = init?.signal ?? (input instanceof Request ? input.signal : undefined);
    if (signal === undefined || signal === null) return original.call(this, input, init);
    return context.with(context.active().setValue(FETCH_SIGNAL, signal), () => original.call(this, input, init));
  } as typeof globalThis.fetch & { [WRAPPED]?: true };
  wrapped[WRAPPED] = true;
  globalThis.fetch = wrapped;
}
