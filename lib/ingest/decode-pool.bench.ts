import { monitorEventLoopDelay } from 'node:perf_hooks';
import { DecodePool } from './decode-pool';
import { decodeBody, type OtlpEncoding } from './decode-job';
import { jsonRequest, makeSpans, protobufRequest } from '../../test/helpers/spans';

/**
 * Where the decode pool pays, measured: `node --import tsx lib/ingest/decode-pool.bench.ts`.
 *   1. per body size, how long a decode holds the event loop inline, and what the thread hop costs
 *      (event-loop time to hand a body over and take the rows back, and the round trip): the inline
 *      threshold (PAYSCOPE_DECODE_INLINE_BYTES) is where the hop stops being dearer than the decode.
 *   2. the event-loop delay (perf_hooks.monitorEventLoopDelay) while a 30 MiB body is decoded,
 *      inline and on a worker.
 */

const ms = (ns: bigint | number) => Number(ns) / 1e6;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function bodies() {
  const spans = await makeSpans(100);
  const proto = protobufRequest(spans);
  const doc = JSON.parse(jsonRequest(spans).toString());
  const protoOf = (bytes: number) => Buffer.concat(Array.from({ length: Math.max(1, Math.round(bytes / proto.length)) }, () => proto));
  const jsonOf = (bytes: number) => {
    const one = JSON.stringify(doc.resourceSpans[0]);
    const n = Math.max(1, Math.round(bytes / one.length));
    return Buffer.from(`{"resourceSpans":[${Array.from({ length: n }, () => one).join(',')}]}`);
  };
  return { protoOf, jsonOf };
}

async function threshold(pool: DecodePool, make: (bytes: number) => Buffer, encoding: OtlpEncoding) {
  console.log(`\n${encoding}: size | inline decode (event loop held) | pool: event-loop time | pool: round trip`);
  for (const size of [16 << 10, 64 << 10, 256 << 10, 1 << 20, 4 << 20]) {
    const body = make(size);
    const inline: number[] = [];
    const hop: number[] = [];
    const trip: number[] = [];
    for (let i = 0; i < 15; i++) {
      let t = process.hrtime.bigint();
      decodeBody(encoding, body);
      inline.push(ms(process.hrtime.bigint() - t));
      const copy = Buffer.from(body);
      t = process.hrtime.bigint();
      const p = pool.decode(encoding, copy);
      let held = ms(process.hrtime.bigint() - t);
      const r = await p;
      const t2 = process.hrtime.bigint();
      void r.rows.length;
      held += ms(process.hrtime.bigint() - t2);
      trip.push(ms(process.hrtime.bigint() - t));
      hop.push(held);
    }
    console.log(`${(body.length / 1024).toFixed(0).padStart(6)} KiB | ${median(inline).toFixed(2).padStart(7)} ms | ${median(hop).toFixed(3).padStart(7)} ms | ${median(trip).toFixed(2).padStart(7)} ms`);
  }
}

async function loopDelay(label: string, run: () => Promise<unknown>) {
  const h = monitorEventLoopDelay({ resolution: 1 });
  // something on the loop the whole time, as a server's timers and sockets are
  const tick = setInterval(() => {}, 1);
  h.enable();
  await new Promise((r) => setTimeout(r, 20)); // the monitor's timer running before the decode starts
  const t = process.hrtime.bigint();
  await run();
  const took = ms(process.hrtime.bigint() - t);
  await new Promise((r) => setTimeout(r, 20));
  h.disable();
  clearInterval(tick);
  console.log(`${label.padEnd(34)} decode ${took.toFixed(0).padStart(5)} ms | event-loop delay max ${ms(h.max).toFixed(1).padStart(7)} ms, p99 ${ms(h.percentile(99)).toFixed(1).padStart(6)} ms, mean ${ms(h.mean).toFixed(2)} ms`);
}

const { protoOf, jsonOf } = await bodies();
const pool = new DecodePool({ workers: 2, inlineBelowBytes: 0, maxQueued: 8 });
await pool.decode('protobuf', protoOf(1 << 20)); // start a worker first: its start-up is not a decode's cost
await pool.decode('protobuf', protoOf(1 << 20));
await threshold(pool, protoOf, 'protobuf');
await threshold(pool, jsonOf, 'json');

console.log('\n30 MiB body:');
const big = protoOf(30 << 20);
const bigJson = jsonOf(30 << 20);
for (let round = 0; round < 2; round++) {
  await loopDelay(`protobuf ${(big.length / 2 ** 20).toFixed(1)} MiB inline`, async () => decodeBody('protobuf', big));
  // a request body is a buffer of its own, transferred to the worker: copied here outside the measurement
  const bigCopy = Buffer.from(big);
  const bigJsonCopy = Buffer.from(bigJson);
  await loopDelay(`protobuf ${(big.length / 2 ** 20).toFixed(1)} MiB on a worker`, () => pool.decode('protobuf', bigCopy));
  await loopDelay(`json ${(bigJson.length / 2 ** 20).toFixed(1)} MiB inline`, async () => decodeBody('json', bigJson));
  await loopDelay(`json ${(bigJson.length / 2 ** 20).toFixed(1)} MiB on a worker`, () => pool.decode('json', bigJsonCopy));
}
await pool.close();
