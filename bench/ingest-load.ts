/**
 * Load process: posts prebuilt OTLP/protobuf requests at fixed concurrency for a fixed time over
 * keep-alive connections; prints one JSON line with counts and request latencies.
 * Arguments: url concurrency seconds distinct-requests spans-per-request.
 */
import http from 'node:http';
import { buildPayloads } from './payloads';

const [url, concurrencyArg, secondsArg, payloadsArg, spansArg] = process.argv.slice(2);
const concurrency = Number(concurrencyArg);
const seconds = Number(secondsArg);
const { bodies, spans } = buildPayloads(Number(payloadsArg), Number(spansArg ?? 512));
const spansPerBody = spans / bodies.length;
// Exporters time out after 10 s by default; a request that takes longer counts as failed (status 0).
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
const target = new URL(url);

function post(body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ agent, host: target.hostname, port: target.port, path: target.pathname, method: 'POST', timeout: 10_000,
      headers: { 'content-type': 'application/x-protobuf', 'content-length': body.length } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

const latencies: number[] = [];
const statuses: Record<number, number> = {};
let okSpans = 0;
let i = 0;
// Warm-up, not counted: the server starts its decode workers (and compiles their code) on the first
// large request, a one-off cost that would otherwise fall into a short run's figures.
await Promise.all(bodies.slice(0, Math.min(4, concurrency)).map((b) => post(b).catch(() => 0)));
console.log('loaded');
// The parent reads the server's counters, then says go (a line on stdin): nothing of the measured
// load is stored before they are read.
await new Promise((resolve) => process.stdin.once('data', resolve));
process.stdin.pause();
const start = performance.now();
const deadline = start + seconds * 1000;
await Promise.all(Array.from({ length: concurrency }, async () => {
  while (performance.now() < deadline) {
    const body = bodies[i++ % bodies.length];
    const t = performance.now();
    const status = await post(body).catch(() => 0);
    latencies.push(performance.now() - t);
    statuses[status] = (statuses[status] ?? 0) + 1;
    if (status === 200) okSpans += spansPerBody;
  }
}));
const elapsed = (performance.now() - start) / 1000;
latencies.sort((a, b) => a - b);
const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
console.log(JSON.stringify({ elapsed, requests: latencies.length, okSpans, statuses, p50Ms: q(0.5), p99Ms: q(0.99), maxMs: latencies[latencies.length - 1], bodyBytes: bodies[0].length, spansPerBody }));
agent.destroy();
