/**
 * How fast the store takes bytes: a moving average over recent inserts, for admission's time bound.
 * Only batches of a size that forms under load tell the rate: a small insert is mostly its fixed
 * cost, and a rate taken from it would refuse the first large request after a quiet spell.
 */
const SAMPLE_MIN_BYTES = 1 << 20;

export class StoreRate {
  private perMs = 0;

  /** Records an insert of `bytes` that took `ms`. */
  sample(bytes: number, ms: number): void {
    if (bytes < SAMPLE_MIN_BYTES) return;
    const r = bytes / Math.max(1, ms);
    this.perMs = this.perMs === 0 ? r : 0.7 * this.perMs + 0.3 * r;
  }

  /** Bytes per millisecond; 0 before the first insert large enough to tell. */
  get bytesPerMs(): number {
    return this.perMs;
  }
}
