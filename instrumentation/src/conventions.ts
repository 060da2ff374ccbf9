// What the instrumentation and payscope's analytics must agree on: payment attribute names, the
// gateway host table and the error names that mean "timed out". Exported alone as
// `@payscope/instrumentation/conventions` so the dashboard can import it without the SDK.
export {
  ATTR_PAYMENT_AMOUNT,
  ATTR_PAYMENT_CHANNEL,
  ATTR_PAYMENT_CURRENCY,
  ATTR_PAYMENT_ERROR_CODE,
  ATTR_PAYMENT_GATEWAY,
  ATTR_PAYMENT_ORDER_ID,
  ATTR_PAYMENT_OUTCOME,
  ATTR_PAYMENT_STAGE,
  ATTR_PAYMENT_TIMEOUT,
  ATTR_PAYMENT_TX_BRANCH,
  ATTR_PAYMENT_TX_ID,
  ATTR_PAYMENT_TX_PHASE,
  ERROR_TYPE_TIMEOUT,
  TIMEOUT_ERROR_CODES,
  TIMEOUT_ERROR_NAMES,
  TRANSACTION_PHASES,
} from './attributes.js';
export { BUILTIN_GATEWAY_HOSTS, ENV_GATEWAY_HOSTS, GatewayHostTable, hostOfUrl } from './gateway-host-table.js';
export type { GatewayHostTableOptions } from './gateway-host-table.js';
