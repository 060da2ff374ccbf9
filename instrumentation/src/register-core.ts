import { register } from 'node:module';
import { startPayscope, tracingDisabledByEnv } from './start.js';

/**
 * What `--import @payscope/instrumentation/register` does: register the OpenTelemetry ESM loader
 * hook (so `import`ed modules such as express can be patched; CommonJS `require` is patched
 * without it), then start payscope from the environment. Never throws into the app.
 */
export function registerAndStart(parentUrl: string): void {
  try {
    // Switched off: do not even add the loader hook.
    if (tracingDisabledByEnv()) return;
    if (typeof register === 'function') {
      register('@opentelemetry/instrumentation/hook.mjs', parentUrl);
    } else {
      console.warn('[payscope] this Node.js has no module.register(): ES modules will not be instrumented (needs Node >= 20.6)');
    }
    startPayscope();
  } catch (error) {
    console.warn(`[payscope] not started, the app runs untraced: ${error instanceof Error ? error.message : String(error)}`);
  }
}
