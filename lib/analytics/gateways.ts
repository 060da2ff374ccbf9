import { ERROR_TYPE_TIMEOUT, GatewayHostTable, TIMEOUT_ERROR_CODES, TIMEOUT_ERROR_NAMES } from '@payscope/instrumentation/conventions';

/**
 * Which third-party gateway a client span called, and whether it timed out. The host table is the
 * instrumentation package's (the same built-in list of payment provider hosts, the same matching
 * rules), extended by the configured `PAYSCOPE_GATEWAY_HOSTS` (lib/config.ts).
 *
 *   payment.gateway set?  ──yes──► that gateway
 *        │ no
 *   host of server.address / url.full / http.url / net.peer.name (the PeerHost column)
 *        ├─ exact entry        api.stripe.com            → stripe
 *        ├─ longest wildcard   x.checkout-live.adyenpayments.com → adyen   (*.adyenpayments.com)
 *        └─ none               ''  (not a gateway call)
 */

export { GatewayHostTable };

/** The gateway of a span from its `payment.gateway` attribute and peer host; '' when neither names one. */
export function gatewayOf(table: GatewayHostTable, paymentGateway: string, peerHost: string): string {
  if (paymentGateway !== '') return paymentGateway;
  if (peerHost === '') return '';
  return table.lookup(peerHost) ?? '';
}

/**
 * The table as parallel arrays for SQL (`indexOf` on exact hosts, then the first suffix that
 * matches, longest suffix first: the same precedence as `GatewayHostTable.lookup`).
 */
export interface GatewayHostArrays {
  exactHosts: string[];
  exactGateways: string[];
  /** Suffixes with their leading dot ('.adyen.com'), longest first. */
  suffixes: string[];
  suffixGateways: string[];
}

export function gatewayHostArrays(table: GatewayHostTable): GatewayHostArrays {
  const exact: [string, string][] = [];
  const suffix: [string, string][] = [];
  for (const [pattern, gateway] of table.entries()) {
    if (pattern.startsWith('*.')) suffix.push([pattern.slice(1), gateway]);
    else exact.push([pattern, gateway]);
  }
  suffix.sort((a, b) => b[0].length - a[0].length || (a[0] < b[0] ? -1 : 1));
  return {
    exactHosts: exact.map((e) => e[0]),
    exactGateways: exact.map((e) => e[1]),
    suffixes: suffix.map((e) => e[0]),
    suffixGateways: suffix.map((e) => e[1]),
  };
}

/**
 * `error.type` values that mean the caller gave up waiting: payscope's instrumentation writes
 * `timeout` (and `payment.timeout=true`); other SDKs leave the Node error code or class name.
 */
export const TIMEOUT_ERROR_TYPES: readonly string[] = [
  ERROR_TYPE_TIMEOUT,
  ...TIMEOUT_ERROR_CODES,
  ...TIMEOUT_ERROR_NAMES,
  'DEADLINE_EXCEEDED', // gRPC
];

/** Whether a span is a timeout: `payment.timeout = true`, or an `error.type` that names one. */
export function isTimeout(errorType: string, timeoutFlag: string): boolean {
  return timeoutFlag === 'true' || TIMEOUT_ERROR_TYPES.includes(errorType);
}
