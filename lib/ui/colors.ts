/**
 * One colour per channel, gateway and service name, the same on every page and chart. Well-known
 * names get fixed colours (close to their brands where that stays readable); others a stable hash
 * into a palette, so a new gateway keeps its colour across reloads.
 */
const FIXED: Record<string, string> = {
  alipay: '#1677ff',
  wechatpay: '#07c160',
  card: '#7c3aed',
  stripe: '#635bff',
  paypal: '#003087',
  applepay: '#111827',
  adyen: '#0abf53',
  braintree: '#1f2937',
  unionpay: '#d6001c',
  checkout: '#2c3e50',
  square: '#3e4348',
  razorpay: '#0c2451',
  klarna: '#ff8fb0',
  mollie: '#0a0a0a',
};

const PALETTE = ['#0072b2', '#e69f00', '#009e73', '#cc79a7', '#56b4e9', '#d55e00', '#f0e442', '#6a3d9a', '#b15928', '#1b9e77', '#e7298a', '#66a61e'];

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

export function colorFor(name: string): string {
  const key = name.toLowerCase();
  return FIXED[key] ?? PALETTE[hash(key) % PALETTE.length];
}
