'use client';
import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import { useEffect, useState, useTransition } from 'react';
import { parseTime, RANGE_PRESETS, timeInStoreRange } from '@/lib/ui/time-range';
import { useNavigationProgress } from './NavigationProgress';

/** A URL time as the server reads it; undefined for one it ignores (unparsable, out of the store's range). */
function readTime(v: string | null): number | undefined {
  const d = parseTime(v ?? undefined);
  return d && timeInStoreRange(d) ? d.getTime() : undefined;
}

function toLocalInput(ms: number): string {
  const d = new Date(ms);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}

/** Presets and a custom absolute range; writes `range` or `from`/`to` into the URL. */
export function TimeRangePicker() {
  const router = useRouter();
  const pathname = usePathname();
  const params = useSearchParams();
  const absolute = params.get('from') && params.get('to');
  const preset = absolute ? 'custom' : params.get('range') ?? '1h';
  const [custom, setCustom] = useState(preset === 'custom');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [pending, startTransition] = useTransition();
  useNavigationProgress(pending);
  useEffect(() => {
    // As the server reads them (epoch ms too); a time it ignores (unparsable, out of range) is not shown.
    const now = Date.now();
    setFrom(toLocalInput(readTime(params.get('from')) ?? now - 3_600_000));
    setTo(toLocalInput(readTime(params.get('to')) ?? now));
  }, [params]);

  const go = (changes: Record<string, string | undefined>) => {
    const q = new URLSearchParams(params.toString());
    for (const [k, v] of Object.entries(changes)) (v ? q.set(k, v) : q.delete(k));
    startTransition(() => router.push(`${pathname}?${q}`));
  };

  return (
    <div className="time-range" role="group" aria-label="Time range">
      <label>
        <span className="sr-only">Time range</span>
        <select
          value={custom ? 'custom' : preset}
          onChange={(e) => {
            if (e.target.value === 'custom') return setCustom(true);
            setCustom(false);
            go({ range: e.target.value, from: undefined, to: undefined });
          }}
        >
          {RANGE_PRESETS.map((p) => <option key={p.key} value={p.key}>{p.label}</option>)}
          <option value="custom">Custom range…</option>
        </select>
      </label>
      {custom && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            go({ range: undefined, from: new Date(from).toISOString(), to: new Date(to).toISOString() });
          }}
        >
          <label>from <input type="datetime-local" value={from} onChange={(e) => setFrom(e.target.value)} required /></label>
          <label>to <input type="datetime-local" value={to} onChange={(e) => setTo(e.target.value)} required /></label>
          <button type="submit">Apply</button>
        </form>
      )}
    </div>
  );
}
