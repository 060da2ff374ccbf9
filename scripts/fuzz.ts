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
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import { SpanKind } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { loadConfig } from '../lib/config';
import { openStore } from '../lib/store/store';
import { sql } from '../lib/store/sql';
import { GENERATED, type ContentKind, type Generated } from '../fuzz/generators';
import { int, mutate, pick, randomBody, rng, type Rng, type Seed } from '../fuzz/mutate';
import { expectedFromName, kindFromName, mediaKind, predictDecode, predictHttp, type Prediction } from '../fuzz/oracle';
import { freePort, startPayscopeProcess, type PayscopeProcess } from './lib/payscope-process';

const root = path.resolve(import.meta.dirname, '..');
const MAX_BODY_BYTES = 32 * 1024 * 1024; // the default PAYSCOPE_MAX_BODY_BYTES, set explicitly for the oracle
/** An error message is a sentence: a larger answer means the server echoes request data back. */
const MAX_RESPONSE_BYTES = 64 * 1024;
const GRPC_EXPORT = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

export interface FuzzOptions {
  /** Every corpus file and generated case once (even if that takes longer), then random inputs until this many seconds have passed. */
  seconds: number;
  /**
   * Random inputs to send after the planned ones, instead of a time: the run then does the same work
   * whatever the machine's speed (each sender takes its share, so a seed gives the same inputs).
   */
  inputs?: number;
  seed: number;
  /** Requests in flight at once. */
  concurrency: number;
  corpusDir: string;
  /** Failing inputs are written here. */
  crashDir: string;
  /** A request not answered within this is a hang. */
  timeoutMs: number;
  /** Peak RSS of the payscope process above this fails the run. */
  maxRssMb: number;
  /** Also send protobuf inputs over OTLP/gRPC. */
  grpc: boolean;
  /** Extra environment for the payscope process. */
  env?: Record<string, string>;
  /**
   * Run payscope with an ingest token: inputs carry it, and some go without it or with a wrong one
   * (large ones among them, over HTTP and gRPC), which must be refused 401 / UNAUTHENTICATED.
   */
  token: boolean;
  log?: (line: string) => void;
}

export const DEFAULTS: FuzzOptions = {
  seconds: 60,
  seed: 1,
  concurrency: 4,
  corpusDir: path.join(root, 'fuzz/corpus'),
  crashDir: path.join(root, 'fuzz/crashes'),
  timeoutMs: 10_000,
  maxRssMb: 1536,
  grpc: true,
  token: true,
};

/** Answers per input kind (HTTP status, or the gRPC code in the same column: OK, INVALID_ARGUMENT, RESOURCE_EXHAUSTED, UNAVAILABLE). */
export interface KindStats {
  tried: number;
  protobuf: number;
  json: number;
  grpc: number;
  gzip: number;
  s200: number;
  s400: number;
  s413: number;
  s415: number;
  /** 401 / UNAUTHENTICATED: sent without the ingest token, or with a wrong one */
  s401: number;
  /** 429 / 503 / UNAVAILABLE: refused under load, with Retry-After */
  overload: number;
  failed: number;
}

export interface FuzzFailure {
  kind: string;
  source: string;
  transport: 'http' | 'grpc';
  contentType?: string;
  contentEncoding?: string;
  reason: string;
  file?: string;
}

export interface FuzzResult {
  seed: number;
  concurrency: number;
  elapsedSeconds: number;
  corpusFiles: number;
  generatedCases: number;
  inputs: number;
  /** of them, random inputs after the planned ones (mutations, random bytes, repeats) */
  randomInputs: number;
  requestsPerSec: number;
  bytesSent: number;
  maxLatencyMs: number;
  /** by input kind: seed, generated, random, or the mutator's name */
  byKind: Record<string, KindStats>;
  /** by how it was sent: plain, gzip, gzip-corrupt, deflate, bad-encoding, cross-type, bad-type, grpc */
  byVariant: Record<string, KindStats>;
  /** each generated case sent as it is: its answers */
  generated: Record<string, Record<string, number>>;
  statuses: Record<string, number>;
  failures: number;
  failureSamples: FuzzFailure[];
  crashFiles: string[];
  peakRssMb: number;
  maxRssMb: number;
  /** spans of the 200 answers, by the oracle (fuzz inputs and the final valid requests) */
  expectedStoredSpans: number;
  serverAcceptedSpans: number;
  storedSpans: number;
  serverAlive: boolean;
  ok: boolean;
}

