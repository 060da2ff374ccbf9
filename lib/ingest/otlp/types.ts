import type { RowBinaryWriter } from './rowbinary';
import type { StartTimeWindow } from './start-time-window';

/** Result of decoding one OTLP trace export request. */
export interface DecodeResult {
  /** RowBinary rows of the accepted spans, columns in SPAN_COLUMNS order, exactly sized. */
  rows: Buffer;
  /** Spans written to `rows`. */
  accepted: number;
  /** Spans dropped for invalid ids or a start time outside the window (OTLP partial success). */
  rejected: number;
  /** '' when nothing was rejected, else e.g. "2 spans rejected: invalid trace_id length 5 (span 'GET /x')". */
  errorMessage: string;
}

export interface DecodeOptions {
  /**
   * Append the rows to this writer instead of a new buffer (e.g. to batch several requests into one
   * INSERT without copying). `rows` is then a view of the appended bytes; on OtlpDecodeError the
   * writer is rolled back to its previous length, so nothing partial is left in it.
   */
  into?: RowBinaryWriter;
  /**
   * Escape `<`, `>` and `&` as \u003c \u003e \u0026 in the JSON that array / kvlist attribute values
   * are stringified to, as Go's json.Marshal did in Collector releases before v0.152
   * (open-telemetry/opentelemetry-collector#15108). Default false, as the current Collector (v0.159).
   */
  escapeHtmlInJson?: boolean;
  /**
   * Spans starting outside this window are dropped and reported as partial success, like spans with
   * invalid ids. payscope's rule is `startTimeWindow(retentionDays)`. Default: every start time.
   */
  startTimeWindow?: StartTimeWindow;
}
