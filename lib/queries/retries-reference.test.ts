/**
 * Randomized orders (several attempts on several gateways, timeouts, provider errors, late,
 * failed, duplicate and repeated callbacks, charge ids, attempt numbers, orders starting before and
 * after the range): getRetries and listDoubleCharges against a plain-JS computation over the same
 * orders, kept as objects when they were generated. The pure rules (lib/analytics/retries.ts) have
 * their own hand-drawn tests; this checks what the store does: the range, the window either side,
 * the columns, the grouping, the candidate filter and the order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../clickhouse/migrate';
import { ErrorCodeTable } from '../analytics/error-taxonomy';
import { BUILTIN_FX_RATES, conversionFactor, parseAmount } from '../analytics/money';
import { analyzeOrderAttempts, failoverMatrix, type AttemptEvent } from '../analytics/retries';
import type { Store } from '../store/store';
import { insertFixture, traceIdOf, type FixtureSpan } from '../../test/helpers/fixtures';
import { openTempStore } from '../../test/helpers/store';
import { Rng } from '../../sim/seed/random';
import { getRetries, listDoubleCharges } from './retries';

const T0 = Date.parse('2025-07-01T00:00:00Z');
const FROM = T0 + 3_600_000;
const TO = FROM + 4 * 3_600_000;
const HOUR = 3_600_000;
const GATEWAYS = ['stripe', 'adyen', 'alipay', 'wechatpay'];
const CODES: [string, string][] = [['card_declined', '402'], ['rate_limit', '429'], ['SYSTEMERROR', '500'], ['ACQ.INVALID_PARAMETER', '400'], ['weird', '418']];
const table = new ErrorCodeTable();

interface Order { orderId: string; channel: string; amount: string; currency: string; events: (AttemptEvent & { trace: string })[] }

function generate(n: number): Order[] {
  const rng = new Rng('retries-reference');
  const pick = <T>(xs: readonly T[]) => xs[rng.int(xs.length)];
  const orders: Order[] = [];
  for (let o = 0; o < n; o++) {
    const orderId = `o${o}`;
    const order: Order = { orderId, channel: pick(['card', 'alipay', 'wechatpay']), amount: rng.chance(0.9) ? (rng.int(100_000) / 100).toFixed(2) : '', currency: pick(['USD', 'EUR', 'CNY', 'XTS']), events: [] };
    const start = Math.round(FROM - 30 * 60_000 + rng.next() * (TO - FROM + 60 * 60_000));
    const numbered = rng.chance(0.5);
    const attempts = 1 + (rng.chance(0.4) ? 1 + rng.int(2) : 0);
    let t = start;
    const ev = (e: Partial<AttemptEvent> & Pick<AttemptEvent, 'stage' | 'at' | 'gateway'>) => {
      const trace = `${orderId}-${order.events.length}`;
      order.events.push({ outcome: '', errorCode: '', isError: false, errorType: '', timeoutFlag: '', httpStatus: 0, attempt: 0, duplicate: false, providerRef: '', traceId: traceIdOf(trace), trace, ...e });
    };
    for (let a = 1; a <= attempts; a++) {
      const gateway = pick(GATEWAYS);
      const attempt = numbered ? a : 0;
      const kind = pick(['timeout', 'error', 'accepted', 'accepted', 'ok']);
      const ref = rng.chance(0.5) ? `ref-${orderId}-${a}` : '';
      if (kind === 'timeout') ev({ stage: 'gateway.request', at: t, gateway, attempt, isError: true, errorType: 'timeout', timeoutFlag: 'true' });
      else if (kind === 'error') {
        const [code, http] = pick(CODES);
        ev({ stage: 'gateway.request', at: t, gateway, attempt, isError: true, outcome: 'failed', errorCode: code, httpStatus: Number(http), errorType: http });
      } else ev({ stage: 'gateway.request', at: t, gateway, attempt, outcome: kind === 'ok' ? 'succeeded' : 'pending', providerRef: kind === 'ok' ? ref : '' });
      if (kind !== 'error' && rng.chance(0.7)) {
        const cbAt = t + Math.round(1000 + rng.next() * 2 * HOUR);
        const ok = rng.chance(0.8);
        const cb = { stage: 'gateway.callback' as const, gateway, attempt: numbered && rng.chance(0.8) ? a : 0, providerRef: ok && rng.chance(0.6) ? ref || `cbref-${orderId}-${a}` : '' };
        ev({ ...cb, at: cbAt, outcome: ok ? 'succeeded' : 'failed', errorCode: ok ? '' : pick(['do_not_honor', 'NOTENOUGH']) });
        if (rng.chance(0.2)) ev({ ...cb, at: cbAt + 1000 + rng.int(60_000), outcome: ok ? 'succeeded' : 'failed', duplicate: rng.chance(0.5), providerRef: rng.chance(0.5) ? cb.providerRef : `other-${orderId}-${a}` });
      }
      t += 1000 + rng.int(20_000);
    }
    orders.push(order);
  }
  return orders;
}

function spansOf(o: Order): FixtureSpan[] {
  return o.events.map((e) => {
    const attrs: Record<string, string> = {
      'payment.order_id': o.orderId, 'payment.channel': o.channel, 'payment.currency': o.currency, 'payment.stage': e.stage, 'payment.gateway': e.gateway,
    };
    if (o.amount) attrs['payment.amount'] = o.amount;
    if (e.outcome) attrs['payment.outcome'] = e.outcome;
    if (e.errorCode) attrs['payment.error_code'] = e.errorCode;
    if (e.errorType) attrs['error.type'] = e.errorType;
    if (e.timeoutFlag) attrs['payment.timeout'] = e.timeoutFlag;
    if (e.httpStatus) attrs['http.response.status_code'] = String(e.httpStatus);
    if (e.attempt) attrs['payment.attempt'] = String(e.attempt);
    if (e.duplicate) attrs['payment.callback.duplicate'] = 'true';
    if (e.providerRef) attrs['payment.provider_ref'] = e.providerRef;
    return {
      trace: e.trace, id: e.trace, service: e.stage === 'gateway.request' ? 'adapter' : 'payment', name: 'POST',
      kind: e.stage === 'gateway.request' ? 'Client' : 'Server', start: e.at - T0, dur: 50, attrs, status: e.isError ? 'Error' : 'Unset',
    };
  });
}

/** The plain-JS answer: the rules of lib/queries/retries.ts over the generated objects. */
function reference(orders: Order[], channel?: string) {
  const rows = orders
    .map((o) => ({ o, events: o.events.filter((e) => e.at >= FROM - HOUR && e.at < TO + HOUR) }))
    .map(({ o, events }) => ({ o, events, requests: events.filter((e) => e.stage === 'gateway.request') }))
    .filter(({ requests }) => requests.length > 0)
    .map((r) => ({ ...r, first: Math.min(...r.requests.map((e) => e.at)) }))
    .filter((r) => r.first >= FROM && r.first < TO && (channel === undefined || r.o.channel === channel));
  const fulfilled = (events: AttemptEvent[]) => events.filter((e) => e.stage === 'gateway.callback' && e.outcome === 'succeeded' && !e.duplicate);
  const candidates = rows
    .filter((r) => r.requests.length > 1 || fulfilled(r.events).length > 1
      || new Set(r.events.filter((e) => e.providerRef && e.outcome === 'succeeded' && !e.duplicate).map((e) => e.providerRef)).size > 1)
    .sort((a, b) => b.first - a.first || (a.o.orderId < b.o.orderId ? -1 : 1))
    .map((r) => ({ ...r, analysis: analyzeOrderAttempts(r.events, table) }));
  const retried = candidates.filter((c) => c.analysis.retried);
  let amount = 0;
  let unconverted = 0;
  for (const c of retried.filter((x) => x.analysis.recovered)) {
    const v = parseAmount(c.o.amount);
    const f = conversionFactor(BUILTIN_FX_RATES, c.o.currency, 'USD');
    if (v === null || f === undefined) unconverted++;
    else amount += v * f;
  }
  return {
    orders: rows.length,
    retried: rows.filter((r) => r.requests.length > 1).length,
    recovered: retried.filter((c) => c.analysis.recovered).length,
    amount,
    unconverted,
    matrix: failoverMatrix(retried.map((c) => c.analysis)),
    chains: retried.slice(0, 50).map((c) => [c.o.orderId, c.analysis.attempts.map((a) => `${a.gateway} ${a.outcome} ${a.errorClass} ${a.traceId}`), c.analysis.recovered, c.analysis.charges]),
    doubles: candidates.filter((c) => c.analysis.charges > 1).slice(0, 100)
      .map((c) => [c.o.orderId, c.analysis.charges, c.o.amount, c.o.currency, [...new Set(c.events.map((e) => e.traceId))].sort()]),
  };
}

