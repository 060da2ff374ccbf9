// Local stand-in for the three downstream services. Answers every POST with small JSON, after
// the delay MOCK_LATENCY_MS gives for its path prefix, e.g. "risk=5,gateway=30,ledger=5"
// (none by default: answers at once).
import http from 'node:http';

const latency = Object.fromEntries(
  (process.env.MOCK_LATENCY_MS ?? '')
    .split(',')
    .filter(Boolean)
    .map((pair) => pair.split('=').map((s) => s.trim()))
    .map(([prefix, ms]) => [prefix, Number(ms)]),
);

let n = 0;
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    n++;
    const service = req.url.split('/')[1];
    const body = service === 'risk' ? { score: 12 } : service === 'gateway' ? { id: `ch_${n}`, status: 'succeeded' } : { id: `le_${n}` };
    const answer = () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const delay = latency[service] ?? 0;
    if (delay > 0) setTimeout(answer, delay);
    else answer();
  });
});
server.keepAliveTimeout = 30_000;
server.listen(0, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
