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
  // Longest path from the entries, cycles cut: a depth-first search from the entries (then from any
  // node not reached, i.e. only inside cycles) drops the edges that close a cycle, and the longest
  // path over the remaining acyclic graph is found in topological order. Both are linear in the
  // edges and use explicit stacks: the graph comes from span data, so its depth is unbounded.
  const state = new Map<string, 1 | 2>(); // 1 on the current path, 2 done
  const kept = new Map<string, string[]>();
  const dfs = (start: string) => {
    if (state.has(start)) return;
    state.set(start, 1);
    const stack: { id: string; i: number }[] = [{ id: start, i: 0 }];
    while (stack.length) {
      const top = stack[stack.length - 1];
      const next = (out.get(top.id) ?? [])[top.i++];
      if (next === undefined) {
        state.set(top.id, 2);
        stack.pop();
        continue;
      }
      if (state.get(next) === 1) continue; // closes a cycle: cut
      (kept.get(top.id) ?? kept.set(top.id, []).get(top.id)!).push(next);
      if (!state.has(next)) {
        state.set(next, 1);
        stack.push({ id: next, i: 0 });
      }
    }
  };
  const entries = ids.filter((id) => !indegree.get(id));
  for (const id of entries.length ? entries : ids.slice(0, 1)) dfs(id);
  for (const id of ids) dfs(id);
  const column = new Map<string, number>(ids.map((id) => [id, 0]));
  const pending = new Map<string, number>();
  for (const targets of kept.values()) for (const t of targets) pending.set(t, (pending.get(t) ?? 0) + 1);
  const ready = ids.filter((id) => !pending.get(id));
  while (ready.length) {
    const id = ready.pop()!;
    for (const t of kept.get(id) ?? []) {
      column.set(t, Math.max(column.get(t)!, column.get(id)! + 1));
      const left = pending.get(t)! - 1;
      pending.set(t, left);
      if (left === 0) ready.push(t);
    }
  }

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
