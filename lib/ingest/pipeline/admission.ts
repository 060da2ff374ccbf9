import { OverloadedError } from './errors';

/**
 * Admission: whether a request may join the queue. Nothing is queued without bound — in bytes, in
 * time to store, or in spool while the store is down.
 */

export interface AdmissionLimits {
  maxQueueBytes: number;
  /** Refuse when the queue would take longer than this to store. 0 = no limit. */
  maxQueueWaitMs: number;
  maxSpoolBytes: number;
}

/** What is in memory and on disk at the moment of asking. */
export interface AdmissionState {
  /** Bytes gathered, being sealed, or sealed and waiting for an insert. */
  queuedBytes: number;
  /** Request bodies being read and decoded, not yet submitted (they hold memory too). */
  heldBytes: number;
  /** Bytes of the inserts running now. */
  inflightBytes: number;
  spoolBytes: number;
  storeUp: boolean;
  /** Bytes per millisecond the store takes; 0 = not known yet. */
  storeBytesPerMs: number;
}

/**
 * The refusal for a request of `bytes` RowBinary bytes, or undefined to admit it. `bytes` 0 asks
 * before a body is read: is payscope already full?
 * - queue bytes (plus bodies being read) over `maxQueueBytes` → 429;
 * - what waits would take longer than `maxQueueWaitMs` to store at the rate inserts are going → 429
 *   (an acknowledgement after the exporter's timeout — 10 s by default — is wasted work, and its
 *   retry a duplicate);
 * - store down and spool full → 503.
 */
export function admissionRefusal(bytes: number, s: AdmissionState, limits: AdmissionLimits): OverloadedError | undefined {
  const ahead = s.queuedBytes + s.inflightBytes + bytes;
  const full = (used: number, limit: number) => (bytes === 0 ? used >= limit : used + bytes > limit);
  if (full(s.queuedBytes + s.heldBytes, limits.maxQueueBytes)) {
    return new OverloadedError(`ingest queue full (${s.queuedBytes} bytes waiting to be stored)`, 1);
  }
  const maxWaitMs = limits.maxQueueWaitMs;
  if (s.storeUp && maxWaitMs > 0 && s.storeBytesPerMs > 0 && ahead > bytes && ahead / s.storeBytesPerMs > maxWaitMs) {
    const waitSec = ahead / s.storeBytesPerMs / 1000;
    return new OverloadedError(`ingest busy: the queue would take ${waitSec.toFixed(1)} s to store (limit ${maxWaitMs / 1000} s)`, Math.min(5, Math.max(1, Math.ceil(waitSec - maxWaitMs / 1000))));
  }
  if (!s.storeUp && full(s.spoolBytes, limits.maxSpoolBytes)) {
    return new OverloadedError(`store unavailable and spool full (${s.spoolBytes} bytes)`, 10, 503);
  }
  return undefined;
}
