import { describe, expect, it } from 'vitest';
import { formatMoney } from './format';

describe('formatMoney', () => {
  it.each([[48210, 'USD', '$48,210.00'], [300, 'CNY', 'CN¥300.00'], [0.5, 'EUR', '€0.50'], [12, 'NOT-A-CODE', '12.00 NOT-A-CODE']])('%s %s → %s', (a, c, want) => {
    expect(formatMoney(a, c)).toBe(want);
  });
});
