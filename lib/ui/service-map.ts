/**
 * Layout of the Hops page's service map: callers to the left of callees, in columns by call depth.
 *
 *   checkout ──► order ──► inventory
 *       │                      
 *       └──────► payment ──► adapter-card ──► stripe (gateway)
 *
 * Column = the longest call chain from an entry service (one without callers) to the node, cycles
 * cut; rows within a column follow the average row of the callers (fewer crossings), then name.
 */

export interface MapEdge {
  from: string;
  to: string;
  toKind: 'service' | 'gateway' | 'external';
}

export interface MapNode {
  id: string;
  kind: 'service' | 'gateway' | 'external';
  column: number;
  row: number;
  x: number;
  y: number;
}

export interface MapLayout {
  nodes: MapNode[];
  width: number;
  height: number;
}

export const MAP_NODE = { width: 150, height: 34, columnGap: 96, rowGap: 18, pad: 12 };

export function layoutServiceMap(edges: readonly MapEdge[]): MapLayout {
  const kind = new Map<string, MapNode['kind']>();
  const out = new Map<string, string[]>();
  const indegree = new Map<string, number>();
  for (const e of edges) {
    if (!kind.has(e.from)) kind.set(e.from, 'service');
    if (kind.get(e.to) !== 'service' || e.toKind === 'service') kind.set(e.to, e.toKind);
    if (!out.has(e.from)) out.set(e.from, []);
    if (e.from !== e.to) {
      out.get(e.from)!.push(e.to);
      indegree.set(e.to, (indegree.get(e.to) ?? 0) + 1);
    }
  }
  const ids = [...kind.keys()].sort();
  // Longest path from the entries, by DFS with the current path as cycle guard.
  const column = new Map<string, number>();
  const visit = (id: string, depth: number, onPath: Set<string>) => {
    if ((column.get(id) ?? -1) >= depth || onPath.has(id)) return;
    column.set(id, depth);
    onPath.add(id);
    for (const next of out.get(id) ?? []) visit(next, depth + 1, onPath);
    onPath.delete(id);
  };
  const entries = ids.filter((id) => !indegree.get(id));
  for (const id of entries.length ? entries : ids.slice(0, 1)) visit(id, 0, new Set());
  for (const id of ids) if (!column.has(id)) visit(id, 0, new Set()); // nodes only inside cycles

  const columns: string[][] = [];
  for (const id of ids) (columns[column.get(id)!] ??= []).push(id);
  const row = new Map<string, number>();
  const callers = new Map<string, string[]>();
  for (const e of edges) if (e.from !== e.to) (callers.get(e.to) ?? callers.set(e.to, []).get(e.to)!).push(e.from);
  columns.forEach((col, c) => {
    const score = (id: string) => {
      const rs = (callers.get(id) ?? []).map((p) => row.get(p)).filter((r): r is number => r !== undefined);
      return rs.length ? rs.reduce((a, b) => a + b, 0) / rs.length : Number.MAX_SAFE_INTEGER;
    };
    if (c > 0) col.sort((a, b) => score(a) - score(b) || (a < b ? -1 : 1));
    col.forEach((id, r) => row.set(id, r));
  });
  const { width: w, height: h, columnGap, rowGap, pad } = MAP_NODE;
  const nodes: MapNode[] = ids.map((id) => {
    const c = column.get(id)!;
    const r = row.get(id)!;
    return { id, kind: kind.get(id)!, column: c, row: r, x: pad + c * (w + columnGap), y: pad + r * (h + rowGap) };
  });
  const maxRows = Math.max(0, ...columns.map((col) => col?.length ?? 0));
  return { nodes, width: pad * 2 + columns.length * w + Math.max(0, columns.length - 1) * columnGap, height: pad * 2 + maxRows * h + Math.max(0, maxRows - 1) * rowGap };
}
