import http from 'node:http';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ATTR_PAYMENT_TX_BRANCH,
  ATTR_PAYMENT_TX_ID,
  ATTR_PAYMENT_TX_PHASE,
  markTransactionPhase,
  withPayment,
  withTransactionPhase,
  type TransactionPhase,
} from '../src/index.js';
import { close, httpGet, listen, startInMemoryPayscope, waitForSpan, type InMemoryPayscope } from './helpers/in-process.js';

// A TCC coordinator (service A) calls a participant (service B, the account service) over a real
// HTTP hop; B marks its own server span with the phase it performs.
let payscope: InMemoryPayscope;
let participant: http.Server;
let coordinator: http.Server;
let urlParticipant: string;
let urlCoordinator: string;

beforeAll(async () => {
  payscope = startInMemoryPayscope();
  participant = http.createServer((req, res) => {
    const q = new URL(req.url ?? '/', 'http://x').searchParams;
    markTransactionPhase({ txId: q.get('tx') ?? '', branch: q.get('branch') ?? '', phase: q.get('phase') as TransactionPhase });
    res.end('reserved');
  });
  urlParticipant = await listen(participant);
  coordinator = http.createServer((req, res) => {
    const orderId = new URL(req.url ?? '/', 'http://x').searchParams.get('order') ?? '';
    withPayment({ orderId, channel: 'card' }, async () => {
      const tried = await httpGet(`${urlParticipant}/tcc?tx=tx-${orderId}&branch=account&phase=try`);
      const confirmed = await withTransactionPhase({ txId: `tx-${orderId}`, branch: 'points', phase: 'confirm' }, async () => 'confirmed');
      res.end(`${tried.body} / ${confirmed}`);
    });
  });
  urlCoordinator = await listen(coordinator);
});

afterAll(async () => {
  await Promise.all([close(coordinator), close(participant)]);
  await payscope.handle.shutdown();
});

const txOf = (s: ReadableSpan) => ({
  id: s.attributes[ATTR_PAYMENT_TX_ID],
  branch: s.attributes[ATTR_PAYMENT_TX_BRANCH],
  phase: s.attributes[ATTR_PAYMENT_TX_PHASE],
});

describe('transaction phases', () => {
  it('a participant marks its server span; the coordinator runs a phase in a span of its own, both inside the payment', async () => {
    expect((await httpGet(`${urlCoordinator}/transfer?order=ord-tx1`)).body).toBe('reserved / confirmed');

    const tried = await waitForSpan(payscope, (spans) =>
      spans.find((s) => s.kind === SpanKind.SERVER && s.attributes['url.path'] === '/tcc' && s.attributes[ATTR_PAYMENT_TX_ID] === 'tx-ord-tx1'),
    );
    expect(txOf(tried)).toEqual({ id: 'tx-ord-tx1', branch: 'account', phase: 'try' });
    // The participant has no payment code: the order id reached it as baggage.
    expect(tried.attributes['payment.order_id']).toBe('ord-tx1');

    const confirmed = await waitForSpan(payscope, (spans) => spans.find((s) => s.name === 'confirm points'));
    expect(confirmed.kind).toBe(SpanKind.INTERNAL);
    expect(txOf(confirmed)).toEqual({ id: 'tx-ord-tx1', branch: 'points', phase: 'confirm' });
    expect(confirmed.attributes['payment.order_id']).toBe('ord-tx1');
    expect(confirmed.status.code).toBe(SpanStatusCode.UNSET);
    // Both phases belong to the coordinator's trace (a later cancel may come in another one: payscope joins by payment.tx.id).
    expect(confirmed.spanContext().traceId).toBe(tried.spanContext().traceId);
  });

  it('a phase that throws or rejects is marked failed and the error passes on unchanged', async () => {
    const failure = new Error('compensation refused by ledger');
    await expect(
      withTransactionPhase({ txId: 'tx-saga-1', branch: 'ledger', phase: 'compensate' }, async () => {
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(() =>
      withTransactionPhase({ txId: 'tx-saga-2', branch: 'ledger', phase: 'action' }, () => {
        throw failure;
      }),
    ).toThrow(failure);

    for (const txId of ['tx-saga-1', 'tx-saga-2']) {
      const span = await waitForSpan(payscope, (spans) => spans.find((s) => s.attributes[ATTR_PAYMENT_TX_ID] === txId));
      expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'compensation refused by ledger' });
      expect(span.events.find((e) => e.name === 'exception')?.attributes?.['exception.message']).toBe('compensation refused by ledger');
    }
  });

  it('refuses an unknown phase; a missing transaction id marks nothing and the work still runs', async () => {
    expect(() => markTransactionPhase({ txId: 'tx-9', phase: 'commit' as TransactionPhase })).toThrow(/payment\.tx\.phase must be one of try, confirm, cancel, action, compensate; got "commit"/);
    expect(() => withTransactionPhase({ txId: 'tx-9', phase: 'rollback' as TransactionPhase }, () => 1)).toThrow(TypeError);

    const ran = withTransactionPhase({ txId: '', branch: 'account', phase: 'cancel' }, () => 'ran');
    expect(ran).toBe('ran');
    trace.getTracer('tx-test').startActiveSpan('no tx', (span) => {
      markTransactionPhase({ txId: '', branch: 'account', phase: 'try' });
      span.end();
    });
    const cancel = await waitForSpan(payscope, (spans) => spans.find((s) => s.name === 'cancel account'));
    const none = await waitForSpan(payscope, (spans) => spans.find((s) => s.name === 'no tx'));
    for (const s of [cancel, none]) expect(txOf(s)).toEqual({ id: undefined, branch: undefined, phase: undefined });
  });
});
