// CommonJS entry, for `node --require @payscope/instrumentation/register app.js`.
import { pathToFileURL } from 'node:url';
import { registerAndStart } from './register-core.js';

registerAndStart(pathToFileURL(__filename).href);
