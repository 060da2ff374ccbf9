/**
 * The dashboard's one span shape: what the query layer reads of a stored span, what the waterfall
 * draws, and what the span algorithms (critical path, hops, the waterfall tree) walk. An algorithm
 * that reads less takes a `Pick<Span, …>` of the fields it reads, so a caller hands over its spans
 * as they are and a test draws only what matters (test/helpers/span-diagram.ts).
 *
 * It lives in lib/analytics, the lowest layer that the queries, lib/ui, the components and the tests
 * may all import (docs/layers.md).
 */

export type SpanStatus = 'error' | 'ok' | 'unset';

export interface Span {
  traceId: string;
  spanId: string;
  /** '' for a root (a parent id not in the trace also makes a root). */
  parentSpanId: string;
  service: string;
  name: string;
  /** The materialized Kind: 'server', 'client', 'producer', 'consumer', 'internal' or 'unspecified'. */
  kind: string;
  /** Epoch milliseconds, fractional (any consistent origin for the algorithms). */
  startMs: number;
  durationMs: number;
  status: SpanStatus;
}

/** A span's place in its trace's tree and time: what the tree walks read. */
export type TimedSpan = Pick<Span, 'spanId' | 'parentSpanId' | 'startMs' | 'durationMs'>;

/** A timed span with the service and kind that tell a call between processes. */
export type CallSpan = TimedSpan & Pick<Span, 'service' | 'kind'>;

export interface SpanEvent {
  /** ISO 8601, nanosecond precision. */
  time: string;
  name: string;
  attributes: Record<string, string>;
}

/** The rest of a stored span: the details panel shows it, the JSON API sends it. */
export interface SpanDetailFields {
  statusMessage: string;
  attributes: Record<string, string>;
  resource: Record<string, string>;
  scope: string;
  events: SpanEvent[];
}
