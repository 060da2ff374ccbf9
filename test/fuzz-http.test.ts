import { describe, expect, it } from 'vitest';
import { GENERATED } from '../fuzz/generators';
import { MUTATOR_NAMES } from '../fuzz/mutate';
import { formatReport, runFuzz } from '../fuzz/run';

/**
 * A short run of `npm run fuzz` against a real payscope process: every corpus file and generated
 * case (100k-deep nesting, MiB strings, 100k attributes / spans, gzip bombs...) as it is, then a
 * fixed number of mutations. Failing inputs land in fuzz/crashes/ for `npm run fuzz` and the corpus.
 *
 * The run does the same work on any machine: a count of inputs, not a time window, and a seed that
 * fixes them. Answers are checked for what they say, not for when they come: the client waits
 * long (vitest runs other files beside this one on the same cores), and payscope's time bound on
 * its queue is off, so a request is refused with 429 only when the queue is full in bytes. Overload
 * behaviour has its own tests (test/overload.test.ts).
 */
describe('fuzzing OTLP/HTTP and OTLP/gRPC', () => {
  it('no input crashes, hangs or gets a wrong answer; memory stays bounded; every acknowledged span is stored', async () => {
    const RANDOM_INPUTS = 300;
    const r = await runFuzz({ inputs: RANDOM_INPUTS, seed: 7, concurrency: 4, timeoutMs: 180_000, env: { PAYSCOPE_MAX_QUEUE_WAIT_MS: '0' } });
    const report = formatReport(r);
    expect(r.failures, report).toBe(0);
    expect(r.serverAlive).toBe(true);
    expect(r.peakRssMb).toBeLessThan(r.maxRssMb);
    expect(r.storedSpans).toBeGreaterThan(0);
    expect(r.storedSpans).toBe(r.expectedStoredSpans);
    expect(r.serverAcceptedSpans).toBe(r.expectedStoredSpans);

    // what was covered: every generated case, every mutator family, every kind of answer
    expect(Object.keys(r.generated).sort()).toEqual(GENERATED.map((g) => g.name).sort());
    const tried = (names: readonly string[]) => names.reduce((n, k) => n + (r.byKind[k]?.tried ?? 0), 0);
    expect(r.randomInputs, report).toBe(RANDOM_INPUTS);
    expect(tried(MUTATOR_NAMES), report).toBeGreaterThan(RANDOM_INPUTS * 0.8);
    for (const family of ['pb-', 'json-']) expect(tried(MUTATOR_NAMES.filter((k) => k.startsWith(family))), family).toBeGreaterThan(0);
    expect(tried(['bitflip', 'insert', 'delete', 'duplicate', 'splice', 'truncate', 'havoc', 'set-byte'])).toBeGreaterThan(0);
    expect(r.byKind.random?.tried).toBeGreaterThan(0);
    for (const status of ['HTTP 200', 'HTTP 400', 'HTTP 401', 'HTTP 413', 'HTTP 415', 'gRPC OK', 'gRPC INVALID_ARGUMENT', 'gRPC RESOURCE_EXHAUSTED', 'gRPC UNAUTHENTICATED']) {
      expect(r.statuses[status], status).toBeGreaterThan(0);
    }
  }, 900_000);
});
