import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RowBinaryWriter, SPAN_COLUMNS } from '../../lib/ingest/otlp';
import type { Store } from '../../lib/store/store';
import { ArrivalSchedule, PaymentGenerator, type PaymentResult, type SeedSpan } from './generate';
import { writeSeedSpan } from './rowbinary';
import { CURRENCY_DECIMALS, ERROR_CLASSES } from '../model/catalog';
import { SCENARIOS, type ScenarioName } from '../model/scenarios';
import type { GroundTruth } from './scenarios';

/**
 * The chunk files' structure: LowCardinality(String) is the same bytes as String in RowBinary, and
 * reading plain String and converting once at insert costs the engine several times less CPU than
 * building LowCardinality columns while parsing.
 */
const FILE_COLUMNS = SPAN_COLUMNS.map((c) => ({ name: c.name, type: c.type.replace(/LowCardinality\((String)\)/g, '$1') }));

export interface SeedOptions {
  /** Number of payments (about 19 spans each). */
  payments: number;
  /** History length in days, ending at `endMs`. */
  days: number;
  /** @default 'baseline' */
  scenario?: ScenarioName;
  /** Length of the scenario's window at the end of the range, ms. @default 2 h */
  windowMs?: number;
  /** PRNG seed: the same seed, range and counts give the same spans. @default 'payscope' */
  seed?: string;
  /** End of the seeded range, epoch ms. @default now */
  endMs?: number;
  /** Spans per RowBinary chunk file (one insert each). @default 400_000 */
  chunkSpans?: number;
  /** Chunk inserts running at once. @default 2 */
  concurrency?: number;
  /** Where chunk files are written (removed after insert). @default a new dir under the OS temp dir */
  tmpDir?: string;
  /** Collect the ground truth (lists of affected orders). @default false */
  truth?: boolean;
  onProgress?: (p: SeedProgress) => void;
}

export interface SeedProgress {
  payments: number;
  totalPayments: number;
  spans: number;
  /** Spans stored so far (inserts complete). */
  storedSpans: number;
}

export interface SeedResult {
  payments: number;
  traces: number;
  spans: number;
  fromMs: number;
  toMs: number;
  seconds: number;
  truth?: GroundTruth;
}

/**
 * The payments of a seed run, one at a time in start order: the same sequence for the same
 * options, whether they are written to a store or collected by a test.
 */
export function paymentStream(o: { payments: number; seed: string; fromMs: number; toMs: number; scenario: ScenarioName; windowMs?: number }) {
  const generator = new PaymentGenerator({ seed: o.seed, fromMs: o.fromMs, toMs: o.toMs, scenario: o.scenario, windowMs: o.windowMs });
  const arrivals = new ArrivalSchedule(o.fromMs, o.toMs, o.payments, o.seed);
  let i = 0;
  return {
    generator,
    next(emit: (span: SeedSpan) => void): PaymentResult {
      return generator.payment(arrivals.at(i++), emit);
    },
  };
}

/**
 * Writes seeded payments straight into `otel_traces`: spans are generated in time order into
 * RowBinary chunk files, and while the store inserts one chunk the next is generated. Materialized
 * views fill exactly as for ingested spans.
 */
