// The service under test: a payment endpoint that makes three sequential downstream HTTP calls
// (risk check, gateway charge, ledger write) over a keep-alive agent, as a checkout service does.
// The same file runs in all variants; only the preload differs. With PAYSCOPE_PAYMENT_CONTEXT=1
// (payscope variant) the handler also opens a payment context, so its cost is measured too.
import http from 'node:http';

const downstream = new URL(process.env.DOWNSTREAM_URL);
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
// PAYSCOPE_MODULE: another build of the package (the benchmark's baseline variant).
const payscope = process.env.PAYSCOPE_PAYMENT_CONTEXT === '1' ? await import(process.env.PAYSCOPE_MODULE ?? '@payscope/instrumentation') : undefined;

function call(path, payload) {
  const body = JSON.stringify(payload);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: downstream.hostname,
        port: downstream.port,
        path,
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (data += chunk));
        res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(data)) : reject(new Error(`${path}: ${res.statusCode}`))));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function pay(orderId) {
  const risk = await call('/risk/check', { orderId, amount: 1250 });
  const charge = await call('/gateway/charge', { orderId, amount: 1250, currency: 'CNY', score: risk.score });
  const entry = await call('/ledger/entries', { orderId, chargeId: charge.id });
  return { orderId, status: charge.status, entry: entry.id };
}

const server = http.createServer((req, res) => {
  const orderId = req.url.slice(req.url.indexOf('=') + 1);
  const run = () => pay(orderId);
  const result = payscope ? payscope.withPayment({ orderId, channel: 'alipay', amount: '12.50', currency: 'CNY' }, run) : run();
  result.then(
    (body) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    },
    (error) => {
      res.writeHead(502);
      res.end(String(error));
    },
  );
});
server.keepAliveTimeout = 30_000;
server.listen(0, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
