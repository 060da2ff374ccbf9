import { trace, type Attributes, type Span } from '@opentelemetry/api';
import { ATTR_PAYMENT_TX_BRANCH, ATTR_PAYMENT_TX_ID, ATTR_PAYMENT_TX_PHASE, TRANSACTION_PHASES } from './attributes.js';
import { runInSpan } from './active-span.js';

/** TCC: `try`, `confirm`, `cancel`. Saga: `action`, `compensate`. */
export type TransactionPhase = (typeof TRANSACTION_PHASES)[number];

/** One phase of one branch of a distributed (TCC or Saga) transaction. */
export interface TransactionStep {
  /** `payment.tx.id`: the global transaction, the same in every branch, service and trace. */
  txId: string;
  /** `payment.tx.branch`: the participant, e.g. `account-debit`; the same for its try and its confirm or cancel. */
  branch?: string;
  /** `payment.tx.phase`. */
  phase: TransactionPhase;
}

function stepAttributes(step: TransactionStep): Attributes {
  if (!(TRANSACTION_PHASES as readonly string[]).includes(step.phase)) {
    // A programming error, the same on every call: refused at the first one.
    throw new TypeError(`payment.tx.phase must be one of ${TRANSACTION_PHASES.join(', ')}; got ${JSON.stringify(step.phase)}`);
  }
  // A transaction id missing at run time (an empty field of a message) marks nothing rather than
  // failing the payment: the phase would join no transaction anyway.
  if (step.txId === undefined || step.txId === null || String(step.txId) === '') return {};
  const attributes: Attributes = { [ATTR_PAYMENT_TX_ID]: String(step.txId), [ATTR_PAYMENT_TX_PHASE]: step.phase };
  if (step.branch !== undefined && step.branch !== null && String(step.branch) !== '') attributes[ATTR_PAYMENT_TX_BRANCH] = String(step.branch);
  return attributes;
}

/**
 * Marks `span` (the active span by default) as performing one phase of a transaction branch,
 * e.g. the server span of a participant's `/tcc/try` handler.
 */
export function markTransactionPhase(step: TransactionStep, span: Span | undefined = trace.getActiveSpan()): void {
  const attributes = stepAttributes(step);
  span?.setAttributes(attributes);
}

/**
 * Runs `fn` in a new span for the phase (named `<phase> <branch>`), carrying the transaction
 * attributes. The span ends when `fn` returns or its promise settles; a throw or rejection marks
 * the phase failed (span status ERROR) and is passed on unchanged.
 */
export function withTransactionPhase<T>(step: TransactionStep, fn: (span: Span) => T): T {
  const name = step.branch ? `${step.phase} ${step.branch}` : step.phase;
  return runInSpan(name, stepAttributes(step), fn);
}
