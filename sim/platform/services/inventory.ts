import { markStage, recordOutcome } from '@payscope/instrumentation';
import { STAGES } from '../../model/catalog';
import { reserveStock } from '../../model/payment';
import { Router } from '../http';
import { random } from '../random';
import type { ServiceRuntime } from '../runtime';
import { dbCall } from '../telemetry';

/** inventory: reserves stock (stage inventory.reserve) with one database update. */
export function inventoryService(rt: ServiceRuntime): Router {
  return new Router().post('/inventory/reserve', async ({ body }) => {
    markStage(STAGES.inventoryReserve);
    const orderId = String(body.orderId);
    const stock = reserveStock(random, rt.baseline, rt.scenario);
    if (stock.extraMs > 0) rt.truth(orderId, 'affected', 'scenario', { dbMs: Math.round(stock.dbMs), extraMs: Math.round(stock.extraMs) });
    await dbCall({ operation: 'UPDATE', table: 'stock', text: 'UPDATE stock SET reserved = reserved + $1 WHERE sku = $2 AND available >= $1' }, stock.dbMs);
    if (stock.outOfStock) {
      recordOutcome('failed', { errorCode: 'OUT_OF_STOCK' });
      rt.truth(orderId, 'out-of-stock', 'baseline');
      return { status: 409, body: { orderId, error: 'OUT_OF_STOCK' } };
    }
    return { status: 200, body: { orderId, reserved: body.quantity ?? 1 } };
  });
}
