/**
 * Randomized data for error classes and money at stake: seeded payments of two scenarios (stripe
 * answering after the caller timed out, the retry charging again; a decline wave on stripe), in
 * separate hours of one store.
 * getImpact is compared with a plain-JS computation over the very same spans, and gateway health
 * with the seeder's ground truth.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../clickhouse/migrate';
import { classifyGatewayError, ErrorCodeTable, PROVIDER_SIDE_CLASSES, type ErrorClass } from '../analytics/error-taxonomy';
import { GatewayHostTable, gatewayOf, isTimeout } from '../analytics/gateways';
import { BUILTIN_FX_RATES, conversionFactor, convertedCents, parseAmount } from '../analytics/money';
import type { Store } from '../store/store';
import { openTempStore } from '../../test/helpers/store';
import type { SeedSpan } from '../../sim/seed/generate';
import type { GroundTruth } from '../../sim/seed/scenarios';
import { paymentStream, seedStore } from '../../sim/seed/seed';
import { getGatewayHealth } from './gateway-health';
import { getImpact, type ImpactResult } from './impact';
import { listDoubleCharges } from './retries';

const END = Date.parse('2025-04-10T12:00:00Z');
const HOURS = 6;
const SEEDED = { payments: 600, seed: 'impact', fromMs: END - HOURS * 3_600_000, toMs: END, scenario: 'double-charge' as const };
const WAVE_END = END - 8 * 3_600_000;
const SLA = { defaultSec: 300, byGateway: {} };
const fx = { table: BUILTIN_FX_RATES, currency: 'USD' };
const errorCodes = new ErrorCodeTable();
const hosts = new GatewayHostTable();

/** A seeded span as the queries see it: start in ns relative to the range start (order is all that matters), attributes as a map. */
interface Ref {
  start: number;
  dur: number;
  attrs: Record<string, string>;
  error: boolean;
}

let store: Store;
let cleanup: () => Promise<void>;
let spans: Ref[];
let waveTruth: GroundTruth;

function toRef(s: SeedSpan): Ref {
  const attrs: Record<string, string> = {};
  const flat = [...(s.context ?? []), ...s.attrs];
  for (let i = 0; i < flat.length; i += 2) attrs[flat[i]] = flat[i + 1];
  return { start: Math.round((s.startMs - SEEDED.fromMs) * 1e6), dur: Math.max(0, Math.round(s.durationMs * 1e6)), attrs, error: s.status === 'Error' };
}

beforeAll(async () => {
  ({ store, cleanup } = await openTempStore());
  await migrate(store, { retentionDays: 0 });
  await seedStore(store, { payments: SEEDED.payments, days: HOURS / 24, seed: SEEDED.seed, endMs: END, scenario: SEEDED.scenario, chunkSpans: 3000 });
  waveTruth = (await seedStore(store, { payments: 600, days: HOURS / 24, seed: 'wave', endMs: WAVE_END, scenario: 'decline-wave', truth: true, chunkSpans: 3000 })).truth!;
  const collected: SeedSpan[] = [];
  const stream = paymentStream(SEEDED);
  for (let i = 0; i < SEEDED.payments; i++) stream.next((s) => collected.push(s));
  spans = collected.map(toRef);
}, 120_000);
afterAll(async () => cleanup?.());

const money = () => ({ count: 0, amount: 0 });

