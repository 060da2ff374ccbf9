'use server';
import { redirect } from 'next/navigation';
import { z } from 'zod';
import { describeZodError } from '@/lib/api/params';
import { FunnelDefinitionBody } from '@/lib/api/schemas';
import { deleteFunnel, FunnelNotEditableError, saveFunnel } from '@/lib/queries/funnels';
import { getStore } from '@/lib/store/store';

export interface FunnelFormState {
  error: string | null;
}

const ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Only the page's own query strings come back: `?range=...&from=...` (no other path, no scheme). */
function safeReturn(q: FormDataEntryValue | null): URLSearchParams {
  const s = typeof q === 'string' && q.startsWith('?') ? q.slice(1) : '';
  const out = new URLSearchParams();
  for (const [k, v] of new URLSearchParams(s)) if (['range', 'from', 'to', 'channel', 'gateway', 'split', 'compare'].includes(k)) out.set(k, v);
  return out;
}

/**
 * Creates or replaces a funnel from the editor's form: `name`, `flowKey`, `windowSec` and `steps`
 * (JSON, the editor's rows), validated with the same schema as POST /api/funnels.
 */
export async function saveFunnelAction(_prev: FunnelFormState, form: FormData): Promise<FunnelFormState> {
  let steps: unknown;
  try {
    steps = JSON.parse(String(form.get('steps') ?? '[]'));
  } catch {
    return { error: 'steps: not valid JSON' };
  }
  const id = String(form.get('id') ?? '');
  const parsed = FunnelDefinitionBody.safeParse({
    name: String(form.get('name') ?? '').trim(),
    steps,
    flowKey: String(form.get('flowKey') ?? '').trim() || undefined,
    windowSec: String(form.get('windowSec') ?? '').trim() || undefined,
  });
  if (!parsed.success) return { error: describeZodError(parsed.error as z.ZodError) };
  if (id && !ID.test(id)) return { error: 'bad funnel id' };
  let saved;
  try {
    saved = await saveFunnel(await getStore(), { ...parsed.data, id: id || undefined });
  } catch (err) {
    if (err instanceof FunnelNotEditableError) return { error: err.message };
    throw err;
  }
  const q = safeReturn(form.get('return'));
  q.set('funnel', saved.id);
  redirect(`/funnel?${q}`);
}

export async function deleteFunnelAction(form: FormData): Promise<void> {
  const id = String(form.get('id') ?? '');
  if (ID.test(id)) await deleteFunnel(await getStore(), id);
  const q = safeReturn(form.get('return'));
  redirect(`/funnel${q.size ? `?${q}` : ''}`);
}
