import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { alias: { '@': import.meta.dirname } },
  test: {
    include: ['lib/**/*.test.ts', 'clickhouse/**/*.test.ts', 'test/**/*.test.ts', 'instrumentation/test/**/*.test.ts', 'sim/**/*.test.ts'],
    setupFiles: ['test/helpers/vitest-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // chDB binds one data directory per process: integration files each run in their own fork.
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
  },
});
