/**
 * Contention benchmark target: the real payscope server (OTLP/HTTP, no dashboard) on an already
 * seeded data directory, plus a control port whose `GET /hammer?seconds=S&users=U` runs the heavy
 * dashboard queries in this same process (as the dashboard does) from U simulated users for S
 * seconds and answers their latencies and errors. Prints `ready <otlpPort> <controlPort>`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_CHECKOUT_FUNNEL, type FunnelDefinition } from '../lib/analytics/funnel';
import { quantiles } from '../lib/analytics/percentiles';
import { loadConfig } from '../lib/config';
import { getFunnel } from '../lib/queries/funnel';
import { getSlowestHops } from '../lib/queries/hops';
import { searchTraces } from '../lib/queries/traces';
import { sql } from '../lib/store/sql';
import { startServer } from '../server/payscope-server';

const dir = process.argv[2];
const config = { ...loadConfig({ ...process.env, PAYSCOPE_DATA_DIR: dir, CLICKHOUSE_URL: '' }), host: '127.0.0.1' };
const server = await startServer({ config, dashboard: false, ports: { dashboard: null, otlpHttp: 0, grpc: null }, log: () => {} });
const store = server.store;

// The last 24 h of the seeded history, and a 12-step funnel on otel_traces (one step per service).
const [{ hi }] = await store.query<{ hi: string }>(sql`SELECT toUnixTimestamp(max(Start)) AS hi FROM otel_traces_trace_id_ts`);
const to = new Date(Number(hi) * 1000);
const day = { from: new Date(to.getTime() - 86_400_000), to };
const services = (await store.query<{ s: string }>(sql`
  SELECT DISTINCT toString(ServiceName) AS s FROM otel_traces WHERE Timestamp >= ${new Date(to.getTime() - 600_000)} ORDER BY s LIMIT 12`)).map((r) => r.s);
const twelve: FunnelDefinition = {
  name: '12 steps', flowKey: 'payment.order_id', windowSec: 3600,
  steps: Array.from({ length: 12 }, (_, i) => ({ name: `step ${i + 1}`, service: services[i % services.length] })),
};
const mix: { name: string; run: () => Promise<unknown> }[] = [
  { name: 'funnel 24h (checkout, split by channel)', run: () => getFunnel(store, { ...day, funnel: DEFAULT_CHECKOUT_FUNNEL, split: 'channel' }) },
  { name: 'hops 24h', run: () => getSlowestHops(store, day) },
  { name: 'traces search 24h (slowest)', run: () => searchTraces(store, { ...day, minDurationMs: 1000, sort: 'duration' }) },
  { name: 'funnel 24h, 12 steps on spans', run: () => getFunnel(store, { ...day, funnel: twelve }) },
];

async function hammer(seconds: number, users: number) {
  const stats = mix.map((m) => ({ name: m.name, times: [] as number[], errors: 0, error: '' }));
  const deadline = performance.now() + seconds * 1000;
  await Promise.all(Array.from({ length: users }, async (_, u) => {
    for (let i = u; performance.now() < deadline; i++) {
      const k = i % mix.length;
      const t = performance.now();
      try {
        await mix[k].run();
        stats[k].times.push(performance.now() - t);
      } catch (err) {
        stats[k].errors++;
        stats[k].error = String((err as Error).message).slice(0, 160);
      }
    }
  }));
  return stats.map((s) => {
    const [p50, p95] = s.times.length ? quantiles(s.times, [0.5, 0.95]).map((x) => x ?? NaN) : [NaN, NaN];
    return { query: s.name, ok: s.times.length, errors: s.errors, p50Ms: p50, p95Ms: p95, maxMs: s.times.length ? Math.max(...s.times) : NaN, lastError: s.error };
  });
}

const control = http.createServer(async (req, res) => {
  const u = new URL(req.url ?? '/', 'http://x');
  res.end(JSON.stringify(await hammer(Number(u.searchParams.get('seconds')), Number(u.searchParams.get('users')))));
});
await new Promise<void>((r) => control.listen(0, '127.0.0.1', r));
console.log(`ready ${server.ports.otlpHttp} ${(control.address() as AddressInfo).port}`);
process.on('SIGTERM', () => void server.close().finally(() => process.exit(0)));
