// The payscope process under fuzzing: started the way a user starts it, in its own data directory
// and ports; after the run checked for what it must have kept (still serving, every acknowledged
// span stored, a clean stop with an empty spool); always removed, also when the run threw.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { loadConfig } from '../../lib/config';
import { sql } from '../../lib/store/sql';
import { openStore } from '../../lib/store/store';
import { freePort, startPayscopeProcess, type PayscopeProcess } from '../../test/helpers/payscope-process';
import { MAX_BODY_BYTES, type FuzzOptions } from './model';
import type { RssSampler } from './rss';
import { canarySpans, ctFor, postHttp } from './transport';

export interface EndChecks {
  /** the 200 answers' spans, the valid requests sent at the end included */
  expectedStored: number;
  serverAccepted: number;
  stored: number;
  serverAlive: boolean;
}

export class FuzzTarget {
  private process: PayscopeProcess | undefined;

  private constructor(
    private readonly opts: FuzzOptions,
    readonly dataDir: string,
    readonly grpcPort: number,
    /** the ingest token inputs carry; undefined when the run has none */
    readonly token: string | undefined,
  ) {}

  /** A data directory, a free gRPC port and a token; nothing is started yet. */
  static async prepare(opts: FuzzOptions): Promise<FuzzTarget> {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'payscope-fuzz-'));
    const grpcPort = opts.grpc ? await freePort() : 0;
    return new FuzzTarget(opts, dataDir, grpcPort, opts.token ? crypto.randomBytes(16).toString('hex') : undefined);
  }

  /** Starts payscope; the caller may build inputs before awaiting it. */
  async launch(): Promise<void> {
    const starting = startPayscopeProcess(this.dataDir, {
      // Retention off: fuzz spans carry timestamps from 1970 to 2262, and with a TTL whole parts of old
      // spans are dropped as soon as they are written, which would make "stored = acknowledged" uncheckable.
      env: {
        PAYSCOPE_OTLP_GRPC_PORT: String(this.grpcPort),
        PAYSCOPE_MAX_BODY_BYTES: String(MAX_BODY_BYTES),
        PAYSCOPE_RETENTION_DAYS: '0',
        ...(this.token ? { PAYSCOPE_INGEST_TOKEN: this.token } : {}),
        ...this.opts.env,
      },
    });
    try {
      this.process = await starting;
    } catch (err) {
      fs.rmSync(this.dataDir, { recursive: true, force: true });
      throw err;
    }
  }

  private get server(): PayscopeProcess {
    if (this.process === undefined) throw new Error('payscope is not launched');
    return this.process;
  }

  get pid(): number {
    return this.server.child.pid!;
  }

  get port(): number {
    return this.server.port;
  }

  alive(): boolean {
    return this.server.alive();
  }

  /** Why a request got no answer: the process may have exited. */
  describeNoAnswer(error: string): string {
    return this.alive() ? error : `${error} (payscope exited)`;
  }

  /**
   * After the run: valid requests are still accepted, payscope counts as accepted what its 200
   * answers acknowledged, it stops on SIGTERM with exit code 0 within 60 s, under the RSS bound,
   * with no ingest error logged, an empty spool, no dead-lettered batch, and exactly the
   * acknowledged spans in the store. Each broken promise goes to `endFail`.
   */
  async verify(acknowledged: number, rss: RssSampler, endFail: (reason: string) => void): Promise<EndChecks> {
    const { opts, server, token } = this;
    let expectedStored = acknowledged;
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
      rss.addKernelPeak();
    } else {
      endFail(`payscope exited during the run (code ${server.child.exitCode}, signal ${server.child.signalCode}):\n${server.output().slice(-3000)}`);
    }
    rss.stop();
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
    if (rss.peak > opts.maxRssMb) endFail(`peak RSS ${rss.peak.toFixed(0)} MB over the bound of ${opts.maxRssMb} MB`);
    if (stopped) {
      const config = loadConfig({ ...process.env, PAYSCOPE_DATA_DIR: this.dataDir, CLICKHOUSE_URL: '' });
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
    return { expectedStored, serverAccepted, stored, serverAlive };
  }

  /** No payscope process or data directory is left behind, whatever happened. */
  dispose(): void {
    if (this.process?.alive()) this.process.child.kill('SIGKILL');
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }
}
