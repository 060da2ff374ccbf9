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

  it('enters flows as the funnel does: not one that started in the hour before the range, twice one that started again an hour later', async () => {
    // A day after the fixture. R: order.create 10 min before the range and again inside it (no
    // entry: it started within the window before). S: enters, submits, and starts again 5,000 s
    // later without submitting (two entries, the second dropped at step 1). The old rule (a flow's
    // first step-1 match in the range) listed R and not S.
    const t0 = HAND_T0 + 86_400_000;
    const span = (id: string, order: string, stage: string, start: number) => ({
      trace: id, id, service: 'checkout', name: stage, start, dur: 5, attrs: { 'payment.stage': stage, 'payment.order_id': order, 'payment.channel': 'card' },
    });
    await insertFixture(store, [
      span('R0', 'ord_R', 'order.create', -600_000), span('R1', 'ord_R', 'order.create', 60_000),
      span('S0', 'ord_S', 'order.create', 100_000), span('S1', 'ord_S', 'payment.submit', 200_000), span('S2', 'ord_S', 'order.create', 5_100_000),
    ], t0);
    const range = { from: new Date(t0), to: new Date(t0 + 3 * 3_600_000) };
    const f = await getFunnel(store, { ...range, funnel: DEFAULT_CHECKOUT_FUNNEL, now: 0 });
    expect(f.steps.slice(0, 2).map((s) => s.reached)).toEqual([2, 1]);
    const d = await listFunnelDropOffs(store, { ...range, funnel: DEFAULT_CHECKOUT_FUNNEL, step: 1 });
    expect(d.total).toBe(1);
    expect(d.flows).toEqual([{
      flow: 'ord_S', channel: 'card', gateway: '', lastStepAt: new Date(t0 + 5_100_000).toISOString().replace('Z', '000000Z'),
      lastStage: 'order.create', errorCode: '', traceIds: [traceIdOf('S0'), traceIdOf('S1'), traceIdOf('S2')].sort(),
    }]);
  });

  it('has nothing for step 0 or past the end', async () => {
    expect((await listFunnelDropOffs(store, { ...hour, funnel: DEFAULT_CHECKOUT_FUNNEL, step: 0 })).flows).toEqual([]);
    expect((await listFunnelDropOffs(store, { ...hour, funnel: DEFAULT_CHECKOUT_FUNNEL, step: 9 })).flows).toEqual([]);
  });
});
