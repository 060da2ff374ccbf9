/**
 * Randomized payments with skewed attributes (one issuer failing far more often, one pod slower,
 * one app version stuck more), identifying and cohort-restating attributes among them, payments
 * either side of the range: getDeltas for each cohort against a plain-JS computation over the same
 * payments, kept as objects when they were generated (whole, and sampled).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../clickhouse/migrate';
import { AMOUNT_BAND_KEY, amountBand, isComparedKey, rankDeltas, type DeltaCounts } from '../analytics/deltas';
import type { Store } from '../store/store';
import { insertFixture, traceIdOf, type FixtureSpan } from '../../test/helpers/fixtures';
import { openTempStore } from '../../test/helpers/store';
import { Rng } from '../../sim/seed/random';
import { getDeltas, traceIdSliceBound, type DeltaCohort } from './deltas';

const T0 = Date.parse('2025-08-01T00:00:00Z');
const FROM = T0 + 3_600_000;
const TO = FROM + 3 * 3_600_000;
const WINDOW = 3_600_000;
const SLA_SEC = 300;
const ISSUERS = ['Chase', 'HSBC', 'Barclays', 'Revolut', 'MUFG', 'Skew Bank'];

interface Payment {
  orderId: string;
  trace: string;
  t0: number;
  kind: 'failed' | 'stuck' | 'ok' | 'late';
  e2e: number;
  spans: FixtureSpan[];
}

function generate(n: number): Payment[] {
  const rng = new Rng('deltas-reference');
  const pick = <T>(xs: readonly T[]) => xs[rng.int(xs.length)];
  const out: Payment[] = [];
  for (let i = 0; i < n; i++) {
    const orderId = `d${i}`;
    const trace = `dt${i}`;
    const t0 = Math.round(FROM - 20 * 60_000 + rng.next() * (TO - FROM + 30 * 60_000));
    const issuer = pick(ISSUERS);
    const version = pick(['5.2.0', '5.1.3', '4.9.8']);
    const pod = `pod-${rng.int(4)}`;
    const channel = pick(['card', 'alipay']);
    const gateway = channel === 'card' ? 'stripe' : 'alipay';
    const failP = issuer === 'Skew Bank' ? 0.6 : 0.1;
    const kind = rng.chance(failP) ? 'failed' : rng.chance(version === '4.9.8' ? 0.3 : 0.05) ? 'stuck' : rng.chance(0.05) ? 'late' : 'ok';
    const e2e = Math.round(pod === 'pod-3' ? 3000 + rng.int(4000) : 300 + rng.int(1500));
    const base: Record<string, string> = {
      'payment.order_id': orderId, 'payment.channel': channel, 'payment.amount': (rng.int(200_000) / 100).toFixed(2), 'payment.currency': pick(['USD', 'EUR']),
    };
    const resource = { 'host.name': pod, 'service.version': '1.0' };
    const spans: FixtureSpan[] = [{
      trace, id: `${trace}-r`, service: 'checkout', name: 'POST /checkout', start: t0 - T0, dur: 30, resource,
      attrs: { ...base, 'payment.stage': 'order.create', 'payment.card.issuer': issuer, 'app.version': version, 'user.id': `u${rng.int(1000)}`, 'payment.country': pick(['US', 'GB', 'DE']) },
    }];
    if (kind === 'failed') {
      spans.push({ trace, id: `${trace}-s`, parent: `${trace}-r`, service: 'payment', name: 'POST /payments', start: t0 - T0 + 5, dur: 20, status: 'Error', resource,
        attrs: { ...base, 'payment.stage': 'payment.submit', 'payment.outcome': 'failed', 'payment.error_code': pick(['do_not_honor', 'NOTENOUGH']), 'error.type': '402' } });
    } else {
      spans.push(
        { trace, id: `${trace}-s`, parent: `${trace}-r`, service: 'payment', name: 'POST /payments', start: t0 - T0 + 5, dur: 40, resource, attrs: { ...base, 'payment.stage': 'payment.submit' } },
        { trace, id: `${trace}-g`, parent: `${trace}-s`, service: 'adapter', name: 'POST', kind: 'Client', start: t0 - T0 + 10, dur: 20, resource,
          attrs: { ...base, 'payment.stage': 'gateway.request', 'payment.gateway': gateway, 'payment.outcome': 'pending', 'payment.card.brand': pick(['visa', 'amex']) } },
      );
      if (kind !== 'stuck') {
        // `late`: the confirm comes after the funnel window: neither succeeded nor failed.
        const end = kind === 'late' ? t0 + WINDOW + 60_000 : t0 + e2e;
        spans.push(
          { trace: `${trace}-cb`, id: `${trace}-c`, service: 'payment', name: 'POST /callbacks/:gateway', start: end - T0 - 30, dur: 25, attrs: { ...base, 'payment.stage': 'gateway.callback', 'payment.gateway': gateway, 'payment.outcome': 'succeeded' } },
          { trace: `${trace}-cb`, id: `${trace}-o`, parent: `${trace}-c`, service: 'order', name: 'POST /orders/:id/confirm', start: end - T0 - 10, dur: 10, attrs: { ...base, 'payment.stage': 'order.confirm', 'payment.outcome': 'succeeded' } },
        );
      }
    }
    out.push({ orderId, trace, t0, kind, e2e, spans });
  }
  return out;
}

const PAYMENTS = generate(500);
const inScan = (s: FixtureSpan) => T0 + s.start >= FROM && T0 + s.start < TO + WINDOW;

/** The plain-JS answer: lib/queries/deltas.ts's rules over the generated payments. */
function reference(cohort: DeltaCohort, opts: { slowMs?: number; samplePerSide?: number; channel?: string; maxSlicePayments?: number } = {}) {
  const entered = PAYMENTS.filter((p) => p.t0 >= FROM && p.t0 < TO && (opts.channel === undefined || p.spans[0].attrs!['payment.channel'] === opts.channel));
  const facts = entered.map((p) => {
    const spans = p.spans.filter(inScan);
    const confirm = spans.find((s) => s.attrs!['payment.stage'] === 'order.confirm');
    const okEnd = confirm && T0 + confirm.start <= p.t0 + WINDOW ? T0 + confirm.start + confirm.dur : 0;
    const failure = spans.some((s) => s.status === 'Error' || ['failed', 'cancelled'].includes(s.attrs!['payment.outcome'] ?? ''));
    const request = spans.find((s) => s.attrs!['payment.stage'] === 'gateway.request' && T0 + s.start < TO);
    const callbacks = spans.filter((s) => s.attrs!['payment.stage'] === 'gateway.callback' && T0 + s.start < TO).length;
    const stuck = !!request && callbacks === 0 && TO - (T0 + request.start + request.dur) > SLA_SEC * 1000;
    return { p, okEnd, failure, stuck };
  });
  const e2es = facts.filter((f) => f.okEnd > 0).map((f) => f.okEnd - f.p.t0).sort((a, b) => a - b);
  const slowMs = opts.slowMs ?? e2es[Math.floor(0.9 * e2es.length)];
  const inCohort = (f: (typeof facts)[number]) =>
    cohort === 'failed' ? f.okEnd === 0 && f.failure : cohort === 'slow' ? f.okEnd > 0 && f.okEnd - f.p.t0 >= slowMs : f.stuck;
  const inBaseline = (f: (typeof facts)[number]) =>
    cohort === 'failed' ? !(f.okEnd === 0 && f.failure) : cohort === 'slow' ? f.okEnd > 0 && f.okEnd - f.p.t0 < slowMs : !f.stuck;
  const k = opts.samplePerSide ?? 500;
  const bound = traceIdSliceBound((opts.maxSlicePayments ?? 1000) / facts.length);
  const sample = (xs: typeof facts) => xs.map((f) => f.p).sort((a, b) => (traceIdOf(a.trace) < traceIdOf(b.trace) ? -1 : 1)).slice(0, k)
    .filter((p) => bound === '' || traceIdOf(p.trace) < bound);
  const cohortPs = sample(facts.filter(inCohort));
  const baselinePs = sample(facts.filter(inBaseline));
  const counts = new Map<string, DeltaCounts>();
  for (const [side, ps] of [['cohort', cohortPs], ['baseline', baselinePs]] as const) {
    for (const p of ps) {
      const seen = new Set<string>();
      for (const s of p.spans.filter((x) => x.trace === p.trace && T0 + x.start >= FROM && T0 + x.start < TO + 600_000)) {
        const kv: [string, string][] = [...Object.entries(s.attrs ?? {}), ...Object.entries({ ...s.resource, 'service.name': s.service })];
        kv.push([AMOUNT_BAND_KEY, amountBand(s.attrs?.['payment.amount'] ?? '', s.attrs?.['payment.currency'] ?? '')]);
        for (const [key, value] of kv) if (value !== '' && isComparedKey(key)) seen.add(JSON.stringify([key, value]));
      }
      for (const id of seen) {
        const [key, value] = JSON.parse(id) as [string, string];
        const c = counts.get(id) ?? { key, value, cohort: 0, baseline: 0 };
        c[side]++;
        counts.set(id, c);
      }
    }
  }
  // At most 20 values per key, the most frequent in the cohort (as the query cuts them).
  const byKey = new Map<string, DeltaCounts[]>();
  for (const c of counts.values()) byKey.set(c.key, [...(byKey.get(c.key) ?? []), c]);
  const kept = [...byKey.values()].flatMap((cs) => cs.sort((a, b) => b.cohort - a.cohort || b.baseline - a.baseline || (a.value < b.value ? -1 : 1)).slice(0, 20));
  return {
    cohort: { count: facts.filter(inCohort).length, sampled: cohortPs.length },
    baseline: { count: facts.filter(inBaseline).length, sampled: baselinePs.length },
    slowMs: cohort === 'slow' ? slowMs : null,
    attributes: cohortPs.length ? rankDeltas(kept, cohortPs.length, baselinePs.length).slice(0, 30) : [],
  };
}

