import { SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version.js';

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | undefined)?.then === 'function';
}

function failSpan(span: Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}

/**
 * Runs `fn` in a new active INTERNAL span. The span ends when `fn` returns or, if it returns a
 * promise, when the promise settles; a throw or rejection is recorded on the span (status ERROR)
 * and passed on unchanged. The one body behind `withStage` and `withTransactionPhase`.
 */
export function runInSpan<T>(name: string, attributes: Attributes, fn: (span: Span) => T): T {
  return trace.getTracer(PACKAGE_NAME, PACKAGE_VERSION).startActiveSpan(name, { kind: SpanKind.INTERNAL, attributes }, (span) => {
    let result: T;
    try {
      result = fn(span);
    } catch (error) {
      failSpan(span, error);
      span.end();
      throw error;
    }
    if (isPromiseLike(result)) {
      result.then(
        () => span.end(),
        (error: unknown) => {
          failSpan(span, error);
          span.end();
        },
      );
    } else {
      span.end();
    }
    return result;
  });
}
