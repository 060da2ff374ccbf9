import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config';
import { BUILTIN_FX_RATES, conversionArrays, conversionFactor, convertedCents, parseAmount, parseFxRates } from './money';

describe('conversion', () => {
  it.each([
    ['USD', 'USD', 1],
    ['EUR', 'USD', 1.08],
    ['usd', 'EUR', 1 / 1.08],
    ['CNY', 'EUR', 0.138 / 1.08],
    ['XYZ', 'USD', undefined],
    ['USD', 'XYZ', undefined],
  ])('%s → %s', (from, to, want) => {
    expect(conversionFactor(BUILTIN_FX_RATES, from, to)).toBe(want);
  });

  it('rounds each payment to whole cents, half up', () => {
    expect(convertedCents(50, 1.08)).toBe(5400); // 54.00000000000001
    expect(convertedCents(0.125, 1)).toBe(13);
    expect(convertedCents(200, 0.138)).toBe(2760);
  });

  it.each([
    ['12', 12], ['12.50', 12.5], ['0', 0], ['', null], ['-5', null], ['1e3', null], [' 12', null], ['12.', null], ['abc', null],
  ])('amount %j → %j', (raw, want) => expect(parseAmount(raw)).toBe(want));

  it('the SQL arrays carry every currency with its factor to the reporting one', () => {
    const { currencies, factors } = conversionArrays(BUILTIN_FX_RATES, 'EUR');
    expect(currencies).toEqual(Object.keys(BUILTIN_FX_RATES.rates).sort());
    expect(factors[currencies.indexOf('EUR')]).toBe(1);
    expect(factors[currencies.indexOf('USD')]).toBe(1 / 1.08);
  });
});

describe('rate table configuration', () => {
  it('replaces the built-in table; the base is 1', () => {
    expect(parseFxRates('{"asOf": "2026-01-15", "base": "EUR", "rates": {"USD": 0.92}}')).toEqual({ asOf: '2026-01-15', base: 'EUR', rates: { USD: 0.92, EUR: 1 } });
  });

  it.each([
    ['not json', /PAYSCOPE_FX_RATES: not JSON/],
    ['{"base": "USD", "rates": {}}', /at "asOf"/],
    ['{"asOf": "yesterday", "base": "USD", "rates": {}}', /asOf must be a date/],
    ['{"asOf": "2026-01-15", "base": "usd", "rates": {}}', /base must be an ISO 4217 code/],
    ['{"asOf": "2026-01-15", "base": "USD", "rates": {"EURO": 1.1}}', /at "rates\.EURO"/],
    ['{"asOf": "2026-01-15", "base": "USD", "rates": {"EUR": -1}}', /at "rates\.EUR"/],
    ['{"asOf": "2026-01-15", "base": "USD", "rates": {"EUR": "1.1"}}', /at "rates\.EUR"/],
  ])('refuses %j with a clear message', (json, message) => {
    expect(() => parseFxRates(json)).toThrow(message);
  });

  it('loadConfig: reporting currency, rates inline or from a file, and clear errors', () => {
    expect(loadConfig({})).toMatchObject({ reportingCurrency: 'USD', fxRates: BUILTIN_FX_RATES, errorClasses: [] });
    expect(loadConfig({ PAYSCOPE_REPORTING_CURRENCY: 'eur' }).reportingCurrency).toBe('EUR');
    expect(() => loadConfig({ PAYSCOPE_REPORTING_CURRENCY: 'XYZ' })).toThrow(/PAYSCOPE_REPORTING_CURRENCY: no exchange rate for "XYZ"/);
    const rates = '{"asOf": "2026-02-01", "base": "CHF", "rates": {"USD": 0.9}}';
    expect(loadConfig({ PAYSCOPE_FX_RATES: rates, PAYSCOPE_REPORTING_CURRENCY: 'CHF' }).fxRates.asOf).toBe('2026-02-01');
    // The built-in table is replaced, not merged: EUR is gone.
    expect(() => loadConfig({ PAYSCOPE_FX_RATES: rates, PAYSCOPE_REPORTING_CURRENCY: 'EUR' })).toThrow(/no exchange rate for "EUR"/);

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'payscope-fx-'));
    try {
      const file = path.join(dir, 'rates.json');
      fs.writeFileSync(file, rates);
      expect(loadConfig({ PAYSCOPE_FX_RATES_FILE: file, PAYSCOPE_REPORTING_CURRENCY: 'USD' }).fxRates.base).toBe('CHF');
      fs.writeFileSync(file, '{"asOf": 1}');
      expect(() => loadConfig({ PAYSCOPE_FX_RATES_FILE: file })).toThrow(/PAYSCOPE_FX_RATES_FILE \(.*rates\.json\): expected/);
      expect(() => loadConfig({ PAYSCOPE_FX_RATES_FILE: path.join(dir, 'missing.json') })).toThrow(/PAYSCOPE_FX_RATES_FILE: cannot read/);
      expect(() => loadConfig({ PAYSCOPE_FX_RATES_FILE: file, PAYSCOPE_FX_RATES: rates })).toThrow(/set PAYSCOPE_FX_RATES or PAYSCOPE_FX_RATES_FILE, not both/);
      fs.writeFileSync(file, '{"stripe": {"card_velocity_exceeded": "fraud"}}');
      expect(loadConfig({ PAYSCOPE_ERROR_CLASSES_FILE: file }).errorClasses).toEqual([{ gateway: 'stripe', code: 'card_velocity_exceeded', class: 'fraud' }]);
      expect(() => loadConfig({ PAYSCOPE_ERROR_CLASSES: '{"stripe": {"x": "outage"}}' })).toThrow(/PAYSCOPE_ERROR_CLASSES: expected .* at "stripe\.x"/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