let store: Store;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ store, cleanup } = await openTempStore());
  await migrate(store, { retentionDays: 0 });
  await insertFixture(store, PAYMENTS.flatMap((p) => p.spans), T0);
});
afterAll(async () => cleanup?.());

const range = { from: new Date(FROM), to: new Date(TO), sla: { defaultSec: SLA_SEC, byGateway: {} } };

describe('deltas against the plain-JS reference', () => {
  it.each([
    ['failed', {}, 'Skew Bank'],
    ['slow', {}, 'pod-3'],
    ['slow', { slowMs: 2500 }, 'pod-3'],
    ['stuck', {}, '4.9.8'],
    ['failed', { channel: 'card' }, 'Skew Bank'],
    ['failed', { samplePerSide: 40 }, undefined],
    ['failed', { maxSlicePayments: 100 }, undefined],
  ] as const)('%s %j', async (cohort, opts, top) => {
    const want = reference(cohort, opts);
    const got = await getDeltas(store, { ...range, cohort, ...opts });
    expect(got.cohort).toEqual(want.cohort);
    expect(got.baseline).toEqual(want.baseline);
    expect(got.slowMs).toBe(want.slowMs);
    expect(got.attributes.map((a) => [a.key, a.value, a.cohortCount, a.baselineCount])).toEqual(want.attributes.map((a) => [a.key, a.value, a.cohortCount, a.baselineCount]));
    for (const [i, a] of got.attributes.entries()) expect(a.score).toBeCloseTo(want.attributes[i].score, 9);
    // The skew the data was drawn with comes first.
    if (top) expect(got.attributes[0].value).toBe(top);
    expect(got.attributes.some((a) => a.key === 'user.id' || a.key === 'payment.order_id' || a.key === 'payment.outcome')).toBe(false);
  });
});
