import { GatewayHostTable, gatewayHostArrays, TIMEOUT_ERROR_TYPES, type GatewayHostArrays } from '../analytics/gateways';
import { getConfig, type PayscopeConfig } from '../config';
import { sql, UNSAFE_RAW_SQL, type SqlFragment } from '../store/sql';

/** A half-open time range [from, to). */
export interface TimeRange {
  from: Date;
  to: Date;
}

// Built once per configuration: every query binds the arrays.
let built: { entries: PayscopeConfig['gatewayHosts']; table: GatewayHostTable; hosts: GatewayHostArrays } | undefined;

function builtFor(entries: PayscopeConfig['gatewayHosts']) {
  if (built?.entries !== entries) {
    const table = new GatewayHostTable(entries);
    built = { entries, table, hosts: gatewayHostArrays(table) };
  }
  return built;
}

/** The gateway host table of this process: built-ins + the configured gateway hosts (lib/config.ts). */
export function defaultGatewayHostTable(): GatewayHostTable {
  return builtFor(getConfig().gatewayHosts).table;
}

/** The same table as SQL arrays. */
export function defaultGatewayHosts(): GatewayHostArrays {
  return builtFor(getConfig().gatewayHosts).hosts;
}

/**
 * `WITH` aliases the other fragments here refer to: the host table arrays and the timeout
 * error types, bound once per statement. Put it first: `sql\`WITH ${queryConstants(h)} SELECT ...\``.
 */
export function queryConstants(hosts: GatewayHostArrays): SqlFragment {
  return sql`${hosts.exactHosts} AS _gw_exact_hosts,
    ${hosts.exactGateways} AS _gw_exact_gateways,
    ${hosts.suffixes} AS _gw_suffixes,
    ${hosts.suffixGateways} AS _gw_suffix_gateways,
    ${[...TIMEOUT_ERROR_TYPES]} AS _timeout_error_types`;
}

/**
 * The gateway of a span (lib/analytics/gateways.ts, `gatewayOf`): `payment.gateway`, else the peer
 * host's exact entry, else its longest matching wildcard suffix, else ''.
 */
export function gatewayOfSql(gatewayColumn = 'PaymentGateway', hostColumn = 'PeerHost'): SqlFragment {
  const g = UNSAFE_RAW_SQL(`toString(${gatewayColumn})`);
  const h = UNSAFE_RAW_SQL(`toString(${hostColumn})`);
  return sql`multiIf(
    ${g} != '', ${g},
    ${h} = '', '',
    has(_gw_exact_hosts, ${h}), arrayElement(_gw_exact_gateways, indexOf(_gw_exact_hosts, ${h})),
    arrayElement(_gw_suffix_gateways, arrayFirstIndex(s -> endsWith(${h}, s), _gw_suffixes)))`;
}

/** Whether a span is a timeout (lib/analytics/gateways.ts, `isTimeout`). */
export function isTimeoutSql(errorTypeExpr = 'ErrorType', flagExpr = 'TimeoutFlag'): SqlFragment {
  return sql`(${UNSAFE_RAW_SQL(flagExpr)} = 'true' OR has(_timeout_error_types, toString(${UNSAFE_RAW_SQL(errorTypeExpr)})))`;
}

/** Numbers from ClickHouse JSON (64-bit integers arrive as strings). */
export function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v !== '') return Number(v);
  return 0;
}

/** Quantiles in nanoseconds (an array from quantilesExact) to float ms, null when `count` is 0. */
export function quantilesMs(q: unknown, count: number): { p50: number | null; p95: number | null; p99: number | null } {
  if (!count || !Array.isArray(q)) return { p50: null, p95: null, p99: null };
  const [a, b, c] = q.map((x) => num(x) / 1e6);
  return { p50: a ?? null, p95: b ?? null, p99: c ?? null };
}

/** ISO 8601 with nanoseconds from nanoseconds since the epoch (a decimal string). */
export function isoFromNs(ns: string): string {
  const s = ns.padStart(10, '0');
  const secs = Number(s.slice(0, -9));
  return `${new Date(secs * 1000).toISOString().slice(0, 19)}.${s.slice(-9)}Z`;
}

/** Epoch milliseconds (float, sub-ms kept) from nanoseconds since the epoch as a decimal string. */
export function msFromNs(ns: string | number): number {
  if (typeof ns === 'number') return ns / 1e6;
  // Split so the integer milliseconds stay exact.
  const s = ns.padStart(7, '0');
  return Number(s.slice(0, -6)) + Number(s.slice(-6)) / 1e6;
}
