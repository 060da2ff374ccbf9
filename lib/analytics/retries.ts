import { classifyGatewayError, type ErrorClass, type ErrorCodeTable } from './error-taxonomy';
import { isTimeout } from './gateways';

/**
 * Retries, failover and double charges of one order, from its gateway.request spans (attempts) and
 * gateway.callback spans (the provider's asynchronous answers):
 *
 *   attempt 1  stripe   ──request── timeout          ···· callback: succeeded (late)
 *   attempt 2  adyen    ──request── accepted ── callback: succeeded
 *   → retried, recovered on adyen after a stripe timeout; charged twice (a double charge)
 *
 * Attempts are ordered by `payment.attempt` when the service numbered them, else by start time.
 * A callback answers the attempt whose `payment.attempt` it carries, else the latest attempt on
 * the same gateway that started before it, was not rejected at the request and has no answer yet.
 * A callback marked `payment.callback.duplicate` (a repeated delivery the service recognised and
 * did not fulfil again) answers nothing.
 *
 * A successful charge at the provider is an attempt whose request said `succeeded`, or that a
 * callback answered `succeeded` — once per attempt, however many of the two say so — plus every
 * further `succeeded` callback: one for an attempt already answered, or with no attempt left to
 * answer (the order was fulfilled again). `payment.provider_ref` (the provider's charge id) is
 * believed where present: the same id twice is one charge, a different one another. More than one
 * charge is a double charge.
 */

/** One gateway.request or gateway.callback span of an order, as stored. */
export interface AttemptEvent {
  stage: 'gateway.request' | 'gateway.callback';
  /** Start, epoch ms. */
  at: number;
  gateway: string;
  /** `payment.outcome`. */
  outcome: string;
  errorCode: string;
  isError: boolean;
  errorType: string;
  timeoutFlag: string;
  httpStatus: number;
  /** `payment.attempt`; 0 when not set. */
  attempt: number;
  /** `payment.callback.duplicate`. */
  duplicate: boolean;
  /** `payment.provider_ref`: the provider's charge id; '' when not set. */
  providerRef: string;
  traceId: string;
}

export type AttemptOutcome = 'succeeded' | 'failed' | 'timeout' | 'pending';

export interface Attempt {
  gateway: string;
  /**
   * Where the attempt ended up: `succeeded` when its request or its callback said so (also after a
   * timeout: the provider charged although the caller gave up), `failed` when rejected at the
   * request or declined by the callback, `timeout` when the caller gave up and no callback came,
   * `pending` when accepted and still unanswered.
   */
  outcome: AttemptOutcome;
  /** Why the attempt failed: the class of the request's error, else of a failed callback; null when nothing failed. */
  errorClass: ErrorClass | null;
  errorCode: string;
  traceId: string;
  at: number;
}

export interface OrderAttempts {
  attempts: Attempt[];
  /** Successful charges at the provider. */
  charges: number;
  /** More than one attempt. */
  retried: boolean;
  /** Retried, and an attempt after the first succeeded. */
  recovered: boolean;
}

function requestFailed(e: AttemptEvent): boolean {
  return e.isError || isTimeout(e.errorType, e.timeoutFlag) || e.outcome === 'failed';
}

/** The class of a failed span: outcome `failed` without an error status still failed. */
function classOf(e: AttemptEvent, table: ErrorCodeTable): ErrorClass {
  return classifyGatewayError({ gateway: e.gateway, errorCode: e.errorCode, isError: true, errorType: e.errorType, timeoutFlag: e.timeoutFlag, httpStatus: e.httpStatus }, table) ?? 'unknown';
}

