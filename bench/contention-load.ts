/**
 * Contention benchmark load: OTLP/protobuf export requests (official serializer) sent at a fixed
 * rate, each timed from send to acknowledgement, like SDK exporters on a steady schedule; or, with a
 * rate of `max:C`, back to back on C connections (as fast as the server acknowledges: its
 * throughput). Prints one JSON line with the status counts, acknowledgement latency quantiles and
 * the spans acknowledged per second.
 */
import http from 'node:http';
import { buildPayloads } from './payloads';

const [url, rateArg, secondsArg, spansArg] = process.argv.slice(2);
const rate = Number(rateArg);
const seconds = Number(secondsArg);
const { bodies } = buildPayloads(24, Number(spansArg));
const agent = new http.Agent({ keepAlive: true });
const target = new URL(url);

function post(body: Buffer): Promise<number> {
  return new Promise((resolve) => {
    const req = http.request({ agent, host: target.hostname, port: target.port, path: target.pathname, method: 'POST',
      headers: { 'content-type': 'application/x-protobuf', 'content-length': body.length } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

console.log('started');
const latencies: number[] = [];
const statuses: Record<number, number> = {};
const pending: Promise<void>[] = [];
const start = performance.now();
const send = (i: number) => {
  const t = performance.now();
  return post(bodies[i % bodies.length]).then((status) => {
    latencies.push(performance.now() - t);
    statuses[status] = (statuses[status] ?? 0) + 1;
  });
};
if (rateArg.startsWith('max:')) {
  // Closed loop: each connection sends its next request when the last one is acknowledged.
  let i = 0;
  for (let c = 0; c < Number(rateArg.slice(4)); c++) {
    pending.push((async () => { while (performance.now() - start < seconds * 1000) await send(i++); })());
  }
} else {
  for (let i = 0; i < rate * seconds; i++) {
    // Open loop: request i leaves at its scheduled time whether or not earlier ones were answered.
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(send(i));
  }
}
await Promise.all(pending);
const elapsedSec = (performance.now() - start) / 1000;
latencies.sort((a, b) => a - b);
const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
const ackedSpansPerSec = ((statuses[200] ?? 0) * Number(spansArg)) / elapsedSec;
console.log(JSON.stringify({ requests: latencies.length, statuses, p50Ms: q(0.5), p99Ms: q(0.99), maxMs: latencies.at(-1), ackedSpansPerSec }));
agent.destroy();
