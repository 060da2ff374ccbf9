/**
 * OTLP trace ingest decoding: request bytes → ClickHouse RowBinary rows for `otel_traces`
 * (columns in SPAN_COLUMNS order), plus the OTLP response encoders.
 */
export { RowBinaryWriter, HEX_HI, HEX_LO, encodeRowBinaryString } from './rowbinary';
export {
  SPAN_COLUMNS,
  SPAN_KIND_NAMES,
  STATUS_CODE_NAMES,
  spanKindName,
  statusCodeName,
  ScopeColumns,
  writeSpanRow,
  writeDurationNs,
  type ResourceColumns,
  type SpanRowSource,
} from './span-row';
export { OtlpDecodeError } from './errors';
export type { DecodeResult, DecodeOptions } from './types';
export { startTimeWindow, type StartTimeWindow } from './start-time-window';
export { decodeTraceRequestProtobuf, MAX_ANYVALUE_DEPTH } from './decode-protobuf';
export { decodeTraceRequestJson, MAX_JSON_DEPTH } from './decode-json';
export { encodeExportTraceServiceResponse, exportTraceServiceResponseJson } from './response';
export type { ExportTraceServiceResponseJson } from './response';
export {
  goFloat64AsString,
  writeInt64String,
  writeBase64String,
  writeGoJsonQuoted,
} from './gofmt';

import { SPAN_COLUMNS } from './span-row';

/** `Timestamp, TraceId, ...` with names back-quoted, for `INSERT INTO otel_traces (...)`. */
export const SPAN_COLUMN_LIST: string = SPAN_COLUMNS.map((c) => '`' + c.name + '`').join(', ');
/** `Timestamp DateTime64(9), ...`, the structure argument of file(..., RowBinary, '...') / input(). */
export const SPAN_STRUCTURE: string = SPAN_COLUMNS.map((c) => '`' + c.name + '` ' + c.type).join(', ');