/** The definition of lib/queries/impact.ts, order by order, in plain JS (amounts in cents until the end). */
function referenceImpact(range: { from: Date; to: Date }, filter: { channel?: string; gateway?: string }) {
  const lo = Math.round((range.from.getTime() - SEEDED.fromMs) * 1e6);
  const hi = Math.round((range.to.getTime() - SEEDED.fromMs) * 1e6);
  const orders = new Map<string, Ref[]>();
  for (const s of spans) {
    const id = s.attrs['payment.order_id'] ?? '';
    if (!s.attrs['payment.stage'] || !id || s.start < lo || s.start >= hi) continue;
    if (!orders.has(id)) orders.set(id, []);
    orders.get(id)!.push(s);
  }
  const r = {
    payments: money(), failed: money(), stuck: money(), inconsistent: money(),
    byClass: new Map<string, { count: number; amount: number }>(), byGateway: new Map<string, { failed: ReturnType<typeof money>; providerFailed: ReturnType<typeof money>; stuck: ReturnType<typeof money> }>(),
    withoutAmount: 0, unconverted: 0,
  };
  for (const list of orders.values()) {
    const rows = list.map((s) => {
      const stage = s.attrs['payment.stage'];
      const isRequest = stage === 'gateway.request';
      const isCallback = stage === 'gateway.callback';
      const gw = isRequest || isCallback ? gatewayOf(hosts, s.attrs['payment.gateway'] ?? '', (s.attrs['server.address'] ?? '').toLowerCase()) : '';
      const timedOut = isTimeout(s.attrs['error.type'] ?? '', s.attrs['payment.timeout'] ?? '');
      const failed = s.error || ['failed', 'cancelled'].includes(s.attrs['payment.outcome'] ?? '');
      const cls = classifyGatewayError({
        gateway: gw, errorCode: s.attrs['payment.error_code'] ?? '', isError: failed, timeoutFlag: s.attrs['payment.timeout'] ?? '',
        // Outside gateway stages only the code (and the timeout flag) count.
        errorType: isRequest || isCallback ? s.attrs['error.type'] ?? '' : '',
        httpStatus: isRequest || isCallback ? Number(s.attrs['http.response.status_code'] || s.attrs['http.status_code'] || 0) : 0,
      }, errorCodes);
      return {
        s, gw, isRequest, isCallback, isGatewayStage: isRequest || isCallback, accepted: !s.error || timedOut, failed,
        succeeded: (isRequest || isCallback) && s.attrs['payment.outcome'] === 'succeeded', hardFailure: failed && !(isRequest && timedOut), cls,
      };
    });
    const lastBy = <T,>(xs: T[], at: (x: T) => number) => xs.reduce<T | undefined>((a, x) => (a === undefined || at(x) > at(a) ? x : a), undefined);
    const channel = list.find((s) => s.attrs['payment.channel'])?.attrs['payment.channel'] ?? '';
    const gateway = lastBy(rows.filter((x) => x.isRequest && x.gw !== ''), (x) => x.s.start)?.gw ?? '';
    if (filter.channel !== undefined && channel !== filter.channel) continue;
    if (filter.gateway !== undefined && gateway !== filter.gateway) continue;

    const paidAt = Math.min(...rows.filter((x) => x.succeeded).map((x) => x.s.start));
    const inconsistent = Number.isFinite(paidAt) && rows.some((x) => x.failed && x.s.start > paidAt);
    const accepted = rows.filter((x) => x.isRequest && x.accepted);
    const waitingNs = hi - Math.max(...accepted.map((x) => x.s.start + x.s.dur));
    const stuck = accepted.length > 0 && !rows.some((x) => x.isCallback) && waitingNs > SLA.defaultSec * 1e9;
    const lastRequest = lastBy(rows.filter((x) => x.isRequest), (x) => x.s.start);
    const hard = rows.filter((x) => x.hardFailure);
    const outcome = inconsistent ? 'inconsistent' : Number.isFinite(paidAt) ? 'succeeded' : lastRequest?.hardFailure ? 'failed' : stuck ? 'stuck' : hard.length ? 'failed' : 'pending';

    const raw = list.find((s) => s.attrs['payment.amount'])?.attrs['payment.amount'] ?? '';
    const currency = (list.find((s) => s.attrs['payment.currency'])?.attrs['payment.currency'] ?? '').toUpperCase();
    const value = parseAmount(raw);
    const factor = conversionFactor(fx.table, currency, fx.currency);
    const cents = value !== null && factor !== undefined && currency !== '' ? convertedCents(value, factor) : 0;
    if (value === null) r.withoutAmount++;
    else if (factor === undefined || currency === '') r.unconverted++;
    const add = (m: { count: number; amount: number }) => ((m.count += 1), (m.amount += cents));
    add(r.payments);
    if (outcome === 'inconsistent') add(r.inconsistent);
    if (outcome !== 'stuck' && outcome !== 'failed') continue;
    if (gateway !== '' && !r.byGateway.has(gateway)) r.byGateway.set(gateway, { failed: money(), providerFailed: money(), stuck: money() });
    const g = r.byGateway.get(gateway) ?? { failed: money(), providerFailed: money(), stuck: money() };
    if (outcome === 'stuck') {
      add(r.stuck);
      add(g.stuck);
      continue;
    }
    const classed = lastBy(hard.filter((x) => x.isGatewayStage), (x) => x.s.start) ?? lastBy(hard, (x) => x.s.start);
    const cls = (classed?.cls || 'unknown') as ErrorClass;
    add(r.failed);
    if (!r.byClass.has(cls)) r.byClass.set(cls, money());
    add(r.byClass.get(cls)!);
    add(g.failed);
    if (PROVIDER_SIDE_CLASSES.includes(cls)) add(g.providerFailed);
  }
  return r;
}

