import { z } from 'zod';

/**
 * Money at stake in one reporting currency. Amounts come from `payment.amount` (major units, a
 * decimal string or number) and `payment.currency` (ISO 4217); each is converted with a rate table
 * that carries the date its rates are from:
 *
 *   amount in reporting currency = amount × rates[currency] / rates[reporting]
 *
 * where `rates[c]` is the value of one unit of `c` in the table's `base`. A currency missing from
 * the table is not guessed: the payment is still counted, its amount is left out and reported as
 * unconverted.
 */

export interface FxRateTable {
  /** The day the rates are from (YYYY-MM-DD), shown beside every converted figure. */
  asOf: string;
  /** The currency rates are expressed in. */
  base: string;
  /** Value of one unit of each currency in `base` (the base itself is 1). */
  rates: Record<string, number>;
}

/**
 * Built-in table: indicative mid-market rates of major currencies in USD, rounded, as of the date
 * given. Not a feed: replace it with your own rates (PAYSCOPE_FX_RATES / PAYSCOPE_FX_RATES_FILE).
 */
export const BUILTIN_FX_RATES: FxRateTable = Object.freeze({
  asOf: '2026-12-01',
  base: 'USD',
  rates: Object.freeze({
    USD: 1, EUR: 1.08, GBP: 1.27, JPY: 0.0067, CNY: 0.138, HKD: 0.128, SGD: 0.74, AUD: 0.65, CAD: 0.72, CHF: 1.12,
    SEK: 0.094, NOK: 0.091, DKK: 0.145, PLN: 0.25, CZK: 0.043, HUF: 0.0027, INR: 0.012, IDR: 0.000063, KRW: 0.00072,
    THB: 0.029, MYR: 0.22, PHP: 0.017, VND: 0.000039, TWD: 0.031, NZD: 0.59, MXN: 0.055, BRL: 0.18, ARS: 0.001,
    CLP: 0.00105, COP: 0.00025, ZAR: 0.055, TRY: 0.029, AED: 0.2723, SAR: 0.2667, ILS: 0.27, RUB: 0.011,
  }) as Record<string, number>,
}) as FxRateTable;

const CURRENCY = /^[A-Z]{3}$/;

const tableSchema = z.object({
  asOf: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'asOf must be a date YYYY-MM-DD'),
  base: z.string().regex(CURRENCY, 'base must be an ISO 4217 code like USD'),
  rates: z.record(z.string().regex(CURRENCY, 'currency must be an ISO 4217 code like EUR'), z.number().positive().finite()),
});

/**
 * A rate table from JSON `{"asOf": "2026-12-01", "base": "USD", "rates": {"EUR": 1.08, ...}}`
 * (replaces the built-in one). Throws one message naming `what` and the first bad entry.
 */
export function parseFxRates(json: string, what = 'PAYSCOPE_FX_RATES'): FxRateTable {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (e) {
    throw new Error(`${what}: not JSON (${(e as Error).message})`);
  }
  const parsed = tableSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${what}: expected {"asOf": "YYYY-MM-DD", "base": "USD", "rates": {"EUR": 1.08}}; at ${JSON.stringify(issue.path.join('.'))}: ${issue.message}`);
  }
  const t = parsed.data;
  return { asOf: t.asOf, base: t.base, rates: { ...t.rates, [t.base]: 1 } };
}

/** Multiplier from `currency` to `reporting` (1 unit of currency = factor units of reporting); undefined when either is unknown. */
export function conversionFactor(table: FxRateTable, currency: string, reporting: string): number | undefined {
  const from = table.rates[currency.toUpperCase()];
  const to = table.rates[reporting.toUpperCase()];
  return from === undefined || to === undefined ? undefined : from / to;
}

/**
 * `payment.amount` as a number of major units; null when absent or not a plain non-negative decimal
 * (`12`, `12.50`; no sign, exponent or spaces: the query applies the same pattern).
 */
export function parseAmount(raw: string): number | null {
  if (!/^[0-9]+([.][0-9]+)?$/.test(raw)) return null;
  const n = Number(raw);
  return Number.isFinite(n) ? n : null;
}

/** A count of payments and their converted amount. */
export interface Money {
  count: number;
  amount: number;
}

/** Currencies seen without a rate: their payments are counted, their amounts left out. */
export interface Unconverted {
  count: number;
  currencies: string[];
}

/** Rounded to the reporting currency's cents, so sums print without float noise. */
export function roundMoney(amount: number): number {
  return Math.round(amount * 100) / 100;
}

/**
 * One payment's amount converted, in whole cents of the reporting currency. The query computes the
 * same IEEE operations per payment (lib/queries/impact.ts), so sums of cents agree exactly.
 */
export function convertedCents(value: number, factor: number): number {
  return Math.floor(value * factor * 100 + 0.5);
}

/** The rate table as parallel arrays for SQL: currency codes and their factor to `reporting`. */
export function conversionArrays(table: FxRateTable, reporting: string): { currencies: string[]; factors: number[] } {
  const currencies = Object.keys(table.rates).sort();
  return { currencies, factors: currencies.map((c) => conversionFactor(table, c, reporting)!) };
}
