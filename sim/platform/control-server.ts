import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Platform } from './platform';
import { SCENARIO_NAMES, SCENARIOS, ScenarioError, type ScenarioRequest } from './scenarios';

/**
 * The platform's control endpoint (127.0.0.1 only):
 *
 *   GET  /                    what is running: scenario, traffic, services, endpoints
 *   GET  /scenario            the scenario in force
 *   POST /scenario            switch: {"name":"gateway-degraded","gateway":"stripe"} (or ?name=...)
 *   GET  /scenarios           every scenario with its defaults
 *   POST /rate                {"rate": 10} payments per second (0 pauses)
 *   GET  /ground-truth        what was injected and which orders it touched, per scenario period
 *   GET  /ground-truth.jsonl  the raw log
 */

export interface ControlServer {
  url: string;
  close(): Promise<void>;
}

export async function startControlServer(platform: Platform, port: number): Promise<ControlServer> {
  const server = http.createServer((req, res) => {
    void handle(platform, req, res).catch((error: unknown) => reply(res, 500, { error: error instanceof Error ? error.message : String(error) }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function reply(res: http.ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body, null, 2) + '\n';
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(payload);
}

async function readJson(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  let text = '';
  for await (const chunk of req) {
    text += String(chunk);
    if (text.length > 65_536) throw new ScenarioError('body too large');
  }
  if (text.trim() === '') return {};
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error();
    return value as Record<string, unknown>;
  } catch {
    throw new ScenarioError('body must be a JSON object');
  }
}

async function handle(platform: Platform, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://control');
  const route = `${req.method} ${url.pathname}`;
  try {
    switch (route) {
      case 'GET /':
        return reply(res, 200, {
          scenario: platform.scenario(),
          traffic: platform.traffic.stats(),
          exportedSpans: platform.exportedSpans(),
          services: platform.services,
          groundTruthFile: platform.truthFile,
          endpoints: ['GET /scenario', 'POST /scenario', 'GET /scenarios', 'POST /rate', 'GET /ground-truth', 'GET /ground-truth.jsonl'],
        });
      case 'GET /scenario':
        return reply(res, 200, platform.scenario());
      case 'GET /scenarios':
        return reply(res, 200, { scenarios: SCENARIO_NAMES.map((name) => SCENARIOS[name]) });
      case 'POST /scenario': {
        const body = await readJson(req);
        const request = { ...Object.fromEntries(url.searchParams), ...body } as unknown as ScenarioRequest;
        for (const [key, value] of url.searchParams) {
          if (key !== 'name' && value !== '' && !Number.isNaN(Number(value))) (request as unknown as Record<string, unknown>)[key] = Number(value);
        }
        return reply(res, 200, platform.setScenario(request));
      }
      case 'POST /rate': {
        const body = await readJson(req);
        const rate = Number(body.rate ?? url.searchParams.get('rate'));
        if (!(rate >= 0) || !Number.isFinite(rate)) throw new ScenarioError('rate must be a number >= 0');
        platform.traffic.setRate(rate);
        return reply(res, 200, platform.traffic.stats());
      }
      case 'GET /ground-truth': {
        const periods = platform.truth.summary();
        return reply(res, 200, { file: platform.truthFile, current: periods.at(-1), periods });
      }
      case 'GET /ground-truth.jsonl':
        res.writeHead(200, { 'content-type': 'application/x-ndjson' });
        fs.createReadStream(platform.truthFile).pipe(res);
        return;
      default:
        return reply(res, 404, { error: `no route ${route}; try GET /` });
    }
  } catch (error) {
    if (error instanceof ScenarioError) return reply(res, 400, { error: error.message });
    throw error;
  }
}
