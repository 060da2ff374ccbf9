'use client';
import { usePathname, useRouter } from 'next/navigation';
import { useRef, useTransition, type FormEvent } from 'react';
import { useNavigationProgress } from './NavigationProgress';

export interface FilterField {
  name: string;
  label: string;
  /** @default 'select' when options are given, else 'text' */
  type?: 'select' | 'text' | 'number' | 'search';
  options?: readonly (string | { value: string; label: string })[];
  /** Label of the empty option of a select. @default 'all' */
  allLabel?: string;
  placeholder?: string;
}

/**
 * Filters as a GET form over the URL: every other parameter (the time range above all) is kept as a
 * hidden field, so the form works without JavaScript; with it, a select applies at once and the
 * form navigates client-side.
 */
export function FilterBar({ fields, params, submitLabel = 'Apply' }: { fields: FilterField[]; params: Record<string, string | string[]>; submitLabel?: string }) {
  const router = useRouter();
  const pathname = usePathname();
  const form = useRef<HTMLFormElement>(null);
  const [pending, startTransition] = useTransition();
  useNavigationProgress(pending);
  const names = new Set(fields.map((f) => f.name));
  // A repeatable parameter (attr) has several values: the field edits the first, the rest travel hidden.
  const values = (k: string): string[] => {
    const v = params[k];
    return v === undefined ? [] : Array.isArray(v) ? v : [v];
  };
  const kept = Object.keys(params).filter((k) => !names.has(k)).flatMap((k) => values(k).map((v) => [k, v] as [string, string]));
  const more = fields.flatMap((f) => values(f.name).slice(1).map((v) => [f.name, v] as [string, string]));

  const go = () => {
    const data = new FormData(form.current!);
    const q = new URLSearchParams();
    for (const [k, v] of data) if (typeof v === 'string' && v.trim() !== '') q.append(k, v.trim());
    const s = q.toString();
    startTransition(() => router.push(s ? `${pathname}?${s}` : pathname));
  };
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    go();
  };
  const clear = () => {
    const q = new URLSearchParams(kept);
    const s = q.toString();
    startTransition(() => router.push(s ? `${pathname}?${s}` : pathname));
  };

  return (
    <form key={JSON.stringify(params)} ref={form} className="filters" method="get" action={pathname} onSubmit={onSubmit} aria-label="Filters">
      {[...kept, ...more].map(([k, v], i) => <input key={`${k}-${i}`} type="hidden" name={k} value={v} />)}
      {fields.map((f) => {
        const type = f.type ?? (f.options ? 'select' : 'text');
        const value = values(f.name)[0] ?? '';
        if (type === 'select') {
          const opts = (f.options ?? []).map((o) => (typeof o === 'string' ? { value: o, label: o } : o));
          // Keep a value from the URL selectable even when the range no longer holds it.
          if (value && !opts.some((o) => o.value === value)) opts.unshift({ value, label: value });
          return (
            <div key={f.name} className="field">
              <label htmlFor={`filter-${f.name}`}>{f.label}</label>
              <select id={`filter-${f.name}`} name={f.name} defaultValue={value} onChange={go}>
                <option value="">{f.allLabel ?? 'all'}</option>
                {opts.map((o) => <option key={o.value} value={o.value}>{o.label}</option>)}
              </select>
            </div>
          );
        }
        return (
          <div key={f.name} className="field">
            <label htmlFor={`filter-${f.name}`}>{f.label}</label>
            <input id={`filter-${f.name}`} type={type} name={f.name} defaultValue={value} placeholder={f.placeholder} step={type === 'number' ? 'any' : undefined} min={type === 'number' ? 0 : undefined} />
          </div>
        );
      })}
      <div className="actions">
        <button type="submit" className="primary">{submitLabel}</button>
        <button type="button" onClick={clear}>Clear</button>
      </div>
    </form>
  );
}
