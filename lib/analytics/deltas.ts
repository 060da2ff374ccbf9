/**
 * What is different about the payments of a cohort (failed, slow, stuck) compared with the rest:
 * for each attribute value, the share of cohort payments that carry it against the share of the
 * other payments, ranked so that a value only a handful of payments carry cannot come first.
 *
 * Ranking: the lower 95 % confidence bound of the log ratio of the two shares (Katz's interval for
 * a risk ratio), with half a payment added to each count so a value absent on one side still has
 * a finite ratio:
 *
 *   a = cohort payments with the value + ½     n = cohort payments + 1
 *   b = other payments with the value + ½      m = other payments + 1
 *   score = ln((a/n) / (b/m)) − 1.96 · √(1/a − 1/n + 1/b − 1/m)
 *
 * A value seen on 1 of 200 failed payments and on none of 1000 others has a ratio of about 15 but
 * an interval wide enough that its bound is below 0; one seen on 100 of 200 failed and on 100 of
 * 1000 others (ratio 5) has a bound of about 1.4 and comes first.
 */

/** Z of a one-sided 97.5 % bound (the lower end of a two-sided 95 % interval). */
const Z = 1.96;

export interface DeltaCounts {
  key: string;
  value: string;
  /** Cohort payments that carry the value. */
  cohort: number;
  /** Other payments that carry it. */
  baseline: number;
}

export interface RankedDelta {
  key: string;
  value: string;
  cohortShare: number;
  baselineShare: number;
  cohortCount: number;
  baselineCount: number;
  /** cohortShare / baselineShare with the half-payment correction. */
  lift: number;
  /** The ranking: lower confidence bound of ln(lift); above 0 means over-represented beyond chance. */
  score: number;
}

/** The ranking score of one value (see the formula above). */
export function deltaScore(cohort: number, cohortN: number, baseline: number, baselineN: number): { lift: number; score: number } {
  const a = cohort + 0.5;
  const n = cohortN + 1;
  const b = baseline + 0.5;
  const m = baselineN + 1;
  const logLift = Math.log(a / n) - Math.log(b / m);
  const se = Math.sqrt(Math.max(0, 1 / a - 1 / n + 1 / b - 1 / m));
  return { lift: Math.exp(logLift), score: logLift - Z * se };
}

/**
 * The over-represented values (a larger share of the cohort than of the others), most first by the
 * score (ties: more cohort payments, then key and value). Values as common among the others say
 * nothing about the cohort: left out, however sure.
 */
export function rankDeltas(rows: readonly DeltaCounts[], cohortN: number, baselineN: number): RankedDelta[] {
  return rows
    .filter((r) => r.cohort > 0 && r.cohort * Math.max(1, baselineN) > r.baseline * Math.max(1, cohortN))
    .map((r) => ({
      key: r.key,
      value: r.value,
      cohortShare: cohortN ? r.cohort / cohortN : 0,
      baselineShare: baselineN ? r.baseline / baselineN : 0,
      cohortCount: r.cohort,
      baselineCount: r.baseline,
      ...deltaScore(r.cohort, cohortN, r.baseline, baselineN),
    }))
    .sort((x, y) => y.score - x.score || y.cohortCount - x.cohortCount || (x.key + '\u0000' + x.value < y.key + '\u0000' + y.value ? -1 : 1));
}

/**
 * Attributes never compared: those that identify one payment, span or request (ids, raw amounts,
 * URLs and statements that carry ids, timestamps) and those that restate the cohort (outcome,
 * status, error code and class, stage, timeout, exception). Keys ending in `id`/`_id`/`.id`/`uuid`
 * are left out by `DELTA_EXCLUDED_KEY_PATTERN`.
 */
export const DELTA_EXCLUDED_KEYS: readonly string[] = [
  // identify one payment or request
  'payment.order_id', 'payment.amount', 'payment.tx.id', 'payment.provider_ref', 'url.full', 'http.url', 'url.path', 'url.query', 'http.target',
  'db.statement', 'db.query.text', 'messaging.message.id', 'process.pid', 'thread.id', 'code.lineno', 'net.sock.peer.port', 'client.port',
  'server.port', 'network.peer.port', 'exception.stacktrace', 'exception.message',
  // restate the cohort
  'payment.outcome', 'payment.error_code', 'payment.error_class', 'payment.stage', 'payment.timeout', 'payment.callback.duplicate',
  // a cancel or compensate runs because the payment failed
  'payment.tx.phase',
  'error.type', 'exception.type', 'http.response.status_code', 'http.status_code', 'otel.status_code', 'otel.status_description',
  'rpc.grpc.status_code',
];

/** Key shapes that identify one thing (…id, …_id, ….id, …uuid). */
export const DELTA_EXCLUDED_KEY_PATTERN = '(^|[._])(id|uuid)$';
const EXCLUDED = new Set(DELTA_EXCLUDED_KEYS);
const EXCLUDED_RE = new RegExp(DELTA_EXCLUDED_KEY_PATTERN, 'i');

export function isComparedKey(key: string): boolean {
  return !EXCLUDED.has(key) && !EXCLUDED_RE.test(key);
}

/** The attribute the amount band is reported under (payment.amount itself identifies a payment). */
export const AMOUNT_BAND_KEY = 'payment.amount_band';

/** Upper bounds of the amount bands, in the payment's own currency; above the last: `≥ last`. */
export const AMOUNT_BAND_BOUNDS: readonly number[] = [10, 50, 100, 500, 1000, 5000];

/** The label of each band, in order: `< 10`, `10–50`, …, `≥ 5000`. */
export function amountBandLabels(): string[] {
  const b = AMOUNT_BAND_BOUNDS;
  return [`< ${b[0]}`, ...b.slice(1).map((hi, i) => `${b[i]}–${hi}`), `≥ ${b[b.length - 1]}`];
}

/** What counts as an amount: a plain decimal (the instrumentation sends `payment.amount` so). */
export const AMOUNT_PATTERN = '^[0-9]+(\\.[0-9]+)?$';
const AMOUNT_RE = new RegExp(AMOUNT_PATTERN);

/** `payment.amount` as a band with its currency (`100–500 USD`); '' when the amount is not a plain decimal. */
export function amountBand(amount: string, currency: string): string {
  if (!AMOUNT_RE.test(amount)) return '';
  const v = Number(amount);
  const i = AMOUNT_BAND_BOUNDS.findIndex((hi) => v < hi);
  const label = amountBandLabels()[i < 0 ? AMOUNT_BAND_BOUNDS.length : i];
  return currency ? `${label} ${currency}` : label;
}
