import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';
import { layers } from './eslint/layers.mjs';

// Which directory may import which (docs/layers.md). `from` directories are
// matched by prefix; `forbid` lists what they may not import, `outside: true` forbids every path
// outside `from`. `testsExempt` rules do not apply to tests, benchmarks and `testing/` fixtures
// (*.test.ts, *.bench.ts, */testing/*), which may reach for fixtures and route handlers.
const LAYERS = [
  {
    from: ['instrumentation'],
    outside: true,
    why: 'the instrumentation package is published alone and depends on nothing of the app',
  },
  {
    from: ['lib/analytics'],
    forbid: ['lib/store', 'lib/queries', 'lib/ingest', 'lib/api', 'lib/ui', 'lib/actions', 'app', 'components', 'server', 'instrumentation'],
    testsExempt: true,
    why: 'analytics are pure functions over data (the instrumentation is imported by package name)',
  },
  {
    from: ['lib/ui'],
    forbid: ['lib/store', 'lib/queries', 'lib/ingest', 'lib/actions', 'app', 'components', 'server'],
    testsExempt: true,
    why: 'lib/ui formats what queries return; it does not query',
  },
  {
    from: ['lib/queries'],
    forbid: ['lib/api', 'lib/ui', 'lib/actions', 'app', 'components', 'server'],
    testsExempt: true,
    why: 'queries sit on lib/store and lib/analytics, below the API and the pages',
  },
  {
    from: ['lib/store', 'lib/ingest', 'clickhouse'],
    forbid: ['lib/queries', 'lib/api', 'lib/ui', 'lib/actions', 'app', 'components', 'server'],
    testsExempt: true,
    why: 'the store and ingest are the bottom of the data path',
  },
  {
    from: ['components'],
    forbid: ['app', 'server'],
    why: 'components are used by pages, not the other way round (server actions live in lib/actions)',
  },
  {
    from: ['lib', 'components', 'server', 'scripts', 'sim', 'bench', 'clickhouse', 'fuzz', 'test', 'e2e'],
    forbid: ['app'],
    testsExempt: true,
    why: 'only Next.js imports app/: routes and pages are entry points',
  },
  {
    from: ['lib', 'components', 'app', 'server', 'clickhouse', 'sim'],
    forbid: ['test', 'fuzz', 'scripts', 'bench', 'e2e', 'lib/ingest/otlp/testing'],
    testsExempt: true,
    why: 'product code does not depend on test tooling or scripts',
  },
];

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '.next/**', 'e2e/report/**', 'test-results/**', 'next-env.d.ts'] },
  {
    files: ['**/*.{ts,tsx,mts,cts,js,mjs,cjs}'],
    languageOptions: { parser: tseslint.parser, ecmaVersion: 'latest', sourceType: 'module' },
    // typescript-eslint's plugin is registered so the code's eslint-disable comments name known rules.
    plugins: { payscope: { rules: { layers } }, '@typescript-eslint': tseslint.plugin },
    rules: { 'payscope/layers': ['error', LAYERS] },
    // Rules other tools own may leave disable comments this config does not need.
    linterOptions: { reportUnusedDisableDirectives: 'off' },
  },
  {
    files: ['app/**/*.tsx', 'components/**/*.tsx'],
    plugins: { 'react-hooks': reactHooks },
    rules: { 'react-hooks/rules-of-hooks': 'error', 'react-hooks/exhaustive-deps': 'warn' },
  },
);
