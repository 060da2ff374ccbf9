import type { PayscopeConfig } from '../../lib/config';
import { startServer, type RunningServer } from '../../server/payscope-server';
import { tempDataDir, testConfig } from './store';

/** A payscope server (no dashboard) on free ports, in this process, with its own data directory. */
export async function startTestServer(overrides: Partial<PayscopeConfig> = {}): Promise<RunningServer & { config: PayscopeConfig; stop(): Promise<void> }> {
  const tmp = tempDataDir();
  const config = testConfig(tmp.dir, overrides);
  const server = await startServer({ config, dashboard: false, ports: { dashboard: null, otlpHttp: 0, grpc: 0 }, log: () => {} });
  return Object.assign(server, {
    config,
    async stop() {
      await server.close();
      tmp.cleanup();
    },
  });
}
