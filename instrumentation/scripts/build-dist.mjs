// Build steps tsc cannot do itself: start from an empty dist/, and mark dist/cjs/ as CommonJS
// (the package is "type": "module", so without this Node would read dist/cjs/*.js as ESM).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const step = process.argv[2];

if (step === 'clean') {
  rmSync(dist, { recursive: true, force: true });
} else if (step === 'mark-cjs') {
  mkdirSync(join(dist, 'cjs'), { recursive: true });
  writeFileSync(join(dist, 'cjs', 'package.json'), '{ "type": "commonjs" }\n');
} else {
  console.error(`unknown step ${step}: expected clean or mark-cjs`);
  process.exit(2);
}