interface Input {
  kind: string;
  /** corpus file or generated case it came from */
  source: string;
  type: ContentKind;
  body: Uint8Array;
  /** generated gzip bodies: sent as they are, with Content-Encoding: gzip */
  gzipped?: boolean;
  /** sent unchanged: its expectation (corpus: ok- / bad- name; generated: `expect`) applies */
  asIs?: boolean;
  expect?: 200 | 400 | 413;
}

interface Sent {
  transport: 'http' | 'grpc';
  /** the ingest token sent: the right one, none, or a wrong one */
  auth?: 'ok' | 'missing' | 'wrong';
  variant: string;
  contentType?: string;
  contentEncoding?: string;
  body: Uint8Array;
}

const emptyStats = (): KindStats => ({ tried: 0, protobuf: 0, json: 0, grpc: 0, gzip: 0, s200: 0, s400: 0, s413: 0, s415: 0, s401: 0, overload: 0, failed: 0 });

function loadCorpus(dir: string): Seed[] {
  return fs.readdirSync(dir).sort().flatMap((name) => {
    const type = kindFromName(name);
    return type ? [{ name, type, body: fs.readFileSync(path.join(dir, name)) }] : [];
  });
}

/** How an input goes out: transport, headers, encoding. */
function dress(rand: Rng, input: Input, grpcOn: boolean): Sent {
  if (input.gzipped) return { transport: 'http', variant: 'gzip', contentType: ctFor(input.type), contentEncoding: 'gzip', body: input.body };
  if (input.asIs) return { transport: 'http', variant: 'plain', contentType: ctFor(input.type), body: input.body };
  if (grpcOn && input.type === 'protobuf' && rand() < 0.15) return { transport: 'grpc', variant: 'grpc', body: input.body };
  const contentType = input.type === 'protobuf' ? pick(rand, ['application/x-protobuf', 'application/x-protobuf', 'application/protobuf']) : pick(rand, ['application/json', 'application/json', 'application/json; charset=utf-8']);
  const v = rand();
  if (v < 0.22) return { transport: 'http', variant: 'gzip', contentType, contentEncoding: 'gzip', body: zlib.gzipSync(input.body, { level: 1 }) };
  if (v < 0.25) {
    // a corrupted gzip stream: bit flips, or cut short
    const gz = Uint8Array.from(zlib.gzipSync(input.body, { level: 1 }));
    if (rand() < 0.5) for (let i = 0; i < 3; i++) gz[int(rand, gz.length)] ^= 1 << int(rand, 8);
    return { transport: 'http', variant: 'gzip-corrupt', contentType, contentEncoding: 'gzip', body: rand() < 0.5 ? gz : gz.subarray(0, int(rand, gz.length)) };
  }
  if (v < 0.28) return { transport: 'http', variant: 'deflate', contentType, contentEncoding: pick(rand, ['deflate', 'DEFLATE']), body: zlib.deflateSync(input.body, { level: 1 }) };
  if (v < 0.3) return { transport: 'http', variant: 'bad-encoding', contentType, contentEncoding: pick(rand, ['br', 'zstd', 'gzip, gzip', 'x-gzip']), body: input.body };
  if (v < 0.33) return { transport: 'http', variant: 'cross-type', contentType: ctFor(input.type === 'protobuf' ? 'json' : 'protobuf'), body: input.body };
  if (v < 0.35) return { transport: 'http', variant: 'bad-type', contentType: pick(rand, [undefined, '', 'text/plain', 'application/grpc', 'application/x-protobuf-ish', 'application/jsonl', 'multipart/form-data']), body: input.body };
  return { transport: 'http', variant: 'plain', contentType, body: input.body };
}

function ctFor(type: ContentKind): string {
  return type === 'protobuf' ? 'application/x-protobuf' : 'application/json';
}

type Outcome =
  | { answered: true; status: number; headers: http.IncomingHttpHeaders; body: Buffer; size: number; ms: number }
  | { answered: false; error: string; ms: number };

/** The Authorization value a request carries, by its `auth`. */
function authorization(sent: Sent, token: string | undefined): string | undefined {
  if (!token || sent.auth === 'missing') return undefined;
  return `Bearer ${sent.auth === 'wrong' ? token.slice(1) + 'x' : token}`;
}

