import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The layer rule (eslint.config.mjs) against the back-pointing imports issue 12 found, and the
// imports the data path allows. Each case is linted as if it were the named file.
const root = path.resolve(import.meta.dirname, '..');
const eslint = new ESLint({ cwd: root });

async function layerErrors(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return result.messages.filter((m) => m.ruleId === 'payscope/layers').map((m) => m.message);
}

describe('layers: imports point down the data path', () => {
  it.each([
    ['lib/analytics/gateways.ts', "import { GatewayHostTable } from '../../instrumentation/src/gateway-host-table';"],
    ['lib/analytics/funnel.ts', "import { sql } from '@/lib/store/sql';"],
    ['instrumentation/test/helpers/trace-backend.ts', "const m = await import('../../../test/helpers/server.js');"],
    ['instrumentation/src/start.ts', "import { sql } from '../../lib/store/sql';"],
    ['components/FunnelEditor.tsx', "import { saveFunnelAction } from '@/app/funnel/actions';"],
    ['lib/ui/format.ts', "import { getOverview } from '../queries/overview';"],
    ['lib/queries/overview.ts', "export { x } from '../api/params';"],
    ['lib/store/store.ts', "export * from '../../test/helpers/store';"],
    ['lib/ingest/otlp/decode-json.ts', "import { readRows } from './testing/rowbinary-reader';"],
  ])('%s: %s is refused', async (file, code) => {
    expect(await layerErrors(file, code)).toHaveLength(1);
  });

  it.each([
    ['lib/analytics/gateways.ts', "import { GatewayHostTable } from '@payscope/instrumentation/conventions';"],
    ['lib/queries/overview.ts', "import { sql } from '../store/sql';\nimport { gatewayOf } from '@/lib/analytics/gateways';"],
    ['components/FunnelEditor.tsx', "import { saveFunnelAction } from '@/lib/actions/funnel';"],
    ['app/funnel/page.tsx', "import { FunnelEditor } from '@/components/FunnelEditor';"],
    ['lib/api/api.test.ts', "import * as route from '../../app/api/traces/route';"],
    ['lib/queries/overview.test.ts', "import { startTestStore } from '../../test/helpers/store';"],
    ['lib/ingest/otlp/json.test.ts', "import { readRows } from './testing/rowbinary-reader';"],
    ['instrumentation/src/start.ts', "import { x } from './timeouts.js';\nimport { NodeSDK } from '@opentelemetry/sdk-node';"],
  ])('%s: %s is allowed', async (file, code) => {
    expect(await layerErrors(file, code)).toEqual([]);
  });
});
