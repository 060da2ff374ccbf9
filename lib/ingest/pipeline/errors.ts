/** Why a request's spans were not taken: the errors the receivers turn into OTLP answers. */

export class OverloadedError extends Error {
  /**
   * @param status 429 when payscope is busy (retry soon), 503 when the store is down and the spool
   *   full, or payscope is stopping.
   */
  constructor(message: string, readonly retryAfterSec: number, readonly status: 429 | 503 = 429) {
    super(message);
    this.name = 'OverloadedError';
  }
}

/**
 * A request's spans were refused by the store for their content (not because it is unwell): retrying
 * cannot help, so the receiver answers with a non-retryable error.
 */
export class SpansRejectedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SpansRejectedError';
  }
}
