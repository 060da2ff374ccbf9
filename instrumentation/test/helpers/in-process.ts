import { createRequire } from 'node:module';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { startPayscope, type PayscopeHandle, type PayscopeOptions } from '../../src/index.js';

export interface InMemoryPayscope {
  handle: PayscopeHandle;
  exporter: InMemorySpanExporter;
  /** Flushes the export queue and returns every span exported so far (redacted, as exported). */
  spans(): Promise<ReadableSpan[]>;
}

/**
 * Starts payscope in this test process with an InMemorySpanExporter behind the real pipeline
 * (payment context, gateway and timeout classification, redaction, bounded queue).
 */
export function startInMemoryPayscope(options: PayscopeOptions = {}): InMemoryPayscope {
  const exporter = new InMemorySpanExporter();
  const handle = startPayscope({
    serviceName: 'unit-test',
    traceExporter: exporter,
    exportQueue: { scheduledDelayMillis: 5 },
    handleShutdown: false,
    ...options,
  });
  // require-in-the-middle patches node:http on its next require(); the test's `import http`
  // default export is that same object, so it is patched too.
  createRequire(import.meta.url)('node:http');
  return {
    handle,
    exporter,
    async spans() {
      await handle.forceFlush();
      return exporter.getFinishedSpans();
    },
  };
}

export async function listen(server: http.Server, host = '127.0.0.1'): Promise<string> {
  server.listen(0, host);
  await once(server, 'listening');
  return `http://${host}:${(server.address() as AddressInfo).port}`;
}

export function close(server: http.Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** GET with node:http (instrumented); resolves with status and body. */
export function httpGet(url: string, options: http.RequestOptions = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, options, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

/** Polls until `find` returns a span (spans are exported a few ms after they end). */
export async function waitForSpan(
  payscope: InMemoryPayscope,
  find: (spans: ReadableSpan[]) => ReadableSpan | undefined,
  timeoutMs = 5000,
): Promise<ReadableSpan> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const span = find(await payscope.spans());
    if (span !== undefined) return span;
    if (Date.now() > deadline) throw new Error('span not exported in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
