'use client';
import { useRouter } from 'next/navigation';
import { useEffect, useState } from 'react';

const KEY = 'payscope.autoRefresh';

/** Re-runs the page's server queries every 15 s while switched on; remembered per browser. */
export function AutoRefresh() {
  const router = useRouter();
  const [on, setOn] = useState(false);
  useEffect(() => setOn(localStorage.getItem(KEY) === '1'), []);
  useEffect(() => {
    if (!on) return;
    const t = setInterval(() => router.refresh(), 15_000);
    return () => clearInterval(t);
  }, [on, router]);
  return (
    <label className="auto-refresh">
      <input
        type="checkbox"
        checked={on}
        onChange={(e) => {
          setOn(e.target.checked);
          localStorage.setItem(KEY, e.target.checked ? '1' : '0');
        }}
      />{' '}
      auto-refresh
    </label>
  );
}
