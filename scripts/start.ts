import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig, type PayscopeConfig } from '../lib/config';
import { exposureWarning, startServer } from '../server/payscope-server';

const HELP = `Usage: npm start [-- --no-dashboard]     production server (builds the dashboard first when needed)
       npm run dev                         development server (Next.js dev mode)

Runs payscope in one process: the dashboard and JSON API on PORT (default 3000, which also accepts
OTLP/HTTP), OTLP/HTTP on PAYSCOPE_OTLP_HTTP_PORT (default 4318) and OTLP/gRPC on
PAYSCOPE_OTLP_GRPC_PORT (default 4317). Migrates the schema at start. Stores spans in the embedded
ClickHouse engine under PAYSCOPE_DATA_DIR (default ./.payscope-data), or in the ClickHouse server at
CLICKHOUSE_URL. SIGTERM or SIGINT stores what was accepted, then exits.

Options:
  --dev            Next.js dev mode (same as npm run dev)
  --no-dashboard   only the OTLP receivers (no Next.js)
  --no-build       never run next build
  -h, --help       this text

Environment: see README.md ("Configuration").`;

const args = new Set(process.argv.slice(2));
if (args.has('--help') || args.has('-h')) {
  console.log(HELP);
  process.exit(0);
}
// Configuration errors first: before a build that takes minutes, with the message and no stack.
let config: PayscopeConfig;
try {
  config = loadConfig();
} catch (err) {
  console.error(`payscope: configuration error: ${(err as Error).message}`);
  process.exit(2);
}
const dev = args.has('--dev');
const dashboard = !args.has('--no-dashboard');
const root = process.cwd();

/** True when the production build is missing or older than a source file it is built from. */
function buildIsStale(): boolean {
  const buildId = path.join(root, '.next', 'BUILD_ID');
  if (!fs.existsSync(buildId)) return true;
  const built = fs.statSync(buildId).mtimeMs;
  const newer = (p: string): boolean => {
    if (!fs.existsSync(p)) return false;
    const st = fs.statSync(p);
    if (st.isDirectory()) return fs.readdirSync(p).some((f) => newer(path.join(p, f)));
    return st.mtimeMs > built;
  };
  return ['app', 'lib', 'components', 'next.config.js', 'package.json', 'tsconfig.json'].some((p) => newer(path.join(root, p)));
}

if (dashboard && !dev && !args.has('--no-build') && buildIsStale()) {
  console.log('building the dashboard (next build)...');
  const r = spawnSync(process.execPath, [path.join(root, 'node_modules', 'next', 'dist', 'bin', 'next'), 'build'], { stdio: 'inherit', cwd: root });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

const server = await startServer({ config, dashboard: dashboard ? { dev } : false });
const warning = exposureWarning(config, dashboard);
if (warning) console.warn(warning);

let stopping = false;
const stop = (signal: NodeJS.Signals) => {
  if (stopping) {
    console.log(`${signal} again: exiting without waiting`);
    process.exit(1);
  }
  stopping = true;
  console.log(`${signal}: storing accepted spans and shutting down`);
  server.close().then(
    () => process.exit(0),
    (err) => { console.error(err); process.exit(1); },
  );
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
