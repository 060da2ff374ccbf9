/**
 * Fuzzing over the wire: a real payscope process gets mutated OTLP requests over OTLP/HTTP (protobuf
 * and JSON, some gzip- or deflate-encoded, some with wrong headers) and OTLP/gRPC for a given time.
 * Every answer must come within the timeout and be the one the OTLP spec asks for — worked out
 * in-process with the same decoders (fuzz/oracle.ts), so a 200 where a 400 was due is caught too —
 * 429/503 are accepted (overload) and counted. Overall the process must stay alive with bounded
 * memory, store exactly the spans it acknowledged, accept a known valid request at the end, and stop
 * cleanly on SIGTERM. Failing inputs are saved to fuzz/crashes/<sha>.bin (+ <sha>.json: headers,
 * transport, reason).
 *
 *   npm run fuzz -- [--seconds 60] [--seed N] [--concurrency 4] [--corpus fuzz/corpus] ...
 *
 * The command line only: the fuzzer is fuzz/run/ (what tests import).
 */
import fs from 'node:fs';
import path from 'node:path';
import { DEFAULTS, formatReport, runFuzz } from '../fuzz/run';

const HELP = `Usage: npm run fuzz -- [options]
       node --import tsx scripts/fuzz.ts [options]

Starts payscope (scripts/start.ts --no-dashboard, embedded store in a temporary directory, free
ports) and sends it fuzzed OTLP trace requests: first every corpus file and every generated large
case (fuzz/generators.ts) as it is, then mutations of them (fuzz/mutate.ts) and random bytes until
the time is up. Over OTLP/HTTP as application/x-protobuf or application/json, some gzip- or
deflate-encoded, some with corrupt gzip, a wrong Content-Type or Content-Encoding; protobuf inputs
also over OTLP/gRPC.

Each answer must come within the timeout and be the status the same decoders give in-process
(fuzz/oracle.ts: 200 / 400 / 413 / 415; gRPC OK / INVALID_ARGUMENT / RESOURCE_EXHAUSTED), in the
request's encoding, at most 64 KiB, a JSON answer parseable and with the partial-success count the
decoder gives; a corpus file or generated case sent as it is must get the answer its name (ok-, bad-)
or its \`expect\` says. 429 / 503 / UNAVAILABLE (overload, with Retry-After) are accepted and counted;
anything else, a hang or a dropped connection fails. At the end payscope must still be alive,
under the RSS bound, accept a valid protobuf and a valid JSON request, stop cleanly on SIGTERM with
an empty spool, and have stored exactly the spans its 200 answers acknowledged (retention is off
for the run). Failing inputs are written to <crashes>/<sha>.bin with <sha>.json (headers,
transport, reason). Exit status 1 when anything failed.

Options:
  --seconds N       how long to fuzz: every corpus file and generated case once (even if that
                    takes longer), then random inputs until N seconds have passed (default ${DEFAULTS.seconds})
  --inputs N        instead of --seconds: exactly N random inputs after the planned ones, shared
                    out among the senders, so a seed gives the same run on any machine
  --seed N          PRNG seed; each of the concurrent senders has its own stream (default 1)
  --concurrency N   requests in flight at once (default ${DEFAULTS.concurrency})
  --corpus DIR      seed corpus: *.pb and *.json files (default fuzz/corpus)
  --crashes DIR     where failing inputs are written (default fuzz/crashes)
  --timeout-ms N    a request unanswered after N ms is a hang (default ${DEFAULTS.timeoutMs})
  --max-rss-mb N    peak RSS bound of the payscope process (default ${DEFAULTS.maxRssMb})
  --no-grpc         OTLP/HTTP only
  --no-token        run payscope without an ingest token (by default it has one, inputs carry it,
                    and some go without it or with a wrong one: 401 / UNAUTHENTICATED is due)
  --json FILE       also write the result as JSON
  -h, --help        this text`;

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    console.log(HELP);
    process.exit(0);
  }
  const known = new Set(['--inputs', '--seconds', '--seed', '--concurrency', '--corpus', '--crashes', '--timeout-ms', '--max-rss-mb', '--json', '--no-grpc', '--no-token']);
  for (const a of args) if (a.startsWith('--') && !known.has(a)) { console.error(`unknown option ${a}\n\n${HELP}`); process.exit(2); }
  const value = (flag: string) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined);
  const num = (flag: string, d: number) => {
    const v = value(flag);
    if (v === undefined) return d;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) { console.error(`${flag} needs a number, got ${v}`); process.exit(2); }
    return n;
  };
  const r = await runFuzz({
    seconds: num('--seconds', DEFAULTS.seconds),
    inputs: value('--inputs') !== undefined ? num('--inputs', 0) : undefined,
    seed: num('--seed', DEFAULTS.seed),
    concurrency: Math.max(1, num('--concurrency', DEFAULTS.concurrency)),
    corpusDir: path.resolve(value('--corpus') ?? DEFAULTS.corpusDir),
    crashDir: path.resolve(value('--crashes') ?? DEFAULTS.crashDir),
    timeoutMs: num('--timeout-ms', DEFAULTS.timeoutMs),
    maxRssMb: num('--max-rss-mb', DEFAULTS.maxRssMb),
    grpc: !args.includes('--no-grpc'),
    token: !args.includes('--no-token'),
    log: (l) => console.log(l),
  });
  console.log('\n' + formatReport(r));
  const jsonFile = value('--json');
  if (jsonFile) fs.writeFileSync(jsonFile, JSON.stringify(r, null, 2) + '\n');
  process.exit(r.ok ? 0 : 1);
}
