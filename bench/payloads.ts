import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';

/**
 * Realistic payment-service export requests built by the real OpenTelemetry SDK and serialized by
 * the official OTLP protobuf serializer: checkout traces with a server span, internal calls and a
 * gateway client span, ~10 attributes each, events on some spans. 512 spans per request (the SDK's
 * BatchSpanProcessor default batch size).
 */
const CHANNELS = ['alipay', 'wechatpay', 'card', 'paypal', 'applepay'];
const GATEWAYS: Record<string, string> = { alipay: 'alipay', wechatpay: 'wechatpay', card: 'stripe', paypal: 'paypal', applepay: 'adyen' };
const HOSTS: Record<string, string> = { alipay: 'openapi.alipay.com', wechatpay: 'api.mch.weixin.qq.com', stripe: 'api.stripe.com', paypal: 'api-m.paypal.com', adyen: 'checkout-test.adyen.com' };

export function buildPayloads(requests: number, spansPerRequest = 512, seed = 1): { bodies: Buffer[]; spans: number } {
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const bodies: Buffer[] = [];
  let total = 0;
  for (let r = 0; r < requests; r++) {
    const exporter = new InMemorySpanExporter();
    const service = ['checkout', 'payment', 'order', 'gateway-adapter'][r % 4];
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': service, 'service.version': '1.4.2', 'deployment.environment.name': 'prod', 'host.name': `pod-${r % 7}` }),
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    const tracer = provider.getTracer('@payscope/instrumentation', '0.1.0');
    let made = 0;
    while (made < spansPerRequest) {
      const channel = CHANNELS[Math.floor(rnd() * CHANNELS.length)];
      const gateway = GATEWAYS[channel];
      const orderId = `ord_${Math.floor(rnd() * 1e12).toString(36)}`;
      const common = { 'payment.order_id': orderId, 'payment.channel': channel };
      const root = tracer.startSpan('POST /api/checkout', {
        kind: SpanKind.SERVER,
        attributes: { ...common, 'http.request.method': 'POST', 'url.path': '/api/checkout', 'http.route': '/api/checkout', 'http.response.status_code': 200, 'server.port': 8080, 'user_agent.original': 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)', 'payment.stage': 'payment.submit', 'payment.amount': Math.round(rnd() * 50000) / 100, 'payment.currency': 'USD' },
      });
      const ctx = trace.setSpan(context.active(), root);
      const n = Math.min(7, spansPerRequest - made - 1);
      for (let i = 0; i < n; i++) {
        const isGateway = i === n - 1;
        const span = tracer.startSpan(isGateway ? `POST ${HOSTS[gateway]}` : ['SELECT orders', 'risk.score', 'inventory.reserve', 'redis GET', 'order.create', 'INSERT payments'][i % 6], {
          kind: SpanKind.CLIENT,
          attributes: isGateway
            ? { ...common, 'payment.gateway': gateway, 'payment.stage': 'gateway.request', 'http.request.method': 'POST', 'server.address': HOSTS[gateway], 'url.full': `https://${HOSTS[gateway]}/v1/charges`, 'http.response.status_code': rnd() < 0.05 ? 502 : 200, 'network.protocol.version': '1.1' }
            : { ...common, 'db.system.name': 'postgresql', 'db.query.text': 'SELECT * FROM orders WHERE id = $1', 'server.address': 'pg-primary', 'server.port': 5432 },
        }, ctx);
        if (isGateway && rnd() < 0.05) {
          span.addEvent('exception', { 'exception.type': 'GatewayError', 'exception.message': 'upstream returned 502' });
          span.setStatus({ code: SpanStatusCode.ERROR, message: 'gateway 502' });
        }
        span.end();
      }
      root.end();
      made += n + 1;
    }
    const spans: ReadableSpan[] = exporter.getFinishedSpans();
    bodies.push(Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!));
    total += spans.length;
    void provider.shutdown();
  }
  return { bodies, spans: total };
}
