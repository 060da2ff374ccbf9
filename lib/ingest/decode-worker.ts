import { parentPort } from 'node:worker_threads';
import { OtlpDecodeError } from './otlp';
import { decodeBody, transferable, type DecodeJob, type DecodeReply } from './decode-job';

/** A decode worker thread (lib/ingest/decode-pool.ts): one body at a time, the rows transferred back. */
parentPort!.on('message', (job: DecodeJob) => {
  let reply: DecodeReply;
  try {
    const r = decodeBody(job.encoding, job.body, job.options);
    reply = { id: job.id, ok: true, rows: r.rows, accepted: r.accepted, rejected: r.rejected, errorMessage: r.errorMessage };
  } catch (err) {
    reply = { id: job.id, ok: false, badInput: err instanceof OtlpDecodeError, message: (err as Error)?.message ?? String(err) };
  }
  parentPort!.postMessage(reply, reply.ok ? transferable(reply.rows) : []);
});
