import { ErrorCodeTable, NETWORK_ERROR_TYPES } from '../analytics/error-taxonomy';
import { getConfig, type PayscopeConfig } from '../config';
import { sql, UNSAFE_RAW_SQL, type SqlFragment } from '../store/sql';
import { isTimeoutSql } from './common';

// Built once per configuration: every query binds the arrays, so a change of
// PAYSCOPE_ERROR_CLASSES applies to spans stored before it.
let built: { entries: PayscopeConfig['errorClasses']; table: ErrorCodeTable } | undefined;

/** The error code table of this process: built-ins + PAYSCOPE_ERROR_CLASSES (lib/config.ts). */
export function defaultErrorCodeTable(): ErrorCodeTable {
  const entries = getConfig().errorClasses;
  if (built?.entries !== entries) built = { entries, table: new ErrorCodeTable(entries) };
  return built.table;
}

/**
 * `WITH` aliases `errorClassSql` refers to (the code table as arrays, the network error types).
 * Goes after `queryConstants(hosts)`, which binds the timeout error types:
 * `sql\`WITH ${queryConstants(h)}, ${errorClassConstants()} SELECT ...\``.
 */
export function errorClassConstants(table: ErrorCodeTable = defaultErrorCodeTable()): SqlFragment {
  const { keys, classes } = table.arrays();
  return sql`${keys} AS _ec_keys, ${classes} AS _ec_classes, ${[...NETWORK_ERROR_TYPES]} AS _ec_network_types`;
}

/** Column or alias names of a row of gateway_calls (or payment_stage_events); the code writes them, never input. */
export interface ErrorClassColumns {
  /** The gateway, e.g. an alias of `gatewayOfSql()`. */
  gateway: string;
  code?: string;
  isError?: string;
  errorType?: string;
  timeoutFlag?: string;
  httpStatus?: string;
}

/**
 * The error class of a gateway call (lib/analytics/error-taxonomy.ts, `classifyGatewayError`), ''
 * when the call did not fail. Needs `errorClassConstants()` and `queryConstants()` in the WITH.
 */
export function errorClassSql(c: ErrorClassColumns): SqlFragment {
  const gw = UNSAFE_RAW_SQL(`lower(toString(${c.gateway}))`);
  const code = UNSAFE_RAW_SQL(`lower(toString(${c.code ?? 'PaymentErrorCode'}))`);
  const errorType = UNSAFE_RAW_SQL(`toString(${c.errorType ?? 'ErrorType'})`);
  const isError = UNSAFE_RAW_SQL(c.isError ?? 'IsError');
  const httpStatus = UNSAFE_RAW_SQL(c.httpStatus ?? 'HttpStatus');
  const timedOut = isTimeoutSql(c.errorType ?? 'ErrorType', c.timeoutFlag ?? 'TimeoutFlag');
  const ownKey = sql`concat(${gw}, '\\0', ${code})`;
  const anyKey = sql`concat('*\\0', ${code})`;
  const status = sql`if(${httpStatus} != 0, toUInt32(${httpStatus}), if(match(${errorType}, '^[1-5][0-9][0-9]$'), toUInt32OrZero(${errorType}), 0))`;
  return sql`multiIf(
    NOT (${isError} OR ${timedOut}), '',
    ${timedOut}, 'timeout',
    ${code} != '' AND has(_ec_keys, ${ownKey}), arrayElement(_ec_classes, indexOf(_ec_keys, ${ownKey})),
    ${code} != '' AND has(_ec_keys, ${anyKey}), arrayElement(_ec_classes, indexOf(_ec_keys, ${anyKey})),
    has(_ec_network_types, lower(${errorType})), 'network',
    ${status} = 402, 'decline',
    ${status} = 408, 'timeout',
    ${status} = 429 OR ${status} BETWEEN 500 AND 599, 'provider_error',
    ${status} BETWEEN 400 AND 499, 'invalid_request',
    'unknown')`;
}
