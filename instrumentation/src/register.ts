// ESM entry of `node --import @payscope/instrumentation/register app.js` (for ESM and CommonJS apps alike).
import { registerAndStart } from './register-core.js';

registerAndStart(import.meta.url);
