// One fuzz run: plans the inputs (every corpus file and generated case as it is, then random ones),
// sends them from concurrent senders, checks each answer against the oracle and books it. The
// process under test (./target), its memory (./rss), the oracle's cache (./predictions), the wire
// (./transport) and the report (./report) are parts of their own.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { GENERATED, type ContentKind, type Generated } from '../generators';
import { mutate, pick, randomBody, rng, type Rng, type Seed } from '../mutate';
import { expectedFromName, type Prediction } from '../oracle';
import { DEFAULTS, emptyStats, loadCorpus, MAX_RESPONSE_BYTES, type FuzzFailure, type FuzzOptions, type FuzzResult, type Input, type KindStats, type Sent } from './model';
import { PredictionCache } from './predictions';
import { RssSampler } from './rss';
import { FuzzTarget } from './target';
import { callGrpc, checkHttp, ctFor, dress, GRPC_AS_HTTP, postHttp } from './transport';

const root = path.resolve(import.meta.dirname, '../..');

export async function runFuzz(options: Partial<FuzzOptions> = {}): Promise<FuzzResult> {
  const opts: FuzzOptions = { ...DEFAULTS, ...options };
  const log = opts.log ?? (() => {});
  const corpus = loadCorpus(opts.corpusDir);
  if (!corpus.length) throw new Error(`no .pb or .json files in ${opts.corpusDir}`);
  const byType = { protobuf: corpus.filter((s) => s.type === 'protobuf'), json: corpus.filter((s) => s.type === 'json') };

  const target = await FuzzTarget.prepare(opts);
  const { grpcPort, token } = target;
  const starting = target.launch();
  // the large cases are built while payscope starts
  const t0gen = performance.now();
  const generated = GENERATED.map((g: Generated) => ({ g, body: g.make() }));
  log(`built ${generated.length} generated cases (${(generated.reduce((a, x) => a + x.body.length, 0) / 2 ** 20).toFixed(0)} MiB) in ${((performance.now() - t0gen) / 1000).toFixed(1)} s`);
  await starting;
  const pid = target.pid;
  let rss: RssSampler | undefined;
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
    const sampler = (rss = new RssSampler(pid, () => target.alive()));

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

    const predictions = new PredictionCache(token);

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
        want = predictions.predict(sent);
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
        if (r.code === grpc.status.UNAVAILABLE && target.alive() && !/connect|socket|dropped|reset|refused/i.test(r.details)) answer = 'overload';
        else if (r.code in GRPC_AS_HTTP) {
          answer = GRPC_AS_HTTP[r.code];
          if (answer !== want.status) reason = `gRPC ${name}, expected the equivalent of ${want.status}: ${r.details.slice(0, 200)}`;
          else if (Buffer.byteLength(r.details) > MAX_RESPONSE_BYTES) reason = `status details of ${Buffer.byteLength(r.details)} bytes`;
        } else {
          reason = r.code === grpc.status.DEADLINE_EXCEEDED ? `no answer within ${opts.timeoutMs} ms` : `gRPC ${name}: ${r.details.slice(0, 300)}`;
        }
      } else {
        const o = await postHttp(agent, target.port, sent, opts.timeoutMs, token);
        maxLatencyMs = Math.max(maxLatencyMs, o.ms);
        if (!o.answered) {
          statuses['HTTP no answer'] = (statuses['HTTP no answer'] ?? 0) + 1;
          reason = target.describeNoAnswer(o.error);
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
    progress = setInterval(() => log(`  ${inputs} inputs, ${failures} failures, RSS ${sampler.current().toFixed(0)} MB (peak ${sampler.peak.toFixed(0)} MB)`), 30_000);
    await Promise.all(Array.from({ length: opts.concurrency }, async (_, w) => {
      const rand = rng((Math.imul(opts.seed, 0x9e3779b1) + w) >>> 0); // one deterministic stream per worker
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const client = opts.grpc
        ? new grpc.Client(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure(), { 'grpc.max_send_message_length': -1, 'grpc.max_receive_message_length': -1 })
        : undefined;
      // with a count: worker w sends its share of it, whatever the others have done
      let quota = opts.inputs === undefined ? Infinity : Math.floor(opts.inputs / opts.concurrency) + (w < opts.inputs % opts.concurrency ? 1 : 0);
      try {
        while (target.alive()) {
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
    const end = await target.verify(expectedStored, sampler, endFail);

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
      peakRssMb: Math.round(sampler.peak),
      maxRssMb: opts.maxRssMb,
      expectedStoredSpans: end.expectedStored,
      serverAcceptedSpans: end.serverAccepted,
      storedSpans: end.stored,
      serverAlive: end.serverAlive,
      ok: failures === 0,
    };
  } finally {
    // also when something above threw: no payscope process or data directory is left behind
    rss?.stop();
    clearInterval(progress);
    target.dispose();
  }
}
