import { runningPipeline } from '@/lib/ingest/pipeline';
import { getStore } from '@/lib/store/store';

export const dynamic = 'force-dynamic';

/**
 * 200 `ok`, or 200 `degraded` with reasons when acknowledged spans are not reaching the store (the
 * ingest's inserts fail, batches were dead-lettered); 503 when the store does not answer at all.
 */
export async function GET() {
  try {
    const store = await getStore();
    const up = await store.ping();
    const ingest = runningPipeline()?.health() ?? { status: 'ok', reasons: [] };
    const reasons = up ? ingest.reasons : ['store does not answer', ...ingest.reasons];
    const status = reasons.length > 0 ? 'degraded' : 'ok';
    return Response.json({ status, store: store.kind, ...(reasons.length > 0 ? { reasons } : {}) }, { status: up ? 200 : 503 });
  } catch (err) {
    return Response.json({ status: 'down', error: (err as Error).message }, { status: 503 });
  }
}
