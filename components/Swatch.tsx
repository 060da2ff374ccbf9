import type { CSSProperties, ReactNode } from 'react';
import { colorFor } from '@/lib/ui/colors';

/** A channel, gateway or service name with its colour (the same on every page and chart). */
export function Swatch({ name, children }: { name: string; children?: ReactNode }) {
  return (
    <span className="swatch" style={{ '--c': colorFor(name) } as CSSProperties}>
      {children ?? (name || '(none)')}
    </span>
  );
}
