export { startPayscope } from './start.js';
export { tracesUrl } from './exporters.js';
export type { OtlpProtocol } from './exporters.js';
export type { PayscopeHandle, PayscopeOptions } from './start.js';

export {
  getPaymentContext,
  markStage,
  PAYMENT_BAGGAGE_KEYS,
  PAYMENT_SPAN_KEYS,
  recordOutcome,
  setPaymentContext,
  withPayment,
  withStage,
} from './payment-context.js';
export type { OutcomeOptions, PaymentContext, PaymentOutcome } from './payment-context.js';
export { markTransactionPhase, withTransactionPhase, type TransactionPhase, type TransactionStep } from './transactions.js';

// Attribute names, the gateway host table and timeout codes, also served alone as ./conventions.
export * from './conventions.js';
export { GatewaySpanProcessor } from './gateway-span-processor.js';
export { GatewayAwareBaggagePropagator } from './gateway-baggage-propagator.js';
export { isTimeoutError, TimeoutTracker } from './timeouts.js';

export { PaymentContextSpanProcessor } from './payment-context-span-processor.js';

export {
  isLuhnValid,
  maskCardNumbers,
  MAX_REDACTED_VALUE_LENGTH,
  REDACTED,
  RedactingSpanExporter,
  SENSITIVE_KEY_NAMES,
  SENSITIVE_KEY_SUFFIXES,
  SpanRedactor,
} from './redaction.js';
export type { RedactionOptions } from './redaction.js';

export { BoundedBatchSpanProcessor } from './bounded-batch-span-processor.js';
export type {
  BoundedBatchSpanProcessorOptions,
  ExportQueueOptions,
  ExportStats,
  WarningLogger,
} from './bounded-batch-span-processor.js';

export { DEFAULT_INSTRUMENTATIONS, resolveEnabledInstrumentations } from './instrumentations.js';
export type { InstrumentationName, InstrumentationToggles } from './instrumentations.js';
