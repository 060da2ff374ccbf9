'use client';
import { usePathname, useSearchParams } from 'next/navigation';
import { useEffect, useState } from 'react';

const EVENT = 'payscope:navigating';

/**
 * Show (or hide) the progress bar for a navigation made with router.push: call it with a
 * transition's isPending, e.g. `useNavigationProgress(isPending)`.
 */
export function useNavigationProgress(pending: boolean): void {
  useEffect(() => {
    window.dispatchEvent(new CustomEvent(EVENT, { detail: pending }));
  }, [pending]);
}

/**
 * The loading state of every page: a bar across the top while the next page is on its way, the
 * current page staying in place until it arrives. (A route-level loading.tsx would stream a skeleton
 * first; measured in Chromium here that delays the real content by 300–400 ms: docs/dashboard.md.)
 */
export function NavigationProgress() {
  const pathname = usePathname();
  const params = useSearchParams();
  const [pending, setPending] = useState(false);
  useEffect(() => setPending(false), [pathname, params]);
  useEffect(() => {
    if (!pending) return;
    const t = setTimeout(() => setPending(false), 20_000);
    return () => clearTimeout(t);
  }, [pending]);
  useEffect(() => {
    const start = () => setPending(true);
    const fromTransition = (e: Event) => setPending(Boolean((e as CustomEvent<boolean>).detail));
    // Capture phase: next/link handles the click (and prevents the default) before it bubbles here.
    const onClick = (e: MouseEvent) => {
      if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
      const a = (e.target as Element | null)?.closest?.('a');
      if (!a || (a.target && a.target !== '_self') || a.hasAttribute('download')) return;
      const url = new URL(a.href, window.location.href);
      if (url.origin !== window.location.origin || url.pathname.startsWith('/api/')) return;
      if (url.pathname === window.location.pathname && url.search === window.location.search) return;
      start();
    };
    document.addEventListener('click', onClick, true);
    window.addEventListener(EVENT, fromTransition);
    return () => {
      document.removeEventListener('click', onClick, true);
      window.removeEventListener(EVENT, fromTransition);
    };
  }, []);
  return (
    <div className={`nav-progress${pending ? ' active' : ''}`} role="progressbar" aria-label="Loading the page" aria-hidden={!pending} data-pending={pending ? 'true' : undefined}>
      <span />
    </div>
  );
}