/** The attempts, charges and recovery of one order (see the diagram above). */
export function analyzeOrderAttempts(events: readonly AttemptEvent[], table: ErrorCodeTable): OrderAttempts {
  const requests = events
    .filter((e) => e.stage === 'gateway.request')
    .sort((a, b) => (a.attempt > 0 && b.attempt > 0 && a.attempt !== b.attempt ? a.attempt - b.attempt : a.at - b.at));
  const callbacks = events.filter((e) => e.stage === 'gateway.callback' && !e.duplicate).sort((a, b) => a.at - b.at);

  const attempts: Attempt[] = requests.map((r) => {
    const timedOut = isTimeout(r.errorType, r.timeoutFlag);
    const failed = requestFailed(r);
    return {
      gateway: r.gateway,
      outcome: timedOut ? 'timeout' : failed ? 'failed' : r.outcome === 'succeeded' ? 'succeeded' : 'pending',
      errorClass: failed ? (timedOut ? 'timeout' : classOf(r, table)) : null,
      errorCode: r.errorCode,
      traceId: r.traceId,
      at: r.at,
    };
  });
  // Attempts rejected at the request never reach the provider's books: no callback answers them.
  const answerable = attempts.map((a) => a.outcome !== 'failed');
  const answered = attempts.map(() => false);
  const charged = attempts.map((a) => a.outcome === 'succeeded');
  const refs = requests.map((r, i) => new Set(charged[i] && r.providerRef ? [r.providerRef] : []));
  const otherRefs = new Set<string>();
  let charges = charged.filter(Boolean).length;
  const knownRef = (ref: string) => otherRefs.has(ref) || refs.some((s) => s.has(ref));

  for (const cb of callbacks) {
    // The attempt the callback names, else the latest unanswered one on its gateway that started before it.
    let target = cb.attempt > 0 ? requests.findIndex((r) => r.attempt === cb.attempt) : -1;
    if (target < 0) {
      for (let i = 0; i < attempts.length; i++) {
        if (answerable[i] && !answered[i] && attempts[i].gateway === cb.gateway && attempts[i].at <= cb.at && (target < 0 || attempts[i].at >= attempts[target].at)) target = i;
      }
    }
    const succeeded = cb.outcome === 'succeeded' && !cb.isError;
    if (target < 0) {
      // Nothing left to answer: a success here is the order fulfilled again, unless its charge id is one already counted.
      if (succeeded && !(cb.providerRef && knownRef(cb.providerRef))) {
        charges++;
        if (cb.providerRef) otherRefs.add(cb.providerRef);
      }
      continue;
    }
    const a = attempts[target];
    const again = answered[target];
    answered[target] = true;
    if (succeeded) {
      const sameRef = cb.providerRef !== '' && refs[target].has(cb.providerRef);
      const otherRef = cb.providerRef !== '' && refs[target].size > 0 && !sameRef;
      // A second fulfilment of one attempt, or a different charge id: another charge.
      if (!charged[target] || (again && !sameRef) || otherRef) charges++;
      charged[target] = true;
      if (cb.providerRef) refs[target].add(cb.providerRef);
      a.outcome = 'succeeded';
    } else if (requestFailed(cb) && a.outcome !== 'succeeded') {
      a.outcome = 'failed';
      a.errorClass ??= classOf(cb, table);
      a.errorCode ||= cb.errorCode;
    }
  }
  const retried = attempts.length > 1;
  return { attempts, charges, retried, recovered: retried && attempts.slice(1).some((a) => a.outcome === 'succeeded') };
}

export interface FailoverRow {
  fromGateway: string;
  /** The class of the attempt retried from; null when it had not failed (retried while pending, or after a success). */
  errorClass: ErrorClass | null;
  toGateway: string;
  /** Retries from `fromGateway` after `errorClass` to `toGateway`. */
  attempts: number;
  /** Of those, retries that succeeded. */
  recovered: number;
}

/** Each retry (attempt i → i+1) counted by where it came from, why, and where it went; most retries first. */
export function failoverMatrix(orders: readonly OrderAttempts[]): FailoverRow[] {
  const rows = new Map<string, FailoverRow>();
  for (const o of orders) {
    for (let i = 1; i < o.attempts.length; i++) {
      const from = o.attempts[i - 1];
      const to = o.attempts[i];
      const key = JSON.stringify([from.gateway, from.errorClass, to.gateway]);
      let row = rows.get(key);
      if (!row) rows.set(key, (row = { fromGateway: from.gateway, errorClass: from.errorClass, toGateway: to.gateway, attempts: 0, recovered: 0 }));
      row.attempts++;
      if (to.outcome === 'succeeded') row.recovered++;
    }
  }
  const name = (r: FailoverRow) => `${r.fromGateway}\u0000${r.errorClass ?? ''}\u0000${r.toGateway}`;
  return [...rows.values()].sort((a, b) => b.attempts - a.attempts || (name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0));
}
