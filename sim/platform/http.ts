import http from 'node:http';
import { trace } from '@opentelemetry/api';
import { simLookup, hostOf, type Service } from './topology';

/**
 * Just enough HTTP for the platform's services: a router over node:http that names the server span
 * after the route (`POST /orders/:id/confirm`, as a web framework's instrumentation would), JSON
 * and form bodies, and a keep-alive client that calls other services by name. node:http is traced
 * by payscope's instrumentation, so every call here becomes a client span and a server span.
 */

export interface Request {
  method: string;
  path: string;
  params: Record<string, string>;
  body: Record<string, unknown>;
  headers: http.IncomingHttpHeaders;
  /** The connection closed before the reply was sent (the caller gave up). */
  readonly aborted: boolean;
  onAbort(listener: () => void): void;
}

export interface Reply {
  status: number;
  body?: unknown;
  /** Drop the connection instead of answering (the caller sees ECONNRESET). */
  reset?: boolean;
}

export type Handler = (req: Request) => Promise<Reply> | Reply;

interface Route {
  method: string;
  route: string;
  pattern: RegExp;
  keys: string[];
  handler: Handler;
}

const MAX_BODY = 1 << 20;

export class Router {
  private readonly routes: Route[] = [];
  private inFlight = 0;
  private drained: Array<() => void> = [];

  /** Resolves once no request is being handled. */
  idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.drained.push(resolve));
  }

  post(route: string, handler: Handler): this {
    return this.add('POST', route, handler);
  }

  get(route: string, handler: Handler): this {
    return this.add('GET', route, handler);
  }

  private add(method: string, route: string, handler: Handler): this {
    const keys: string[] = [];
    const source = route.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:(\w+)/g, (_, key: string) => {
      keys.push(key);
      return '([^/]+)';
    });
    this.routes.push({ method, route, pattern: new RegExp(`^${source}$`), keys, handler });
    return this;
  }

  readonly listener = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    this.inFlight++;
    void this.dispatch(req, res).finally(() => {
      if (--this.inFlight > 0) return;
      for (const resolve of this.drained.splice(0)) resolve();
    });
  };

  private async dispatch(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://local');
    const method = req.method ?? 'GET';
    let match: RegExpExecArray | null = null;
    const route = this.routes.find((r) => r.method === method && (match = r.pattern.exec(url.pathname)) !== null);
    if (route === undefined || match === null) {
      send(res, { status: 404, body: { error: `no route for ${method} ${url.pathname}` } });
      return;
    }
    const span = trace.getActiveSpan();
    span?.updateName(`${method} ${route.route}`);
    span?.setAttribute('http.route', route.route);
    const params: Record<string, string> = {};
    route.keys.forEach((key, i) => (params[key] = decodeURIComponent((match as RegExpExecArray)[i + 1])));
    let aborted = false;
    const abortListeners: Array<() => void> = [];
    res.on('close', () => {
      if (res.writableFinished) return;
      aborted = true;
      for (const listener of abortListeners) listener();
    });
    try {
      const body = await readBody(req);
      const reply = await route.handler({
        method,
        path: url.pathname,
        params,
        body,
        headers: req.headers,
        get aborted() {
          return aborted;
        },
        onAbort: (listener) => abortListeners.push(listener),
      });
      send(res, reply);
    } catch (error) {
      send(res, { status: 500, body: { error: error instanceof Error ? error.message : String(error) } });
    }
  }
}

function send(res: http.ServerResponse, reply: Reply): void {
  if (res.destroyed || res.writableEnded) return;
  if (reply.reset) {
    res.socket?.resetAndDestroy();
    return;
  }
  const payload = reply.body === undefined ? '' : JSON.stringify(reply.body);
  res.writeHead(reply.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
}

async function readBody(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new Error('body too large');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text === '') return {};
  if ((req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
    return Object.fromEntries(new URLSearchParams(text));
  }
  return JSON.parse(text) as Record<string, unknown>;
}

/** One keep-alive agent per process; it resolves the platform's service names to 127.0.0.1. */
export const agent = new http.Agent({ keepAlive: true, maxSockets: 64, lookup: simLookup });

export interface CallResult {
  status: number;
  body: Record<string, unknown>;
}

export class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
  readonly code = 'ETIMEDOUT';
}

export interface RawRequest {
  host: string;
  port: number;
  path: string;
  body: string;
  contentType: string;
  headers?: Record<string, string>;
  timeoutMs: number;
}

/** POSTs and reads the whole answer; a timeout destroys the request with a `TimeoutError`. */
export function post(request: RawRequest): Promise<CallResult> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: request.host,
        port: request.port,
        path: request.path,
        method: 'POST',
        agent,
        headers: {
          ...request.headers,
          'content-type': request.contentType,
          'content-length': Buffer.byteLength(request.body),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: Record<string, unknown> = {};
          try {
            body = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
          } catch {
            body = { raw: text };
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
      },
    );
    req.setTimeout(request.timeoutMs, () => {
      req.destroy(new TimeoutError(`request to ${request.host} timed out after ${Math.round(request.timeoutMs)} ms`));
    });
    req.on('error', reject);
    req.end(request.body);
  });
}

/** Calls another service of the platform with a JSON body. */
export function callService(
  ports: Partial<Record<Service, number>>,
  service: Service,
  path: string,
  body: unknown,
  timeoutMs = 15_000,
): Promise<CallResult> {
  const port = ports[service];
  if (port === undefined) return Promise.reject(new Error(`no address for ${service}`));
  return post({ host: hostOf(service), port, path, body: JSON.stringify(body), contentType: 'application/json', timeoutMs });
}
