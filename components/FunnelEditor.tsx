'use client';
import Link from 'next/link';
import { useActionState, useState } from 'react';
import { saveFunnelAction, type FunnelFormState } from '@/lib/actions/funnel';

interface StepRow {
  name: string;
  stage: string;
  service: string;
  spanName: string;
  /** `key=value` pairs, comma-separated. */
  attributes: string;
}

export interface EditorFunnel {
  id?: string;
  name: string;
  flowKey: string;
  windowSec: number;
  steps: { name: string; stage?: string; service?: string; spanName?: string; attributes?: Record<string, string> }[];
}

const emptyStep: StepRow = { name: '', stage: '', service: '', spanName: '', attributes: '' };

function toRows(f: EditorFunnel): StepRow[] {
  return f.steps.map((s) => ({
    name: s.name ?? '', stage: s.stage ?? '', service: s.service ?? '', spanName: s.spanName ?? '',
    attributes: Object.entries(s.attributes ?? {}).map(([k, v]) => `${k}=${v}`).join(', '),
  }));
}

function toSteps(rows: StepRow[]) {
  return rows.map((r) => {
    const attributes: Record<string, string> = {};
    for (const pair of r.attributes.split(',').map((x) => x.trim()).filter(Boolean)) {
      const eq = pair.indexOf('=');
      if (eq > 0) attributes[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
    }
    const step: Record<string, unknown> = {};
    if (r.name.trim()) step.name = r.name.trim();
    if (r.stage.trim()) step.stage = r.stage.trim();
    if (r.service.trim()) step.service = r.service.trim();
    if (r.spanName.trim()) step.spanName = r.spanName.trim();
    if (Object.keys(attributes).length) step.attributes = attributes;
    return step;
  });
}

/**
 * Create or edit a funnel: ordered steps, each matching spans by stage, or by service + span name +
 * attributes (for traces that were never tagged with payment.stage). Saved with a server action.
 */
export function FunnelEditor({ funnel, stages, services, returnQuery, cancelHref }: {
  funnel: EditorFunnel;
  stages: string[];
  services: string[];
  returnQuery: string;
  cancelHref: string;
}) {
  const [rows, setRows] = useState<StepRow[]>(() => (funnel.steps.length ? toRows(funnel) : [{ ...emptyStep }, { ...emptyStep }]));
  const [state, action, pending] = useActionState<FunnelFormState, FormData>(saveFunnelAction, { error: null });
  const set = (i: number, k: keyof StepRow, v: string) => setRows((rs) => rs.map((r, j) => (j === i ? { ...r, [k]: v } : r)));
  const move = (i: number, d: -1 | 1) => setRows((rs) => {
    const j = i + d;
    if (j < 0 || j >= rs.length) return rs;
    const next = [...rs];
    [next[i], next[j]] = [next[j], next[i]];
    return next;
  });

  return (
    <form action={action} className="card editor" aria-label={funnel.id ? 'Edit funnel' : 'New funnel'} data-testid="funnel-editor">
      <h2 style={{ margin: 0 }}>{funnel.id ? `Edit “${funnel.name}”` : 'New funnel'}</h2>
      <input type="hidden" name="id" value={funnel.id ?? ''} />
      <input type="hidden" name="return" value={returnQuery} />
      <input type="hidden" name="steps" value={JSON.stringify(toSteps(rows))} />
      <datalist id="funnel-stages">{stages.map((s) => <option key={s} value={s} />)}</datalist>
      <datalist id="funnel-services">{services.map((s) => <option key={s} value={s} />)}</datalist>
      <div className="meta">
        <label>Funnel name<input name="name" defaultValue={funnel.name} required maxLength={128} /></label>
        <label>Flow key (span attribute joining a flow across traces)<input name="flowKey" defaultValue={funnel.flowKey} /></label>
        <label>Window (seconds after step 1)<input name="windowSec" type="number" min={1} step="any" defaultValue={funnel.windowSec} /></label>
      </div>
      <p className="muted small">A step matches spans by stage, or by service, span name and <code>key=value</code> attributes (all given must hold).</p>
      {rows.map((r, i) => (
        <div className="step" key={i} role="group" aria-label={`Step ${i + 1}`}>
          <strong>{i + 1}.</strong>
          <label>Step name<input value={r.name} onChange={(e) => set(i, 'name', e.target.value)} placeholder={r.stage || 'step name'} /></label>
          <label>Stage<input value={r.stage} onChange={(e) => set(i, 'stage', e.target.value)} list="funnel-stages" placeholder="payment.stage" /></label>
          <label>Service · span name
            <span style={{ display: 'flex', gap: 4 }}>
              <input value={r.service} onChange={(e) => set(i, 'service', e.target.value)} list="funnel-services" placeholder="service" aria-label={`Step ${i + 1} service`} />
              <input value={r.spanName} onChange={(e) => set(i, 'spanName', e.target.value)} placeholder="span name" aria-label={`Step ${i + 1} span name`} />
            </span>
          </label>
          <label>Attributes<input value={r.attributes} onChange={(e) => set(i, 'attributes', e.target.value)} placeholder="payment.outcome=succeeded" /></label>
          <span style={{ display: 'flex', gap: 2 }}>
            <button type="button" onClick={() => move(i, -1)} disabled={i === 0} aria-label={`Move step ${i + 1} up`}>↑</button>
            <button type="button" onClick={() => move(i, 1)} disabled={i === rows.length - 1} aria-label={`Move step ${i + 1} down`}>↓</button>
            <button type="button" onClick={() => setRows((rs) => rs.filter((_, j) => j !== i))} disabled={rows.length <= 1} aria-label={`Remove step ${i + 1}`}>✕</button>
          </span>
        </div>
      ))}
      <div style={{ display: 'flex', gap: 8, alignItems: 'center' }}>
        <button type="button" onClick={() => setRows((rs) => [...rs, { ...emptyStep }])} disabled={rows.length >= 20}>Add step</button>
        <span style={{ flex: 1 }} />
        {state.error && <span className="error" role="alert">{state.error}</span>}
        <Link href={cancelHref}>Cancel</Link>
        <button type="submit" className="primary" disabled={pending}>{pending ? 'Saving…' : 'Save funnel'}</button>
      </div>
    </form>
  );
}
