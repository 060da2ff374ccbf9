import { CHANNELS, type Channel } from '../model/catalog';
import { CHANNEL_SHARES, newPayment } from '../model/payment';
import { post } from './http';
import { exponentialMs, random } from './random';

/**
 * Shoppers paying: checkout requests at `rate` payments per second (Poisson arrivals), through the
 * flow model's channel mix (or `mix`), amounts and currencies (sim/model/payment.ts `newPayment`).
 */

export interface TrafficOptions {
  /** Payments per second. 0 pauses. */
  rate: number;
  /** The checkout service's port on 127.0.0.1. */
  checkoutPort: number;
  /** Channel weights, e.g. `{ card: 1 }` for card only. @default the shares of sim/model/catalog.ts */
  mix?: Partial<Record<Channel, number>>;
  /** Requests in flight beyond which new payments are skipped (counted as shed). @default 256 */
  maxInFlight?: number;
  onPayment?: (payment: TrafficPayment) => void;
}

export interface TrafficPayment {
  orderId: string;
  channel: Channel;
  gateway: string;
  amount: string;
  currency: string;
  /** The checkout API's status; 0 when the request itself failed. */
  status: number;
  /** Epoch ms the checkout request started. */
  startedAt: number;
  ms: number;
}

export interface TrafficStats {
  rate: number;
  started: number;
  completed: number;
  inFlight: number;
  shed: number;
  byStatus: Record<string, number>;
}

const SKUS = ['sku-tea-01', 'sku-mug-02', 'sku-book-03', 'sku-lamp-04', 'sku-shoe-05', 'sku-bag-06'];

export class TrafficGenerator {
  private rate: number;
  private weights: number[];
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly counts: TrafficStats;

  constructor(private readonly options: TrafficOptions) {
    this.rate = options.rate;
    this.weights = weightsFor(options.mix);
    this.counts = { rate: this.rate, started: 0, completed: 0, inFlight: 0, shed: 0, byStatus: {} };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule();
  }

  setRate(rate: number): void {
    if (!(rate >= 0) || !Number.isFinite(rate)) throw new Error('rate must be a number >= 0');
    this.rate = rate;
    this.counts.rate = rate;
    if (this.running) {
      clearTimeout(this.timer);
      this.schedule();
    }
  }

  setMix(mix: Partial<Record<Channel, number>> | undefined): void {
    this.weights = weightsFor(mix);
  }

  stats(): TrafficStats {
    return { ...this.counts, inFlight: this.inFlight.size, byStatus: { ...this.counts.byStatus } };
  }

  /** Stops starting payments and waits (at most `waitMs`) for those in flight. */
  async stop(waitMs = 10_000): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    const bound = new Promise<void>((resolve) => setTimeout(resolve, waitMs).unref());
    await Promise.race([Promise.allSettled([...this.inFlight]), bound]);
  }

  private schedule(): void {
    if (!this.running) return;
    const delay = this.rate > 0 ? exponentialMs(this.rate) : 500;
    this.timer = setTimeout(() => {
      if (this.rate > 0) this.fire();
      this.schedule();
    }, delay);
  }

  private fire(): void {
    if (this.inFlight.size >= (this.options.maxInFlight ?? 256)) {
      this.counts.shed++;
      return;
    }
    this.counts.started++;
    const p = this.pay().finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  private async pay(): Promise<void> {
    const { channel: profile, currency, amount, country, appVersion, card } = newPayment(random, this.weights);
    const body = {
      channel: profile.channel,
      amount,
      currency,
      country,
      appVersion,
      card,
      userId: `user_${Math.floor(Math.random() * 5000)}`,
      sku: random.pick(SKUS),
      quantity: 1 + Math.floor(Math.random() * 3),
    };
    const started = Date.now();
    let status = 0;
    let orderId = '';
    try {
      const res = await post({ host: '127.0.0.1', port: this.options.checkoutPort, path: '/api/checkout', body: JSON.stringify(body), contentType: 'application/json', timeoutMs: 120_000 });
      status = res.status;
      orderId = typeof res.body.orderId === 'string' ? res.body.orderId : '';
    } catch {
      status = 0;
    }
    this.counts.completed++;
    this.counts.byStatus[status] = (this.counts.byStatus[status] ?? 0) + 1;
    this.options.onPayment?.({ orderId, channel: profile.channel, gateway: profile.gateway, amount, currency, status, startedAt: started, ms: Date.now() - started });
  }
}

function weightsFor(mix: Partial<Record<Channel, number>> | undefined): number[] {
  if (mix === undefined) return [...CHANNEL_SHARES];
  const weights = CHANNELS.map((c) => mix[c.channel] ?? 0);
  if (!weights.some((w) => w > 0)) throw new Error(`mix needs a positive weight for one of ${CHANNELS.map((c) => c.channel).join(', ')}`);
  return weights;
}
