import { context, SpanKind, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';

/** `n` real SDK spans of a small checkout trace (a server span with client children). */
export async function makeSpans(n: number, service = 'checkout'): Promise<ReadableSpan[]> {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('payscope-test');
  const root = tracer.startSpan('POST /checkout', { kind: SpanKind.SERVER, attributes: { 'payment.order_id': 'ord-1' } });
  const ctx = trace.setSpan(context.active(), root);
  for (let i = 1; i < n; i++) {
    tracer.startSpan(`call ${i}`, { kind: SpanKind.CLIENT, attributes: { i } }, ctx).end();
  }
  root.end();
  await provider.forceFlush();
  const spans = exporter.getFinishedSpans();
  await provider.shutdown();
  return spans;
}

export function protobufRequest(spans: ReadableSpan[]): Buffer {
  return Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!);
}

export function jsonRequest(spans: ReadableSpan[]): Buffer {
  return Buffer.from(JsonTraceSerializer.serializeRequest(spans)!);
}
