import { markStage, recordOutcome } from '@payscope/instrumentation';
import { STAGES } from '../../seed/shape';
import { Router } from '../http';
import { chance, lognormal } from '../random';
import type { ServiceRuntime } from '../runtime';
import { dbCall } from '../telemetry';

/** The extra latency of `service`'s database call under the slow-db scenario, 0 otherwise. */
export function slowDbExtraMs(rt: ServiceRuntime, service: string): number {
  const s = rt.scenario;
  if (s.name !== 'slow-db' || s.target.service !== service) return 0;
  return lognormal(s.dbExtraMedianMs ?? 400, s.dbExtraSigma ?? 0.35);
}

/** inventory: reserves stock (stage inventory.reserve) with one database update. */
export function inventoryService(rt: ServiceRuntime): Router {
  return new Router().post('/inventory/reserve', async ({ body }) => {
    markStage(STAGES.inventoryReserve);
    const orderId = String(body.orderId);
    const extra = slowDbExtraMs(rt, 'inventory');
    const ms = lognormal(rt.baseline.dbMedianMs, rt.baseline.dbSigma) + extra;
    if (extra > 0) rt.truth(orderId, 'affected', 'scenario', { dbMs: Math.round(ms), extraMs: Math.round(extra) });
    await dbCall({ operation: 'UPDATE', table: 'stock', text: 'UPDATE stock SET reserved = reserved + $1 WHERE sku = $2 AND available >= $1' }, ms);
    if (chance(rt.baseline.outOfStockRate)) {
      recordOutcome('failed', { errorCode: 'OUT_OF_STOCK' });
      rt.truth(orderId, 'out-of-stock', 'baseline');
      return { status: 409, body: { orderId, error: 'OUT_OF_STOCK' } };
    }
    return { status: 200, body: { orderId, reserved: body.quantity ?? 1 } };
  });
}
