import type { Span } from '@opentelemetry/api';

const KEY = Symbol.for('payscope.instrumentation.local-parents');
type GlobalWithParents = typeof globalThis & { [KEY]?: WeakMap<object, Span> };

/**
 * Child span → parent span, for spans started in this process. Lets `withPayment` reach the
 * request's server span from inside framework spans (express "request handler", ...). Kept on
 * globalThis because the ESM and CommonJS builds of this package can both be loaded in one
 * process (`--import .../register` loads one, `require()` in the app the other).
 */
export function localParents(): WeakMap<object, Span> {
  const global = globalThis as GlobalWithParents;
  return (global[KEY] ??= new WeakMap());
}
