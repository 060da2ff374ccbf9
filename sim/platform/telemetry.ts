import { context, propagation, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import { ATTR_PAYMENT_STAGE } from '@payscope/instrumentation';
import { post, type CallResult, type RawRequest } from './http';
import { sleep } from './runtime';

/** Spans the platform makes itself, besides the HTTP spans of payscope's instrumentation. */
const tracer = () => trace.getTracer('payscope-sim');

export interface DbQuery {
  operation: 'SELECT' | 'INSERT' | 'UPDATE';
  table: string;
  text: string;
}

/**
 * A database call. The platform has no database: the call is a client span shaped like the
 * PostgreSQL instrumentation's (`UPDATE stock`, db.system.name=postgresql, ...) lasting `ms`.
 */
export async function dbCall(query: DbQuery, ms: number): Promise<void> {
  await tracer().startActiveSpan(
    `${query.operation} ${query.table}`,
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'db.system.name': 'postgresql',
        'db.namespace': 'shop',
        'db.operation.name': query.operation,
        'db.collection.name': query.table,
        'db.query.text': query.text,
        'server.address': 'postgres',
        'server.port': 5432,
      },
    },
    async (span) => {
      try {
        await sleep(ms);
      } finally {
        span.end();
      }
    },
  );
}

/**
 * The adapter's call to its payment provider: ONE client span that carries both the HTTP
 * attributes and `payment.stage=gateway.request` (the auto-instrumented HTTP span cannot be given
 * a stage from application code, so the provider client makes the span itself and suppresses the
 * generic one). `readAnswer` decodes the provider's answer while the span is open, so the
 * provider's error code lands on it; `attributes` (the attempt, the payer's card) are set from the start. payscope's span processors still do their part on it: `payment.gateway` from the
 * host, the payment context from baggage, `payment.timeout` when the call timed out, and no
 * baggage is sent to the provider.
 */
export async function gatewayRequest<T>(request: RawRequest, readAnswer: (answer: CallResult, span: Span) => T, attributes: Record<string, string | number> = {}): Promise<T> {
  const url = `http://${request.host}:${request.port}${request.path}`;
  return tracer().startActiveSpan(
    'POST',
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'http.request.method': 'POST',
        'server.address': request.host,
        'server.port': request.port,
        'url.full': url,
        'network.protocol.version': '1.1',
        [ATTR_PAYMENT_STAGE]: 'gateway.request',
        ...attributes,
      },
    },
    async (span) => {
      const headers: Record<string, string> = { ...request.headers };
      propagation.inject(context.active(), headers);
      try {
        const result = await context.with(suppressTracing(context.active()), () => post({ ...request, headers }));
        span.setAttribute('http.response.status_code', result.status);
        if (result.status >= 400) {
          span.setAttribute('error.type', String(result.status));
          span.setStatus({ code: SpanStatusCode.ERROR });
        }
        return readAnswer(result, span);
      } catch (error) {
        const err = error instanceof Error ? error : new Error(String(error));
        span.recordException(err);
        // Raw error class/code, like the HTTP instrumentation: payscope's processor classifies timeouts.
        span.setAttribute('error.type', (err as { code?: string }).code ?? err.name);
        span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
        throw err;
      } finally {
        span.end();
      }
    },
  );
}
