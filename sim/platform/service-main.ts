import http from 'node:http';
import { startPayscope } from '@payscope/instrumentation';
import { CHANNELS } from '../model/catalog';
import type { Router } from './http';
import type { FromService, ToService } from './ipc';
import { ServiceRuntime } from './runtime';
import { accountService } from './services/account';
import { adapterService } from './services/adapter';
import { checkoutService } from './services/checkout';
import { gatewayService } from './services/gateway';
import { inventoryService } from './services/inventory';
import { orderService } from './services/order';
import { paymentService } from './services/payment';
import { riskService } from './services/risk';
import { isGateway, SERVICES, type Service } from './topology';

/**
 * One service of the platform, in its own process, started by the platform (platform.ts) as
 *
 *   SIM_SERVICE=order OTEL_SERVICE_NAME=order node --import @payscope/instrumentation/register --import tsx sim/platform/service-main.ts
 *
 * Tracing is payscope's zero-code entry; this file never starts it. The platform sends the
 * configuration over the IPC channel; the process exits when told to (SIGTERM/SIGINT), after
 * flushing its spans, or when the platform goes away (the IPC channel closes).
 */

const name = process.env.SIM_SERVICE as Service;
if (!SERVICES.includes(name)) {
  console.error(`SIM_SERVICE must be one of ${SERVICES.join(', ')}`);
  process.exit(2);
}
if (typeof process.send !== 'function') {
  console.error('service-main.ts is started by the platform (sim/platform/platform.ts), with an IPC channel');
  process.exit(2);
}

const send = (message: FromService) => {
  if (process.connected) process.send?.(message);
};
const runtime = new ServiceRuntime(name, send);

function routerFor(service: Service): Router {
  if (isGateway(service)) return gatewayService(runtime, service);
  const channel = CHANNELS.find((c) => c.adapter === service);
  if (channel !== undefined) return adapterService(runtime, channel);
  switch (service) {
    case 'checkout':
      return checkoutService(runtime);
    case 'order':
      return orderService(runtime);
    case 'inventory':
      return inventoryService(runtime);
    case 'risk':
      return riskService(runtime);
    case 'payment':
      return paymentService(runtime);
    case 'account':
      return accountService();
    default:
      throw new Error(`no implementation for ${service}`);
  }
}

const router = routerFor(name);
const server = http.createServer({ keepAliveTimeout: 30_000 }, router.listener);
// Returns the instance --import @payscope/instrumentation/register started (a no-op one if tracing is off).
const payscope = startPayscope();

process.on('message', (message: ToService) => {
  if (message.type === 'quiesce') {
    runtime.cancelTimers();
    void runtime.idle(3000).then(() => send({ type: 'quiet' }));
    return;
  }
  runtime.receive(message);
});

server.listen(Number(process.env.SIM_PORT ?? 0), '127.0.0.1', () => {
  const address = server.address();
  send({ type: 'listening', port: typeof address === 'object' && address !== null ? address.port : 0 });
});

let last = '';
const statsTimer = setInterval(() => {
  const stats = payscope.stats();
  const key = `${stats.exportedSpans}/${stats.droppedSpans}`;
  if (key === last) return;
  last = key;
  send({ type: 'stats', ...stats });
}, 1000);
statsTimer.unref();

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  clearInterval(statsTimer);
  runtime.cancelTimers();
  // Let the requests under way finish (their spans end), then flush.
  server.close();
  await Promise.race([Promise.all([router.idle(), runtime.idle(2000)]), new Promise((r) => setTimeout(r, 2000))]);
  server.closeAllConnections();
  await payscope.shutdown();
  process.exit(0);
}
// A second signal while flushing ends the process at once.
const onSignal = () => (stopping ? process.exit(1) : void stop());
process.on('SIGTERM', onSignal);
process.on('SIGINT', onSignal);
// The platform went away without stopping us (killed): do not outlive it.
process.on('disconnect', () => void stop());
