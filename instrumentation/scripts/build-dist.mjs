// Build steps tsc cannot do itself: start from an empty dist/, mark dist/cjs/ as CommonJS (the
// package is "type": "module", so without this Node would read dist/cjs/*.js as ESM), and pack the
// npm tarball payscope serves at /instrumentation.tgz (the name is not on the npm registry).
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(pkg, 'dist');
const step = process.argv[2];

if (step === 'clean') {
  rmSync(dist, { recursive: true, force: true });
} else if (step === 'mark-cjs') {
  mkdirSync(join(dist, 'cjs'), { recursive: true });
  writeFileSync(join(dist, 'cjs', 'package.json'), '{ "type": "commonjs" }\n');
} else if (step === 'tarball') {
  // payscope-instrumentation-<version>.tgz in the package folder, beside package.json ("files" keeps it out of the next pack).
  const r = spawnSync('npm', ['pack', '--silent', '--pack-destination', pkg], { cwd: pkg, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) process.exit(r.status ?? 1);
} else {
  console.error(`unknown step ${step}: expected clean, mark-cjs or tarball`);
  process.exit(2);
}
