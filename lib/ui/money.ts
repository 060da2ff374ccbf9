import type { Money } from '../analytics/money';
import { formatMoney } from './format';

/** The largest sum at stake on one gateway, in words: "$48,210.00 stuck on alipay"; null when nothing is. */
export function topStake(impact: { currency: string; byGateway: readonly { gateway: string; failed: Money; stuck: Money }[] }): string | null {
  let best: { amount: number; text: string } | null = null;
  for (const g of impact.byGateway) {
    for (const [what, m] of [['stuck', g.stuck], ['failed', g.failed]] as const) {
      if (m.amount > 0 && (best === null || m.amount > best.amount)) best = { amount: m.amount, text: `${formatMoney(m.amount, impact.currency)} ${what} on ${g.gateway}` };
    }
  }
  return best?.text ?? null;
}
