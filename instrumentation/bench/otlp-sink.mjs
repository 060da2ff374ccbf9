// OTLP/HTTP sink for the benchmark: drains any POST, answers 200 at once, counts requests and
// bytes per path. GET /stats returns and resets the counters.
import http from 'node:http';

let stats = {};
const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/stats') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(stats));
    stats = {};
    return;
  }
  let bytes = 0;
  req.on('data', (chunk) => (bytes += chunk.length));
  req.on('end', () => {
    const s = (stats[req.url] ??= { requests: 0, bytes: 0 });
    s.requests++;
    s.bytes += bytes;
    res.writeHead(200, { 'content-type': req.headers['content-type'] ?? 'application/x-protobuf' });
    res.end();
  });
});
server.listen(0, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
