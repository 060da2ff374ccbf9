import { readFile } from 'node:fs/promises';
import path from 'node:path';

export const dynamic = 'force-dynamic';

/**
 * The instrumentation package as an npm tarball, so a service installs the version this payscope
 * runs with `npm install http://<payscope>:3000/instrumentation.tgz` (the name is not on the npm
 * registry). Packed by `npm install` / `npm run pack:instrumentation` into instrumentation/.
 * Public like the package's source: it holds no configuration and no secret.
 */
export async function GET() {
  const dir = path.join(process.cwd(), 'instrumentation');
  try {
    const { version } = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8')) as { version: string };
    const tarball = await readFile(path.join(dir, `payscope-instrumentation-${version}.tgz`));
    return new Response(new Uint8Array(tarball), {
      headers: {
        'content-type': 'application/gzip',
        'content-disposition': `attachment; filename="payscope-instrumentation-${version}.tgz"`,
        'cache-control': 'no-cache',
      },
    });
  } catch {
    return new Response('the instrumentation tarball is not packed: run `npm run pack:instrumentation` in the payscope checkout\n', {
      status: 404,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
    });
  }
}
