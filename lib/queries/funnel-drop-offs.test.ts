import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../clickhouse/migrate';
import { DEFAULT_CHECKOUT_FUNNEL } from '../analytics/funnel';
import type { Store } from '../store/store';
import { openTempStore } from '../../test/helpers/store';
import { getFunnel } from './funnel';
import { listFunnelDropOffs } from './funnel-drop-offs';
import { insertFixture, traceIdOf } from '../../test/helpers/fixtures';
import { HAND_T0, PAYMENTS_FIXTURE } from '../../test/helpers/payments-fixture';

// test/helpers/payments-fixture.ts: A ✓, B no callback, C declined, D ✓ (confirm fails), E timeout then ✓.
let store: Store;
let cleanup: () => Promise<void>;
const hour = { from: new Date(HAND_T0), to: new Date(HAND_T0 + 3_600_000) };

beforeAll(async () => {
  ({ store, cleanup } = await openTempStore());
  await migrate(store, { retentionDays: 0 });
  await insertFixture(store, PAYMENTS_FIXTURE, HAND_T0);
});
afterAll(async () => cleanup?.());

describe('listFunnelDropOffs', () => {
  it('lists the flows that reached the request and got no callback', async () => {
    const r = await listFunnelDropOffs(store, { ...hour, funnel: DEFAULT_CHECKOUT_FUNNEL, step: 3 });
    expect(r.total).toBe(2);
    expect(r.flows).toEqual([
      { flow: 'ord_C', channel: 'card', gateway: 'stripe', lastStepAt: '2025-03-01T10:02:00.150000000Z', lastStage: 'gateway.request', errorCode: 'card_declined', traceIds: [traceIdOf('C1')] },
      { flow: 'ord_B', channel: 'card', gateway: 'stripe', lastStepAt: '2025-03-01T10:01:00.200000000Z', lastStage: 'gateway.request', errorCode: '', traceIds: [traceIdOf('B1')] },
    ]);
  });

  it('agrees with the funnel at every step, with and without filters', async () => {
    const funnels = [
      DEFAULT_CHECKOUT_FUNNEL,
      {
        name: 'by span', flowKey: 'payment.order_id', windowSec: 3600,
        steps: [
          { name: 'order created', service: 'order', spanName: 'POST /orders' },
          { name: 'callback ok', service: 'payment', attributes: { 'payment.stage': 'gateway.callback', 'payment.outcome': 'succeeded' } },
        ],
      },
      { ...DEFAULT_CHECKOUT_FUNNEL, windowSec: 2.5 },
    ];
    for (const funnel of funnels) {
      for (const filter of [{}, { channel: 'card' }, { gateway: 'wechatpay' }]) {
        const f = await getFunnel(store, { ...hour, funnel, ...filter });
        for (let k = 1; k < funnel.steps.length; k++) {
          const d = await listFunnelDropOffs(store, { ...hour, funnel, step: k, ...filter });
          expect([funnel.name, filter, k, d.total]).toEqual([funnel.name, filter, k, f.steps[k - 1].reached - f.steps[k].reached]);
        }
      }
    }
  });

  it('has nothing for step 0 or past the end', async () => {
    expect((await listFunnelDropOffs(store, { ...hour, funnel: DEFAULT_CHECKOUT_FUNNEL, step: 0 })).flows).toEqual([]);
    expect((await listFunnelDropOffs(store, { ...hour, funnel: DEFAULT_CHECKOUT_FUNNEL, step: 9 })).flows).toEqual([]);
  });
});