export async function seedStore(store: Store, opts: SeedOptions): Promise<SeedResult> {
  const started = performance.now();
  const scenario = opts.scenario ?? 'baseline';
  const seed = opts.seed ?? 'payscope';
  const toMs = opts.endMs ?? Date.now();
  const fromMs = toMs - Math.max(1 / 24, opts.days) * 86_400_000;
  const chunkSpans = opts.chunkSpans ?? 400_000;
  const concurrency = Math.max(1, opts.concurrency ?? 2);
  const ownTmp = opts.tmpDir === undefined;
  const tmpDir = opts.tmpDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'payscope-seed-'));
  const runId = crypto.randomBytes(6).toString('hex');
  const payments = paymentStream({ payments: opts.payments, seed, fromMs, toMs, scenario, windowMs: opts.windowMs });
  const gen = payments.generator;
  const truth: GroundTruth | undefined = opts.truth
    ? {
        scenario, description: SCENARIOS[scenario].description, seed,
        from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString(),
        window: { from: new Date(gen.window.fromMs).toISOString(), to: new Date(gen.window.toMs).toISOString() },
        target: SCENARIOS[scenario].target,
        payments: 0, traces: 0, spans: 0,
        affectedOrders: [], failedOrders: [], lostCallbackOrders: [], duplicateCallbackOrders: [],
        lateCallbackOrders: [], pendingCallbackOrders: [], timeoutOrders: [], inconsistentOrders: [],
        failedByClass: Object.fromEntries(ERROR_CLASSES.map((c) => [c, { count: 0, amount: {} }])) as GroundTruth['failedByClass'],
        gatewayErrors: {}, doubleCharges: [], retryChains: [], txAnomalies: [], cleanRollbacks: [], syncAndCallbackOrders: [],
        skew: SCENARIOS[scenario].target.issuer === undefined ? null : { key: 'payment.card.issuer', value: SCENARIOS[scenario].target.issuer! },
      }
    : undefined;

  let writer = new RowBinaryWriter(64 * 1024 * 1024);
  let chunkRows = 0;
  let chunkNo = 0;
  let spans = 0;
  let storedSpans = 0;
  let traces = 0;
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  const emit = (s: SeedSpan) => {
    writeSeedSpan(writer, s);
    chunkRows++;
  };
  const record = (r: PaymentResult) => {
    traces += r.traces;
    if (!truth) return;
    if (r.affected) truth.affectedOrders.push(r.orderId);
    if (r.failedByFault) truth.failedOrders.push(r.orderId);
    if (r.lostCallback) truth.lostCallbackOrders.push(r.orderId);
    if (r.duplicateCallback) truth.duplicateCallbackOrders.push(r.orderId);
    if (r.lateCallback) truth.lateCallbackOrders.push(r.orderId);
    if (r.callbackPending) truth.pendingCallbackOrders.push(r.orderId);
    if (r.timedOut) truth.timeoutOrders.push(r.orderId);
    if (r.inconsistent) truth.inconsistentOrders.push(r.orderId);
    recordPayment(truth, r);
  };
  const flush = async () => {
    if (chunkRows === 0) return;
    const file = path.join(tmpDir, `seed-${runId}-${String(chunkNo).padStart(5, '0')}.rowbinary`);
    fs.writeFileSync(file, writer.buf.subarray(0, writer.pos));
    const rows = chunkRows;
    const token = `seed-${runId}-${chunkNo}`;
    chunkNo++;
    writer.reset();
    chunkRows = 0;
    // Up to `concurrency` inserts run while the next chunk is generated: the engine parses one
    // RowBinary file on one thread, so two in flight keep both cores busy.
    while (inFlight.size >= concurrency) await Promise.race(inFlight);
    if (failure) throw failure;
    const p: Promise<void> = store.insertRowBinaryFile('otel_traces', FILE_COLUMNS, file, token).then(
      () => {
        fs.rmSync(file, { force: true });
        storedSpans += rows;
        inFlight.delete(p);
      },
      (err) => {
        failure ??= err;
        inFlight.delete(p);
      },
    );
    inFlight.add(p);
  };

  try {
    for (let i = 0; i < opts.payments; i++) {
      const r = payments.next(emit);
      spans += r.spans;
      record(r);
      if (chunkRows >= chunkSpans) {
        await flush();
        opts.onProgress?.({ payments: i + 1, totalPayments: opts.payments, spans, storedSpans });
      }
    }
    await flush();
    await Promise.all(inFlight);
    if (failure) throw failure;
    opts.onProgress?.({ payments: opts.payments, totalPayments: opts.payments, spans, storedSpans });
  } finally {
    await Promise.all(inFlight);
    writer = new RowBinaryWriter(64);
    if (ownTmp) fs.rmSync(tmpDir, { recursive: true, force: true });
  }
  if (truth) Object.assign(truth, { payments: opts.payments, traces, spans });
  return { payments: opts.payments, traces, spans, fromMs, toMs, seconds: (performance.now() - started) / 1000, truth };
}

/** Adds what one payment shows about error classes, money, retries, double charges and transactions. */
function recordPayment(truth: GroundTruth, r: PaymentResult): void {
  if (r.failedClass !== null) {
    const c = truth.failedByClass[r.failedClass];
    c.count++;
    const scale = 10 ** CURRENCY_DECIMALS[r.currency];
    c.amount[r.currency] = Math.round(((c.amount[r.currency] ?? 0) + Number(r.amount)) * scale) / scale;
  }
  for (const a of r.attempts) {
    if (a.errorClass === null) continue;
    const g = (truth.gatewayErrors[a.gateway] ??= {});
    g[a.errorClass] = (g[a.errorClass] ?? 0) + 1;
  }
  if (r.charges > 1) truth.doubleCharges.push({ orderId: r.orderId, gateways: [...new Set(r.chargeGateways)], charges: r.charges, amount: r.amount, currency: r.currency });
  if (r.attempts.length > 1) {
    truth.retryChains.push({ orderId: r.orderId, amount: r.amount, currency: r.currency, recovered: r.attempts.at(-1)!.outcome === 'accepted', attempts: r.attempts });
  }
  if (r.tx !== null) {
    for (const a of r.tx.anomalies) truth.txAnomalies.push({ txId: r.tx.txId, branch: a.branch, kind: a.kind, orderId: r.orderId, at: a.at, injected: a.injected });
    if (r.tx.cleanRollback && r.tx.anomalies.length === 0) truth.cleanRollbacks.push({ txId: r.tx.txId, orderId: r.orderId });
  }
  if (r.syncAndCallback && r.charges === 1) truth.syncAndCallbackOrders.push(r.orderId);
}
