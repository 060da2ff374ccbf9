// Closed-loop load generator, run in its own process: CONCURRENCY workers each send a request,
// wait for the full response, send the next. Requests during WARMUP_MS are not counted.
// Prints one JSON line: { requests, errors, seconds, rps, p50Ms, p99Ms, totalRequests }
// (totalRequests includes the warmup).
import http from 'node:http';

const target = new URL(process.env.TARGET_URL);
const concurrency = Number(process.env.CONCURRENCY ?? 32);
const warmupMs = Number(process.env.WARMUP_MS ?? 3000);
const durationMs = Number(process.env.DURATION_MS ?? 10000);
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });

const started = performance.now();
const measureFrom = started + warmupMs;
const stopAt = measureFrom + durationMs;
const latencies = [];
let errors = 0;
let seq = 0;
let totalRequests = 0;

function once() {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const req = http.request(
      { host: target.hostname, port: target.port, path: `/pay?order=ord-${seq++}`, method: 'POST', agent },
      (res) => {
        res.resume();
        res.on('end', () => {
          totalRequests++;
          const t1 = performance.now();
          if (t0 >= measureFrom && t1 <= stopAt) {
            if (res.statusCode === 200) latencies.push(t1 - t0);
            else errors++;
          }
          resolve();
        });
      },
    );
    req.on('error', () => {
      errors++;
      resolve();
    });
    req.end();
  });
}

async function worker() {
  while (performance.now() < stopAt) await once();
}

await Promise.all(Array.from({ length: concurrency }, worker));
latencies.sort((a, b) => a - b);
const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN;
const seconds = durationMs / 1000;
console.log(JSON.stringify({ requests: latencies.length, errors, seconds, rps: latencies.length / seconds, p50Ms: q(0.5), p99Ms: q(0.99), totalRequests }));
agent.destroy();
