import { describe, expect, it } from 'vitest';
import { topStake } from './money';

describe('topStake', () => {
  const m = (count: number, amount: number) => ({ count, amount });

  it('names the largest sum stuck or failed on one gateway', () => {
    expect(topStake({
      currency: 'USD',
      byGateway: [
        { gateway: 'stripe', failed: m(3, 900), stuck: m(1, 20) },
        { gateway: 'alipay', failed: m(1, 25), stuck: m(7, 48210) },
      ],
    })).toBe('$48,210.00 stuck on alipay');
    expect(topStake({ currency: 'EUR', byGateway: [{ gateway: 'adyen', failed: m(2, 99.5), stuck: m(0, 0) }] })).toBe('€99.50 failed on adyen');
  });

  it('is null when no money is at stake', () => {
    expect(topStake({ currency: 'USD', byGateway: [{ gateway: 'paypal', failed: m(1, 0), stuck: m(0, 0) }] })).toBeNull();
    expect(topStake({ currency: 'USD', byGateway: [] })).toBeNull();
  });
});
