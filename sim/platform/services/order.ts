import { SpanStatusCode, trace } from '@opentelemetry/api';
import { markStage, recordOutcome } from '@payscope/instrumentation';
import { STAGES } from '../../model/catalog';
import { callService, Router } from '../http';
import { confirmFails, orderDbMs } from '../../model/payment';
import { random } from '../random';
import type { ServiceRuntime } from '../runtime';
import { dbCall } from '../telemetry';

type OrderStatus = 'pending' | 'paid' | 'payment_failed' | 'cancelled';

/**
 * order: creates orders (stage order.create, reserving stock at inventory first), confirms them
 * when the payment's result arrives (stage order.confirm, called by payment from the callback) and
 * cancels them when the payment failed up front. Orders live in memory; the "database" is a span.
 */
export function orderService(rt: ServiceRuntime): Router {
  const orders = new Map<string, OrderStatus>();
  const fail = (message: string) => trace.getActiveSpan()?.setStatus({ code: SpanStatusCode.ERROR, message });
  const db = async (operation: 'INSERT' | 'UPDATE', text: string) => {
    await dbCall({ operation, table: 'orders', text }, orderDbMs(random, rt.scenario));
  };

  return new Router()
    .post('/orders', async ({ body }) => {
      markStage(STAGES.orderCreate);
      const orderId = String(body.orderId);
      const reserve = await callService(rt.addresses, 'inventory', '/inventory/reserve', { orderId, sku: body.sku, quantity: body.quantity });
      if (reserve.status === 409) {
        fail('out of stock');
        recordOutcome('failed', { errorCode: 'OUT_OF_STOCK' });
        return { status: 409, body: { orderId, error: 'OUT_OF_STOCK' } };
      }
      if (reserve.status !== 200) {
        fail('inventory unavailable');
        return { status: 503, body: { orderId, error: 'INVENTORY_UNAVAILABLE' } };
      }
      await db('INSERT', 'INSERT INTO orders (id, amount, currency, channel, status) VALUES ($1, $2, $3, $4, $5)');
      orders.set(orderId, 'pending');
      recordOutcome('pending');
      return { status: 201, body: { orderId, status: 'pending' } };
    })
    .post('/orders/:id/confirm', async ({ params, body }) => {
      markStage(STAGES.orderConfirm);
      const orderId = params.id;
      await db('UPDATE', 'UPDATE orders SET status = $1 WHERE id = $2');
      const status = orders.get(orderId);
      if (body.result !== 'succeeded') {
        if (status !== undefined) orders.set(orderId, 'payment_failed');
        recordOutcome('cancelled');
        return { status: 200, body: { orderId, status: 'payment_failed' } };
      }
      if (status === 'cancelled') {
        // Paid, but the order was given up when the payment request timed out: money taken, no order.
        fail('order already cancelled');
        recordOutcome('failed', { errorCode: 'ORDER_CANCELLED' });
        rt.truth(orderId, 'inconsistent', 'baseline', { errorCode: 'ORDER_CANCELLED' });
        return { status: 409, body: { orderId, error: 'ORDER_CANCELLED' } };
      }
      if (status === undefined || confirmFails(random, rt.baseline)) {
        fail('order state conflict');
        recordOutcome('failed', { errorCode: 'ORDER_STATE_CONFLICT' });
        rt.truth(orderId, 'inconsistent', 'baseline', { errorCode: 'ORDER_STATE_CONFLICT' });
        return { status: 500, body: { orderId, error: 'ORDER_STATE_CONFLICT' } };
      }
      orders.set(orderId, 'paid');
      recordOutcome('succeeded');
      return { status: 200, body: { orderId, status: 'paid' } };
    })
    .post('/orders/:id/cancel', async ({ params }) => {
      await db('UPDATE', 'UPDATE orders SET status = $1 WHERE id = $2');
      if (orders.has(params.id)) orders.set(params.id, 'cancelled');
      return { status: 200, body: { orderId: params.id, status: 'cancelled' } };
    });
}