const ORDERS = generate(600);
let store: Store;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ store, cleanup } = await openTempStore());
  await migrate(store, { retentionDays: 0 });
  await insertFixture(store, ORDERS.flatMap(spansOf), T0);
});
afterAll(async () => cleanup?.());

describe('retries and double charges against the plain-JS reference', () => {
  it.each([undefined, 'card'])('channel %s', async (channel) => {
    const want = reference(ORDERS, channel);
    // The data exercises what it should.
    expect(want.retried).toBeGreaterThan(50);
    expect(want.recovered).toBeGreaterThan(10);
    expect(want.doubles.length).toBeGreaterThan(5);
    const params = { from: new Date(FROM), to: new Date(TO), channel, errorCodes: table };
    const got = await getRetries(store, { ...params, fx: { table: BUILTIN_FX_RATES, currency: 'USD' } });
    expect([got.orders, got.retried, got.recovered.count, got.unconverted.count]).toEqual([want.orders, want.retried, want.recovered, want.unconverted]);
    expect(got.recovered.amount).toBeCloseTo(want.amount, 1);
    expect(got.matrix).toEqual(want.matrix);
    expect(got.chains.map((c) => [c.orderId, c.attempts.map((a) => `${a.gateway} ${a.outcome} ${a.errorClass} ${a.traceId}`), c.recovered, c.charges])).toEqual(want.chains);
    const doubles = await listDoubleCharges(store, params);
    expect(doubles.payments.map((p) => [p.orderId, p.charges, p.amount, p.currency, p.traceIds])).toEqual(want.doubles);
  });
});
