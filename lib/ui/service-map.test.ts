import { describe, expect, it } from 'vitest';
import { layoutServiceMap } from './service-map';

const pos = (edges: Parameters<typeof layoutServiceMap>[0]) =>
  Object.fromEntries(layoutServiceMap(edges).nodes.map((n) => [n.id, [n.column, n.row, n.kind]]));

describe('layoutServiceMap', () => {
  //   checkout ─► order ─► inventory
  //        └────► payment ─► adapter-card ─► stripe
  //                  └──────────────────────► order   (order moves right of payment: longest chain)
  it('puts callees right of their callers, by the longest chain', () => {
    expect(pos([
      { from: 'checkout', to: 'order', toKind: 'service' },
      { from: 'order', to: 'inventory', toKind: 'service' },
      { from: 'checkout', to: 'payment', toKind: 'service' },
      { from: 'payment', to: 'adapter-card', toKind: 'service' },
      { from: 'adapter-card', to: 'stripe', toKind: 'gateway' },
      { from: 'payment', to: 'order', toKind: 'service' },
    ])).toEqual({
      checkout: [0, 0, 'service'],
      payment: [1, 0, 'service'],
      'adapter-card': [2, 0, 'service'],
      order: [2, 1, 'service'],
      inventory: [3, 1, 'service'],
      stripe: [3, 0, 'gateway'],
    });
  });

  it('survives cycles and self-calls', () => {
    const p = pos([
      { from: 'a', to: 'b', toKind: 'service' },
      { from: 'b', to: 'a', toKind: 'service' },
      { from: 'b', to: 'b', toKind: 'service' },
    ]);
    expect(p).toEqual({ a: [0, 0, 'service'], b: [1, 0, 'service'] });
    expect(layoutServiceMap([]).nodes).toEqual([]);
  });
});