function postHttp(agent: http.Agent, port: number, sent: Sent, timeoutMs: number, token?: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    let done = false;
    const finish = (o: Outcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(o);
    };
    const headers: Record<string, string | number> = { 'content-length': sent.body.length };
    if (sent.contentType !== undefined) headers['content-type'] = sent.contentType;
    if (sent.contentEncoding !== undefined) headers['content-encoding'] = sent.contentEncoding;
    const auth = authorization(sent, token);
    if (auth) headers.authorization = auth;
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/v1/traces', agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= MAX_RESPONSE_BYTES + 1) chunks.push(c);
      });
      res.on('end', () => finish({ answered: true, status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks), size, ms: performance.now() - t0 }));
      res.on('error', (e: NodeJS.ErrnoException) => finish({ answered: false, error: `response cut: ${e.code ?? e.message}`, ms: performance.now() - t0 }));
    });
    const timer = setTimeout(() => {
      finish({ answered: false, error: `no answer within ${timeoutMs} ms`, ms: performance.now() - t0 });
      req.destroy();
    }, timeoutMs);
    req.on('error', (e: NodeJS.ErrnoException) => finish({ answered: false, error: `connection error: ${e.code ?? e.message}`, ms: performance.now() - t0 }));
    req.end(sent.body);
  });
}

function callGrpc(client: grpc.Client, sent: Sent, timeoutMs: number, token?: string): Promise<{ code: number; details: string; ms: number }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const buf = Buffer.from(sent.body.buffer, sent.body.byteOffset, sent.body.byteLength);
    const metadata = new grpc.Metadata();
    const auth = authorization(sent, token);
    if (auth) metadata.set('authorization', auth);
    client.makeUnaryRequest(GRPC_EXPORT, (b: Buffer) => b, (b: Buffer) => b, buf, metadata, { deadline: Date.now() + timeoutMs },
      (err) => resolve(err ? { code: err.code, details: err.details ?? '', ms: performance.now() - t0 } : { code: 0, details: '', ms: performance.now() - t0 }));
  });
}

const GRPC_AS_HTTP: Record<number, number> = { 0: 200, 3: 400, 8: 413, 16: 401 };

/** Checks one HTTP answer against the prediction; returns the failure reason or ''. */
function checkHttp(o: Outcome & { answered: true }, sent: Sent, want: Prediction): string {
  if (o.status === 429 || o.status === 503) return o.headers['retry-after'] ? '' : `${o.status} without Retry-After`;
  if (o.status !== want.status) return `answered ${o.status}, expected ${want.status}${o.body.length ? `: ${o.body.toString('utf8', 0, 200)}` : ''}`;
  if (o.size > MAX_RESPONSE_BYTES) return `answer of ${o.size} bytes (an error message should be short)`;
  const json = mediaKind(sent.contentType) !== 'protobuf'; // unsupported types are answered in JSON
  const ct = String(o.headers['content-type'] ?? '');
  if (ct !== (json ? 'application/json' : 'application/x-protobuf')) return `answer content type ${JSON.stringify(ct)} for a ${json ? 'JSON' : 'protobuf'} request`;
  if (json) {
    let doc: { partialSuccess?: { rejectedSpans?: string | number }; message?: string };
    try {
      doc = JSON.parse(o.body.toString('utf8'));
    } catch {
      return `answer is not JSON: ${o.body.toString('utf8', 0, 200)}`;
    }
    if (o.status !== 200 && typeof doc.message !== 'string') return 'error answer without a message';
    if (o.status === 200 && Number(doc.partialSuccess?.rejectedSpans ?? 0) !== want.rejected) {
      return `partial success reports ${doc.partialSuccess?.rejectedSpans ?? 0} rejected spans, expected ${want.rejected}`;
    }
  }
  return '';
}

/** Valid requests made by the SDK, sent at the end: they must be accepted and stored. */
function canarySpans(service: string, n: number): ReadableSpan[] {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': service }), spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracer = provider.getTracer('fuzz-canary');
  for (let i = 0; i < n; i++) tracer.startSpan(`canary ${i}`, { kind: SpanKind.SERVER, attributes: { i } }).end();
  return exporter.getFinishedSpans();
}

function procStatusMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+)`).exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0; // the process is gone
  }
}

export async function runFuzz(options: Partial<FuzzOptions> = {}): Promise<FuzzResult> {
  const opts: FuzzOptions = { ...DEFAULTS, ...options };
  const log = opts.log ?? (() => {});
  const corpus = loadCorpus(opts.corpusDir);
  if (!corpus.length) throw new Error(`no .pb or .json files in ${opts.corpusDir}`);
  const byType = { protobuf: corpus.filter((s) => s.type === 'protobuf'), json: corpus.filter((s) => s.type === 'json') };

  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'payscope-fuzz-'));
  const grpcPort = opts.grpc ? await freePort() : 0;
  const token = opts.token ? crypto.randomBytes(16).toString('hex') : undefined;
  const starting = startPayscopeProcess(dataDir, {
    // Retention off: fuzz spans carry timestamps from 1970 to 2262, and with a TTL whole parts of old
    // spans are dropped as soon as they are written, which would make "stored = acknowledged" uncheckable.
    env: { PAYSCOPE_OTLP_GRPC_PORT: String(grpcPort), PAYSCOPE_MAX_BODY_BYTES: String(MAX_BODY_BYTES), PAYSCOPE_RETENTION_DAYS: '0', ...(token ? { PAYSCOPE_INGEST_TOKEN: token } : {}), ...opts.env },
  });
  // the large cases are built while payscope starts
  const t0gen = performance.now();
  const generated = GENERATED.map((g: Generated) => ({ g, body: g.make() }));
  log(`built ${generated.length} generated cases (${(generated.reduce((a, x) => a + x.body.length, 0) / 2 ** 20).toFixed(0)} MiB) in ${((performance.now() - t0gen) / 1000).toFixed(1)} s`);
  let server: PayscopeProcess;
  try {
    server = await starting;
  } catch (err) {
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  const pid = server.child.pid!;
  let sampler: NodeJS.Timeout | undefined;
  let progress: NodeJS.Timeout | undefined;
  try {
    const byKind: Record<string, KindStats> = {};
    const byVariant: Record<string, KindStats> = {};
    const generatedAnswers: Record<string, Record<string, number>> = {};
    const statuses: Record<string, number> = {};
    const failureSamples: FuzzFailure[] = [];
    const crashFiles = new Set<string>();
    let failures = 0;
    let inputs = 0;
    let bytesSent = 0;
    let maxLatencyMs = 0;
    let expectedStored = 0;
    let peakRss = procStatusMb(pid, 'VmRSS');
    sampler = setInterval(() => { if (server.alive()) peakRss = Math.max(peakRss, procStatusMb(pid, 'VmRSS')); }, 200);

    const fail = (f: FuzzFailure, body?: Uint8Array) => {
      failures++;
      if (body) {
        fs.mkdirSync(opts.crashDir, { recursive: true });
        const sha = crypto.createHash('sha256').update(body).digest('hex').slice(0, 16);
        const file = path.join(opts.crashDir, `${sha}.bin`);
        fs.writeFileSync(file, body);
        fs.writeFileSync(path.join(opts.crashDir, `${sha}.json`), JSON.stringify({ ...f, file: undefined, seed: opts.seed, at: new Date().toISOString() }, null, 2) + '\n');
        f.file = path.relative(root, file);
        crashFiles.add(f.file);
      }
      if (failureSamples.length < 50) failureSamples.push(f);
      log(`FAIL ${f.kind} (${f.source}, ${f.transport}${f.contentType !== undefined ? ` ${f.contentType}` : ''}${f.contentEncoding ? ` ${f.contentEncoding}` : ''}): ${f.reason}${f.file ? ` → ${f.file}` : ''}`);
    };

    // Corpus files and generated cases are sent as they are again and again: their predictions are
    // kept (by body object and headers) instead of decoding MiB again in this process.
    const predictions = new WeakMap<Uint8Array, Map<string, Prediction>>();
    const predict = (sent: Sent): Prediction => {
      // without the token nothing else is looked at (after the method, always POST here)
      if (token && sent.auth && sent.auth !== 'ok') return { status: 401, accepted: 0, rejected: 0 };
      const key = `${sent.transport} ${sent.contentType} ${sent.contentEncoding}`;
      const known = predictions.get(sent.body)?.get(key);
      if (known) return known;
      const p = sent.transport === 'grpc'
        ? sent.body.length > MAX_BODY_BYTES ? { status: 413 as const, accepted: 0, rejected: 0 } : predictDecode(sent.body, 'protobuf')
        : predictHttp(sent.body, sent, MAX_BODY_BYTES);
      if (!predictions.has(sent.body)) predictions.set(sent.body, new Map());
      predictions.get(sent.body)!.set(key, p);
      return p;
    };

    /** Sends one input, checks the answer, books it. */
    const send = async (input: Input, sent: Sent, agent: http.Agent, client: grpc.Client | undefined) => {
      inputs++;
      bytesSent += sent.body.length;
      const row = (byKind[input.kind] ??= emptyStats());
      const vrow = (byVariant[sent.variant] ??= emptyStats());
      for (const r of [row, vrow]) {
        r.tried++;
        r[input.type]++;
        if (sent.transport === 'grpc') r.grpc++;
        if (sent.contentEncoding?.toLowerCase() === 'gzip') r.gzip++;
      }
      const failure = (reason: string): FuzzFailure => ({ kind: input.kind, source: input.source, transport: sent.transport, contentType: sent.contentType, contentEncoding: sent.contentEncoding, reason });
      let want: Prediction;
      try {
        want = predict(sent);
      } catch (err) {
        // the decoder threw something other than OtlpDecodeError: a bug even before the server sees it
        fail(failure(`decoder threw ${(err as Error)?.stack ?? err}`), sent.body);
        for (const r of [row, vrow]) r.failed++;
        return;
      }
      // The oracle uses the decoders themselves: these expectations are what pins down the decoders.
      const expectation = input.asIs ? input.expect : undefined;
      if (expectation !== undefined && want.status !== expectation) {
        fail(failure(`${input.kind} case due ${expectation}, the decoder answers ${want.status}`), sent.body);
        for (const r of [row, vrow]) r.failed++;
      }
      let answer: number | 'overload' | undefined;
      let reason = '';
      if (sent.transport === 'grpc') {
        const r = await callGrpc(client!, sent, opts.timeoutMs, token);
        maxLatencyMs = Math.max(maxLatencyMs, r.ms);
        const name = grpc.status[r.code] ?? String(r.code);
        statuses[`gRPC ${name}`] = (statuses[`gRPC ${name}`] ?? 0) + 1;
        // UNAVAILABLE is payscope refusing under load, unless the channel itself failed (grpc-js:
        // "No connection established", "Connection dropped"...)
        if (r.code === grpc.status.UNAVAILABLE && server.alive() && !/connect|socket|dropped|reset|refused/i.test(r.details)) answer = 'overload';
        else if (r.code in GRPC_AS_HTTP) {
          answer = GRPC_AS_HTTP[r.code];
          if (answer !== want.status) reason = `gRPC ${name}, expected the equivalent of ${want.status}: ${r.details.slice(0, 200)}`;
          else if (Buffer.byteLength(r.details) > MAX_RESPONSE_BYTES) reason = `status details of ${Buffer.byteLength(r.details)} bytes`;
        } else {
          reason = r.code === grpc.status.DEADLINE_EXCEEDED ? `no answer within ${opts.timeoutMs} ms` : `gRPC ${name}: ${r.details.slice(0, 300)}`;
        }
      } else {
        const o = await postHttp(agent, server.port, sent, opts.timeoutMs, token);
        maxLatencyMs = Math.max(maxLatencyMs, o.ms);
        if (!o.answered) {
          statuses['HTTP no answer'] = (statuses['HTTP no answer'] ?? 0) + 1;
          reason = server.alive() ? o.error : `${o.error} (payscope exited)`;
        } else {
          statuses[`HTTP ${o.status}`] = (statuses[`HTTP ${o.status}`] ?? 0) + 1;
          reason = checkHttp(o, sent, want);
          answer = o.status === 429 || o.status === 503 ? 'overload' : o.status;
        }
      }
      if (input.kind === 'generated' && input.asIs) {
        const g = (generatedAnswers[input.source] ??= {});
        const key = reason ? 'failed' : String(answer);
        g[key] = (g[key] ?? 0) + 1;
      }
      if (reason) {
        fail(failure(reason), sent.body);
        for (const r of [row, vrow]) r.failed++;
        return;
      }
      for (const r of [row, vrow]) {
        if (answer === 'overload') r.overload++;
        else if (answer === 200) r.s200++;
        else if (answer === 400) r.s400++;
        else if (answer === 413) r.s413++;
        else if (answer === 415) r.s415++;
        else if (answer === 401) r.s401++;
      }
      if (answer === 200) expectedStored += want.accepted;
    };

    // First every corpus file and generated case as it is (generated protobuf also over gRPC), then
    // random inputs until the time is up.
    const planned: { input: Input; sent?: Sent }[] = [
      ...corpus.map((s) => ({ input: { kind: 'seed', source: s.name, type: s.type, body: s.body, asIs: true, expect: expectedFromName(s.name) } })),
      ...generated.map(({ g, body }) => ({ input: { kind: 'generated', source: g.name, type: g.type, body, gzipped: g.gzipped, asIs: true, expect: g.expect } })),
      ...(opts.grpc ? generated.filter(({ g }) => g.type === 'protobuf' && !g.gzipped).map(({ g, body }) => ({
        input: { kind: 'generated', source: g.name, type: g.type, body, asIs: true, expect: g.expect },
        sent: { transport: 'grpc' as const, variant: 'grpc', body },
      })) : []),
      // the large cases again without the token (or with a wrong one): refused before being read
      ...(token ? generated.filter(({ body }) => body.length > 2 ** 20).flatMap(({ g, body }, i) => {
        const input: Input = { kind: 'no-token', source: g.name, type: g.type, body };
        const auth = i % 2 ? 'wrong' as const : 'missing' as const;
        const http = { input, sent: { transport: 'http' as const, variant: 'no-token', auth, contentType: ctFor(g.type), contentEncoding: g.gzipped ? 'gzip' : undefined, body } };
        return opts.grpc && g.type === 'protobuf' && !g.gzipped ? [http, { input, sent: { transport: 'grpc' as const, variant: 'grpc-no-token', auth, body } }] : [http];
      }) : []),
    ];
    const mutableGenerated = generated.filter((x) => !x.g.gzipped);
    const other = (rand: Rng) => (type: ContentKind) => pick(rand, byType[type].length ? byType[type] : corpus).body;

    const randomInput = (rand: Rng): Input => {
      const r = rand();
      if (r < 0.05) {
        const s = pick(rand, corpus);
        return { kind: 'seed', source: s.name, type: s.type, body: s.body };
      }
      // the large cases cost the server up to seconds each: a few of them, the rest is small and fast
      if (r < 0.055) {
        const { g, body } = pick(rand, generated);
        return { kind: 'generated', source: g.name, type: g.type, body, gzipped: g.gzipped };
      }
      if (r < 0.085) return { kind: 'random', source: 'random', type: rand() < 0.5 ? 'protobuf' : 'json', body: randomBody(rand) };
      // mostly mutations of the small corpus; a few of the large generated cases
      const base: Seed = r < 0.095
        ? (() => { const { g, body } = pick(rand, mutableGenerated); return { name: g.name, type: g.type, body }; })()
        : pick(rand, corpus);
      const m = mutate(rand, base, other(rand));
      return { kind: m.kind, source: base.name, type: base.type, body: m.body };
    };

    // The planned inputs go first and are all sent, even if that takes longer than --seconds.
    const t0 = performance.now();
    const deadline = Date.now() + opts.seconds * 1000;
    let plannedDone = false;
    let randomInputs = 0;
    log(`fuzzing payscope (pid ${pid}) ${opts.inputs !== undefined ? `with ${opts.inputs} random inputs` : `for ${opts.seconds} s`}, seed ${opts.seed}, ${opts.concurrency} at a time: ${corpus.length} corpus files, ${generated.length} generated cases`);
    progress = setInterval(() => log(`  ${inputs} inputs, ${failures} failures, RSS ${procStatusMb(pid, 'VmRSS').toFixed(0)} MB (peak ${peakRss.toFixed(0)} MB)`), 30_000);
    await Promise.all(Array.from({ length: opts.concurrency }, async (_, w) => {
      const rand = rng((Math.imul(opts.seed, 0x9e3779b1) + w) >>> 0); // one deterministic stream per worker
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const client = opts.grpc
        ? new grpc.Client(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure(), { 'grpc.max_send_message_length': -1, 'grpc.max_receive_message_length': -1 })
        : undefined;
      // with a count: worker w sends its share of it, whatever the others have done
      let quota = opts.inputs === undefined ? Infinity : Math.floor(opts.inputs / opts.concurrency) + (w < opts.inputs % opts.concurrency ? 1 : 0);
      try {
        while (server.alive()) {
          const next = planned.shift();
          if (!next && !plannedDone) {
            plannedDone = true;
            log(`  every corpus file and generated case sent once (${inputs} inputs, ${((performance.now() - t0) / 1000).toFixed(1)} s); random inputs now`);
          }
          if (!next && (opts.inputs === undefined ? Date.now() >= deadline : quota-- <= 0)) break;
          if (!next) randomInputs++;
          const input = next?.input ?? randomInput(rand);
          const sent = next?.sent ?? dress(rand, input, opts.grpc);
          if (!next && token && rand() < 0.04) {
            sent.auth = rand() < 0.5 ? 'missing' : 'wrong';
            sent.variant += '-no-token';
          }
          await send(input, sent, agent, client);
        }
      } finally {
        agent.destroy();
        client?.close();
      }
    }));
    clearInterval(progress);
    const elapsed = (performance.now() - t0) / 1000;

    // ---- after the run: still serving, nothing lost, nothing extra, clean stop
    const endFail = (reason: string) => fail({ kind: 'end-check', source: '-', transport: 'http', reason });
    const agent = new http.Agent({ keepAlive: false });
    let serverAccepted = -1;
    let stored = -1;
    if (server.alive()) {
      for (const [type, n] of [['protobuf', 5], ['json', 3]] as const) {
        const spans = canarySpans(`fuzz-canary-${type}`, n);
        const body = type === 'protobuf' ? ProtobufTraceSerializer.serializeRequest(spans)! : JsonTraceSerializer.serializeRequest(spans)!;
        const o = await postHttp(agent, server.port, { transport: 'http', variant: 'plain', contentType: ctFor(type), body }, opts.timeoutMs, token);
        if (o.answered && o.status === 200) expectedStored += n;
        else endFail(`valid ${type} request after the run: ${o.answered ? `answered ${o.status} ${o.body.toString('utf8', 0, 200)}` : o.error}`);
      }
      const health = await fetch(`http://127.0.0.1:${server.port}/health`, { headers: token ? { authorization: `Bearer ${token}` } : {} }).then((r) => r.json() as Promise<{ ingest: { acceptedSpans: number } }>, () => undefined);
      serverAccepted = health?.ingest.acceptedSpans ?? -1;
      if (serverAccepted !== expectedStored) endFail(`payscope accepted ${serverAccepted} spans, the 200 answers add up to ${expectedStored}`);
      peakRss = Math.max(peakRss, procStatusMb(pid, 'VmHWM')); // the kernel's own peak
    } else {
      endFail(`payscope exited during the run (code ${server.child.exitCode}, signal ${server.child.signalCode}):\n${server.output().slice(-3000)}`);
    }
    clearInterval(sampler);
    const serverAlive = server.alive();
    let stopped = false;
    await Promise.race([server.stop().then(() => (stopped = true)), new Promise((r) => setTimeout(r, 60_000))]);
    if (!stopped) {
      endFail('payscope did not stop within 60 s of SIGTERM');
      server.child.kill('SIGKILL');
    } else if (serverAlive && server.child.exitCode !== 0) {
      endFail(`payscope exited with code ${server.child.exitCode} (signal ${server.child.signalCode}) on SIGTERM:\n${server.output().slice(-3000)}`);
    }
    if (/ingest error|rejected by the store/.test(server.output())) endFail(`payscope logged an ingest error:\n${server.output().slice(-3000)}`);
    if (peakRss > opts.maxRssMb) endFail(`peak RSS ${peakRss.toFixed(0)} MB over the bound of ${opts.maxRssMb} MB`);
    if (stopped) {
      const config = loadConfig({ ...process.env, PAYSCOPE_DATA_DIR: dataDir, CLICKHOUSE_URL: '' });
      // the dead-letter folder is made at start; anything in it is a batch the store refused
      const list = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir) : []);
      const left = list(config.spoolDir).filter((name) => name !== 'dead-letter');
      if (left.length) endFail(`spool not empty after a clean stop: ${left.join(', ')}`);
      const dead = list(path.join(config.spoolDir, 'dead-letter'));
      if (dead.length) endFail(`batches refused by the store (dead-letter): ${dead.join(', ')}`);
      const store = await openStore(config);
      try {
        const [{ n }] = await store.query<{ n: string }>(sql`SELECT count() AS n FROM otel_traces`);
        stored = Number(n);
        const canaries = await store.query<{ s: string; n: string }>(sql`SELECT ServiceName AS s, count() AS n FROM otel_traces WHERE ServiceName LIKE 'fuzz-canary-%' GROUP BY s ORDER BY s`);
        const got = canaries.map((c) => `${c.s}=${c.n}`).join(' ');
        if (got !== 'fuzz-canary-json=3 fuzz-canary-protobuf=5') endFail(`the valid requests after the run are not all stored: ${got || 'none'}`);
      } finally {
        await store.close();
      }
      if (stored !== expectedStored) endFail(`${stored} spans stored, the 200 answers add up to ${expectedStored}`);
    }

    return {
      seed: opts.seed,
      concurrency: opts.concurrency,
      elapsedSeconds: Math.round(elapsed * 10) / 10,
      corpusFiles: corpus.length,
      generatedCases: generated.length,
      inputs,
      randomInputs,
      requestsPerSec: Math.round(inputs / elapsed),
      bytesSent,
      maxLatencyMs: Math.round(maxLatencyMs),
      byKind,
      byVariant,
      generated: generatedAnswers,
      statuses,
      failures,
      failureSamples,
      crashFiles: [...crashFiles],
      peakRssMb: Math.round(peakRss),
      maxRssMb: opts.maxRssMb,
      expectedStoredSpans: expectedStored,
      serverAcceptedSpans: serverAccepted,
      storedSpans: stored,
      serverAlive,
      ok: failures === 0,
    };
  } finally {
    // also when something above threw: no payscope process or data directory is left behind
    clearInterval(sampler);
    clearInterval(progress);
    if (server.alive()) server.child.kill('SIGKILL');
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------------------- report

function table(head: string[], rows: (string | number)[][]): string {
  const cells = [head, ...rows].map((r) => r.map(String));
  const w = head.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  return cells.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ')).join('\n');
}

export function formatReport(r: FuzzResult): string {
  const head = ['', 'tried', 'pb', 'json', 'grpc', 'gzip', '200', '400', '401', '413', '415', '429/503', 'failed'];
  const line = (name: string, s: KindStats) => [name, s.tried, s.protobuf, s.json, s.grpc, s.gzip, s.s200, s.s400, s.s401, s.s413, s.s415, s.overload, s.failed];
  const sum = (rows: KindStats[]) => rows.reduce((a, s) => {
    for (const k of Object.keys(a) as (keyof KindStats)[]) a[k] += s[k];
    return a;
  }, emptyStats());
  const kinds = Object.entries(r.byKind).sort((a, b) => b[1].tried - a[1].tried);
  const variants = Object.entries(r.byVariant).sort((a, b) => b[1].tried - a[1].tried);
  const gen = Object.entries(r.generated).map(([name, answers]) => `  ${name.padEnd(32)} ${Object.entries(answers).map(([s, n]) => `${s}×${n}`).join(' ')}`);
  return [
    `inputs by kind (gRPC codes counted with their HTTP equivalents):`,
    table(['kind', ...head.slice(1)], [...kinds.map(([k, s]) => line(k, s)), line('total', sum(kinds.map(([, s]) => s)))]),
    '',
    `inputs by how they were sent:`,
    table(['sent as', ...head.slice(1)], variants.map(([k, s]) => line(k, s))),
    '',
    `generated cases sent as they are:`,
    ...gen,
    '',
    `statuses: ${Object.entries(r.statuses).sort().map(([k, n]) => `${k}: ${n}`).join(', ')}`,
    `${r.inputs} inputs in ${r.elapsedSeconds} s (${r.requestsPerSec}/s, ${(r.bytesSent / 2 ** 20).toFixed(0)} MiB sent), slowest answer ${r.maxLatencyMs} ms, seed ${r.seed}, concurrency ${r.concurrency}`,
    `payscope: ${r.serverAlive ? 'alive throughout' : 'EXITED'}, peak RSS ${r.peakRssMb} MB (bound ${r.maxRssMb} MB); spans: ${r.expectedStoredSpans} acknowledged, ${r.serverAcceptedSpans} accepted by payscope, ${r.storedSpans} stored`,
    `failures: ${r.failures}${r.crashFiles.length ? ` (inputs saved: ${r.crashFiles.join(', ')})` : ''}`,
    ...r.failureSamples.slice(0, 10).map((f) => `  ${f.kind} (${f.source}, ${f.transport}): ${f.reason.split('\n')[0].slice(0, 300)}`),
  ].join('\n');
}

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
