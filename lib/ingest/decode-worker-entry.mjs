// Entry of a decode worker thread (lib/ingest/decode-pool.ts). Plain JavaScript, because Node
// loads a worker's entry before any loader could turn TypeScript into it: it registers tsx in this
// thread, then loads the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import(new URL('./decode-worker.ts', import.meta.url).href);