const FULL = { from: new Date(SEEDED.fromMs), to: new Date(SEEDED.toMs + 3_600_000) };
const PART = { from: new Date(END - 3 * 3_600_000), to: new Date(END - 1_800_000) };
const units = (m: { count: number; amount: number }) => ({ count: m.count, amount: m.amount / 100 });

describe.each([['the whole range', FULL], ['part of it', PART]])('over %s', (_, range) => {
  it.each([{}, { channel: 'card' }, { gateway: 'stripe' }, { gateway: 'adyen' }])('getImpact %j equals the definition computed in JS', async (filter) => {
    const want = referenceImpact(range, filter);
    const got: ImpactResult = await getImpact(store, { ...range, ...filter, sla: SLA, errorCodes, fx });
    expect(got.payments).toEqual(units(want.payments));
    expect(got.failed.count).toBe(want.failed.count);
    expect(got.failed.amount).toBe(want.failed.amount / 100);
    for (const [cls, m] of Object.entries(got.failed.byClass)) expect(m, cls).toEqual(units(want.byClass.get(cls) ?? money()));
    expect(got.stuck).toEqual(units(want.stuck));
    expect(got.inconsistent).toEqual(units(want.inconsistent));
    expect(Object.fromEntries(got.byGateway.map((g) => [g.gateway, g]))).toEqual(
      Object.fromEntries([...want.byGateway].map(([gateway, g]) => [gateway, { gateway, failed: units(g.failed), providerFailed: units(g.providerFailed), stuck: units(g.stuck) }])),
    );
    expect([got.withoutAmount, got.unconverted.count]).toEqual([want.withoutAmount, want.unconverted]);
    // doubleCharged is the retries analysis (lib/queries/retries.test.ts checks it) summed: (charges − 1) × amount.
    const doubles = (await listDoubleCharges(store, { ...range, channel: filter.channel, limit: 100_000 })).payments.filter((d) => filter.gateway === undefined || d.gateways.includes(filter.gateway));
    expect(got.doubleCharged.count).toBe(doubles.length);
    expect(got.doubleCharged.amount).toBe(doubles.reduce((n, d) => n + (d.charges - 1) * convertedCents(parseAmount(d.amount)!, conversionFactor(fx.table, d.currency, 'USD')!), 0) / 100);
    // The sample exercises the outcomes the fixture of impact.test.ts draws by hand.
    if (range === FULL && !filter.gateway && !filter.channel) {
      expect([want.failed.count, want.stuck.count, want.inconsistent.count, got.doubleCharged.count]).not.toContain(0);
      expect(new Set(want.byClass.keys())).toEqual(new Set(['decline', 'fraud', 'invalid_request', 'provider_error', 'unknown']));
    }
  });
});

describe('the seeder ground truth, as gateway health sees it', () => {
  it('failed calls per class are exactly the seeder\'s, per gateway', async () => {
    const { gateways } = await getGatewayHealth(store, { from: new Date(waveTruth.from), to: new Date(waveTruth.to) });
    for (const g of gateways) {
      const truth = waveTruth.gatewayErrors[g.gateway] ?? {};
      expect(Object.fromEntries(Object.entries(g.errorClasses).filter(([, n]) => n > 0)), g.gateway).toEqual(truth);
    }
  });

  it('the decline wave on stripe is no outage: stripe stays healthy while its declines rise', async () => {
    const window = { from: new Date(waveTruth.window.from), to: new Date(waveTruth.window.to) };
    const { gateways } = await getGatewayHealth(store, window);
    const stripe = gateways.find((g) => g.gateway === waveTruth.target.gateway)!;
    const others = gateways.filter((g) => g !== stripe);
    expect(stripe.declineRate).toBeGreaterThan(Math.max(...others.map((g) => g.declineRate)));
    expect(stripe.errorRate).toBeGreaterThan(0.25);
    expect(stripe.health).toBe('healthy');
  });
});
