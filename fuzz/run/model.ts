// What a fuzz run is configured with and reports, and the inputs it sends.
import fs from 'node:fs';
import path from 'node:path';
import type { ContentKind } from '../generators';
import type { Seed } from '../mutate';
import { kindFromName } from '../oracle';

const root = path.resolve(import.meta.dirname, '../..');
export const MAX_BODY_BYTES = 32 * 1024 * 1024; // the default PAYSCOPE_MAX_BODY_BYTES, set explicitly for the oracle
/** An error message is a sentence: a larger answer means the server echoes request data back. */
export const MAX_RESPONSE_BYTES = 64 * 1024;

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

export interface Input {
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

export interface Sent {
  transport: 'http' | 'grpc';
  /** the ingest token sent: the right one, none, or a wrong one */
  auth?: 'ok' | 'missing' | 'wrong';
  variant: string;
  contentType?: string;
  contentEncoding?: string;
  body: Uint8Array;
}

export const emptyStats = (): KindStats => ({ tried: 0, protobuf: 0, json: 0, grpc: 0, gzip: 0, s200: 0, s400: 0, s413: 0, s415: 0, s401: 0, overload: 0, failed: 0 });

export function loadCorpus(dir: string): Seed[] {
  return fs.readdirSync(dir).sort().flatMap((name) => {
    const type = kindFromName(name);
    return type ? [{ name, type, body: fs.readFileSync(path.join(dir, name)) }] : [];
  });
}

