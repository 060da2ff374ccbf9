import { getStore } from '@/lib/store/store';

export const dynamic = 'force-dynamic';

export async function GET() {
  try {
    const store = await getStore();
    const up = await store.ping();
    return Response.json({ status: up ? 'ok' : 'degraded', store: store.kind }, { status: up ? 200 : 503 });
  } catch (err) {
    return Response.json({ status: 'down', error: (err as Error).message }, { status: 503 });
  }
}
