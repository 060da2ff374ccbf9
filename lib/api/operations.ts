import type { z } from 'zod';
import { getConfig, type CallbackSla } from '../config';
import { DEFAULT_CHECKOUT_FUNNEL, DEFAULT_FLOW_KEY, DEFAULT_WINDOW_SEC, type FunnelDefinition } from '../analytics/funnel';
import { getFunnel } from '../queries/funnel';
import { DEFAULT_FUNNEL_ID, getSavedFunnel } from '../queries/funnels';
import { getGatewayHealth } from '../queries/gateway-health';
import { getSlowestHops } from '../queries/hops';
import { getStageLatency } from '../queries/stage-latency';
import { describeHealthReason } from '../ui/health-reasons';
import { listInconsistentPayments, listStuckPayments } from '../queries/stuck';
import { searchTraces } from '../queries/traces';
import type { Store } from '../store/store';
import { ApiError } from './handler';
import type { FunnelQuery, GatewaysQuery, HopsQuery, InconsistentQuery, StagesQuery, StuckQuery, TracesQuery } from './schemas';

/**
 * Parsed API parameters → query-layer calls, where the mapping is more than passing them on (the
 * route files stay one line each).
 */

export function traces(store: Store, { query: q }: { query: z.output<typeof TracesQuery> }) {
  return searchTraces(store, q);
}

/** The funnel to compute: `steps` given inline, a saved one by id, or the default checkout funnel. */
async function resolveFunnel(store: Store, q: z.output<typeof FunnelQuery>): Promise<FunnelDefinition & { id?: string }> {
  if (q.steps) {
    return { name: 'Custom', steps: q.steps, flowKey: q.flowKey ?? DEFAULT_FLOW_KEY, windowSec: q.windowSec ?? DEFAULT_WINDOW_SEC };
  }
  const saved = q.funnelId ? await getSavedFunnel(store, q.funnelId) : null;
  if (q.funnelId && !saved) throw new ApiError(404, `no funnel with id ${JSON.stringify(q.funnelId)}`);
  const base = saved ?? { ...DEFAULT_CHECKOUT_FUNNEL, id: DEFAULT_FUNNEL_ID };
  return { id: base.id, name: base.name, steps: base.steps, flowKey: q.flowKey ?? base.flowKey, windowSec: q.windowSec ?? base.windowSec };
}

export async function funnel(store: Store, { query: q }: { query: z.output<typeof FunnelQuery> }) {
  const def = await resolveFunnel(store, q);
  const result = await getFunnel(store, { from: q.from, to: q.to, funnel: def, channel: q.channel, gateway: q.gateway, split: q.split, compare: q.compare });
  return { funnel: def, ...result };
}

/** Gateway health, its reasons in the words the Gateways page shows. */
export async function gateways(store: Store, { query: q }: { query: z.output<typeof GatewaysQuery> }) {
  const { gateways: rows } = await getGatewayHealth(store, {
    from: q.from, to: q.to, channel: q.channel, splitByChannel: q.split === 'channel',
    baselineMs: q.baselineHours !== undefined ? q.baselineHours * 3_600_000 : undefined,
  });
  return { gateways: rows.map((g) => ({ ...g, healthReasons: g.healthReasons.map(describeHealthReason) })) };
}

export function hops(store: Store, { query: q }: { query: z.output<typeof HopsQuery> }) {
  return getSlowestHops(store, { from: q.from, to: q.to, channel: q.channel, gateway: q.gateway, limit: q.limit });
}

/** The callback SLA a request asks for: `slaSec` replaces the configured one for every gateway; `sla=gw=sec,...` sets single gateways. */
export function callbackSla(q: { slaSec?: number; sla?: Record<string, number> }): CallbackSla {
  const configured = getConfig().callbackSla;
  return {
    defaultSec: q.slaSec ?? configured.defaultSec,
    byGateway: { ...(q.slaSec !== undefined ? {} : configured.byGateway), ...q.sla },
  };
}

export function stuck(store: Store, { query: q }: { query: z.output<typeof StuckQuery> }) {
  return listStuckPayments(store, { from: q.from, to: q.to, sla: callbackSla(q), limit: q.limit });
}

export function inconsistent(store: Store, { query: q }: { query: z.output<typeof InconsistentQuery> }) {
  return listInconsistentPayments(store, { from: q.from, to: q.to, limit: q.limit });
}

export function stages(store: Store, { query: q }: { query: z.output<typeof StagesQuery> }) {
  return getStageLatency(store, { from: q.from, to: q.to, channel: q.channel });
}

