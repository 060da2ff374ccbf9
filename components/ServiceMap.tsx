import { colorFor } from '@/lib/ui/colors';
import { formatCount, formatMs, formatPct } from '@/lib/ui/format';
import { layoutServiceMap, MAP_NODE } from '@/lib/ui/service-map';

export interface MapHop {
  from: string;
  to: string;
  toKind: 'service' | 'gateway' | 'external';
  calls: number;
  p95Ms: number | null;
  errorRate: number;
  criticalPathShare: number;
  href: string;
}

const edgeColor = (errorRate: number) => (errorRate >= 0.05 ? '#c62828' : errorRate >= 0.01 ? '#e8890c' : '#9aa4b2');

/**
 * Services and the gateways they call, callers left of callees. Edge width grows with calls, colour
 * with error rate; the label is the p95. Calls back to a caller's column (gateway callbacks) are
 * dashed. Nodes and edges link to their traces.
 */
export function ServiceMap({ hops, nodeHref }: { hops: MapHop[]; nodeHref: (id: string, kind: string) => string }) {
  const layout = layoutServiceMap(hops);
  const at = new Map(layout.nodes.map((n) => [n.id, n]));
  const { width: w, height: h } = MAP_NODE;
  const maxCalls = Math.max(1, ...hops.map((e) => e.calls));
  return (
    <div className="service-map">
      <svg width={Math.max(layout.width, 300)} height={Math.max(layout.height, 80)} role="img" aria-label={`Service map: ${layout.nodes.length} services and gateways, ${hops.length} hops`} data-testid="service-map">
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="9" markerHeight="9" markerUnits="userSpaceOnUse" orient="auto-start-reverse">
            <path d="M 0 0 L 10 5 L 0 10 z" fill="#9aa4b2" />
          </marker>
        </defs>
        {hops.map((e) => {
          const a = at.get(e.from)!;
          const b = at.get(e.to)!;
          if (!a || !b || a === b) return null;
          const x1 = a.x + w;
          const y1 = a.y + h / 2;
          const back = b.column <= a.column;
          const x2 = back ? b.x + w : b.x;
          const y2 = b.y + h / 2;
          const dx = back ? 60 : Math.max(30, (x2 - x1) / 2);
          const d = back ? `M ${x1} ${y1} C ${x1 + dx} ${y1}, ${x2 + dx} ${y2}, ${x2} ${y2}` : `M ${x1} ${y1} C ${x1 + dx} ${y1}, ${x2 - dx} ${y2}, ${x2} ${y2}`;
          const width = 1 + 5 * Math.sqrt(e.calls / maxCalls);
          // Label near the callee, where fanned-out edges have separated.
          const t = back ? 0.5 : 0.72;
          const bez = (p0: number, p1: number, p2: number, p3: number) => (1 - t) ** 3 * p0 + 3 * (1 - t) ** 2 * t * p1 + 3 * (1 - t) * t ** 2 * p2 + t ** 3 * p3;
          const mx = back ? bez(x1, x1 + dx, x2 + dx, x2) : bez(x1, x1 + dx, x2 - dx, x2);
          const my = bez(y1, y1, y2, y2);
          const title = `${e.from} → ${e.to}: ${formatCount(e.calls)} calls, p95 ${formatMs(e.p95Ms)}, errors ${formatPct(e.errorRate)}, critical path ${formatPct(e.criticalPathShare)}`;
          return (
            <a key={`${e.from}>${e.to}`} href={e.href} aria-label={title}>
              <title>{title}</title>
              <path d={d} fill="none" stroke={edgeColor(e.errorRate)} strokeWidth={width} strokeOpacity={back ? 0.5 : 0.8} strokeDasharray={back ? '5 4' : undefined} markerEnd="url(#arrow)" />
              <text x={mx} y={my - 4} fontSize={10.5} textAnchor="middle" fill="#1b1f24" paintOrder="stroke" stroke="#fff" strokeWidth={3}>{formatMs(e.p95Ms)}</text>
            </a>
          );
        })}
        {layout.nodes.map((n) => (
          <a key={n.id} href={nodeHref(n.id, n.kind)} aria-label={`${n.kind} ${n.id}: its traces`}>
            <title>{`${n.kind} ${n.id}`}</title>
            <rect x={n.x} y={n.y} width={w} height={h} rx={n.kind === 'service' ? 5 : 16} fill="#fff" stroke={colorFor(n.id)} strokeWidth={2} />
            <rect x={n.x} y={n.y} width={6} height={h} rx={2} fill={colorFor(n.id)} />
            <text x={n.x + 12} y={n.y + h / 2 + 4} fontSize={12} fill="#1b1f24">{n.id.length > 19 ? `${n.id.slice(0, 18)}…` : n.id}</text>
            {n.kind !== 'service' && <text x={n.x + w - 6} y={n.y + 11} fontSize={9} textAnchor="end" fill="#5b6570">{n.kind}</text>}
          </a>
        ))}
      </svg>
    </div>
  );
}
