import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type PayscopeConfig } from '../../lib/config';
import { openStore, type Store } from '../../lib/store/store';

/** A fresh data directory under the OS temp dir, removed by the returned cleanup. */
export function tempDataDir(prefix = 'payscope-test-'): { dir: string; cleanup(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export function testConfig(dataDir: string, overrides: Partial<PayscopeConfig> = {}): PayscopeConfig {
  const env = { ...process.env, PAYSCOPE_DATA_DIR: dataDir, CLICKHOUSE_URL: '' };
  return { ...loadConfig(env), host: '127.0.0.1', ...overrides };
}

/** An embedded store in its own temp directory (one per test file: chDB binds one dir per process). */
export async function openTempStore(): Promise<{ store: Store; config: PayscopeConfig; cleanup(): Promise<void> }> {
  const tmp = tempDataDir();
  const config = testConfig(tmp.dir);
  const store = await openStore(config);
  return { store, config, cleanup: async () => { await store.close(); tmp.cleanup(); } };
}

