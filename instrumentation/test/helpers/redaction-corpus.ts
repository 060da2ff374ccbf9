// The shapes of card numbers and secrets that must never leave an instrumented service, and of
// ids, times and amounts that must. Shared by the unit corpus and the end-to-end test.

/** A Luhn check digit computed here, independently of the package's own Luhn code. */
function checkDigit(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let d = Number(body[body.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return String((10 - (sum % 10)) % 10);
}

/** A Luhn-valid number: `prefix`, then digits from a fixed sequence, then the check digit. */
export function luhnNumber(prefix: string, length: number, seed: number): string {
  let body = prefix;
  let x = seed;
  while (body.length < length - 1) {
    x = (x * 1103515245 + 12345) % 2147483648;
    body += String(Math.floor(x / 65536) % 10);
  }
  return body + checkDigit(body);
}

export interface CardShape {
  brand: string;
  digits: string;
  /** Group sizes as printed on the card. */
  groups: number[];
}

const fours = (length: number): number[] => {
  const out: number[] = [];
  for (let left = length; left > 0; left -= 4) out.push(Math.min(4, left));
  return out;
};

let seed = 1;
const card = (brand: string, prefix: string, length: number, groups = fours(length)): CardShape => ({
  brand,
  digits: luhnNumber(prefix, length, seed++),
  groups,
});

export const CARDS: CardShape[] = [
  card('Visa 13', '4', 13, [4, 4, 5]),
  card('Visa 16', '4', 16),
  card('Visa 19', '4', 19),
  card('Mastercard 5-series', '53', 16),
  card('Mastercard 2-series', '2221', 16),
  card('Mastercard 2-series 27', '2720', 16),
  card('Amex 15 (34)', '34', 15, [4, 6, 5]),
  card('Amex 15 (37)', '37', 15, [4, 6, 5]),
  card('Discover 6011', '6011', 16),
  card('Discover 65', '65', 16),
  card('Discover 644', '644', 19),
  card('JCB 16', '3528', 16),
  card('JCB 19', '3589', 19),
  card('Diners 14', '36', 14, [4, 6, 4]),
  card('Diners 14 (300)', '300', 14, [4, 6, 4]),
  card('UnionPay 16', '62', 16),
  card('UnionPay 17', '62', 17),
  card('UnionPay 18', '62', 18),
  card('UnionPay 19', '62', 19, [6, 13]),
  card('UnionPay 81', '81', 16),
  card('Maestro 12', '50', 12),
  card('Maestro 13', '6759', 13, [4, 4, 5]),
  card('Maestro 15', '6761', 15),
  card('Maestro 19', '56', 19),
  card('Mir', '2200', 16),
  card('UATP 15', '1', 15, [4, 5, 6]),
  card('RuPay', '60', 16),
  card('Troy', '9792', 16),
];

export const SEPARATORS: Array<[label: string, separator: string]> = [
  ['none', ''],
  ['space', ' '],
  ['double space', '  '],
  ['tab', '\t'],
  ['no-break space', '\u00a0'],
  ['narrow no-break space', '\u202f'],
  ['ideographic space', '\u3000'],
  ['dash', '-'],
  ['en dash', '\u2013'],
  ['spaced dash', ' - '],
  ['dot', '.'],
  ['plus', '+'],
  ['slash', '/'],
  ['underscore', '_'],
  ['%20', '%20'],
  ['%2D', '%2D'],
  ['%2d', '%2d'],
  ['%2B', '%2B'],
  ['%09', '%09'],
  ['%C2%A0', '%C2%A0'],
  ['JSON \\t', '\\t'],
  ['JSON \\u00a0', '\\u00a0'],
  ['&nbsp;', '&nbsp;'],
  ['mixed %20-', '%20-'],
];

/** The card written with `separator` between its groups; `mixed` alternates several. */
export function formatCard(shape: CardShape, separator: string | string[]): string {
  let out = '';
  let at = 0;
  shape.groups.forEach((size, i) => {
    if (i > 0) out += Array.isArray(separator) ? separator[(i - 1) % separator.length] : separator;
    out += shape.digits.slice(at, at + size);
    at += size;
  });
  return out;
}

/** What a correct redaction of `formatCard(shape, separator)` looks like: every card digit but the last four replaced. */
export function maskedCard(shape: CardShape, separator: string | string[]): string {
  const keepFrom = shape.digits.length - 4;
  const masked = [...shape.digits].map((d, i) => (i < keepFrom ? '*' : d)).join('');
  return formatCard({ ...shape, digits: masked }, separator);
}

/** Fullwidth digits, as CJK input methods type them. */
export function fullwidth(text: string): string {
  return text.replace(/[0-9]/g, (d) => String.fromCharCode(0xff10 + Number(d)));
}

/**
 * The digits a reader can see in `text`: escapes that encode separators (`%20`, `\u00a0`,
 * `&#160;`) are removed first so their own digits do not count, fullwidth digits count as digits.
 */
export function visibleDigits(text: string): string {
  return text
    .replace(/%[0-9A-Fa-f]{2}/g, ' ')
    .replace(/\\u[0-9A-Fa-f]{4}/g, ' ')
    .replace(/&#\d+;/g, ' ')
    .replace(/[\uff10-\uff19]/g, (d) => String(d.charCodeAt(0) - 0xff10))
    .replace(/\D+/g, '');
}

/**
 * Whether `text` shows digits of `cardDigits` that must be masked: any six consecutive digits of
 * the card before its last four.
 */
export function leaksCard(text: string, cardDigits: string): boolean {
  const visible = visibleDigits(text);
  for (let k = 0; k + 6 <= cardDigits.length - 4; k++) if (visible.includes(cardDigits.slice(k, k + 6))) return true;
  return false;
}

export interface SecretCase {
  label: string;
  text: string;
  /** Substrings that must not survive. */
  secrets: string[];
  /** Substrings that must survive (context around the secret). */
  keep?: string[];
}

const JWT = 'eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJjdXN0XzQyIiwic2NvcGUiOiJwYXkifQ.Qm9ndXNTaWduYXR1cmVGb3JUZXN0c09ubHk';
const AWS_SIG = 'fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024';
const PEM_BODY = 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj';

export const SECRETS: SecretCase[] = [
  { label: 'token= in a query', text: 'https://api.example/cb?token=tk9Q2mW7xZp4&order=ord-77', secrets: ['tk9Q2mW7xZp4'], keep: ['order=ord-77'] },
  { label: 'access_token=', text: '/oauth/cb?access_token=at8Hq3Lw0Vn5Rt&state=s1', secrets: ['at8Hq3Lw0Vn5Rt'], keep: ['state=s1'] },
  { label: 'refresh_token in a form body', text: 'grant_type=refresh_token&refresh_token=rt5Zk8Pq1Wm3', secrets: ['rt5Zk8Pq1Wm3'], keep: ['grant_type=refresh_token'] },
  { label: 'password=', text: 'login?user=alice&password=Hunt3r2Secret', secrets: ['Hunt3r2Secret'], keep: ['user=alice'] },
  { label: 'client_secret=', text: 'client_id=app1&client_secret=cs7Yv2Nf9Qa4', secrets: ['cs7Yv2Nf9Qa4'], keep: ['client_id=app1'] },
  { label: 'signature=', text: 'notify?out_trade_no=ord-9&sign_type=RSA2&signature=sg4Kd8Lm2Pq7Wz', secrets: ['sg4Kd8Lm2Pq7Wz'], keep: ['out_trade_no=ord-9'] },
  { label: 'URL-encoded key=value', text: 'redirect=https%3A%2F%2Fshop%2Fcb%3Ftoken%3Dtk3Vb8Nq2Lx6%26x%3D1', secrets: ['tk3Vb8Nq2Lx6'] },
  { label: 'JSON "password"', text: '{"user":"alice","password":"Pw9Xq2Lm7Kz4","remember":true}', secrets: ['Pw9Xq2Lm7Kz4'], keep: ['"user":"alice"'] },
  { label: 'JSON "client_secret" with spaces', text: '{ "client_secret" : "cs2Lp8Qw4Xz9" }', secrets: ['cs2Lp8Qw4Xz9'] },
  { label: 'JSON escaped in JSON', text: '{"body":"{\\"api_key\\":\\"ak5Mn2Bv8Cx1\\"}"}', secrets: ['ak5Mn2Bv8Cx1'] },
  { label: 'JSON object under a secret key', text: '{"credentials":{"user":"u1","pass":"Cr7Wq3Zx9Lm2"}}', secrets: ['Cr7Wq3Zx9Lm2'] },
  { label: 'JSON cvc number', text: '{"cvc":737,"currency":"CNY"}', secrets: ['737'], keep: ['"currency":"CNY"'] },
  { label: 'Authorization: Bearer', text: 'Authorization: Bearer bt6Hw2Qz9Lk4Vn8', secrets: ['bt6Hw2Qz9Lk4Vn8'] },
  { label: 'Authorization: Basic', text: 'Authorization: Basic YWxpY2U6SHVudDNyMlNlY3JldA==', secrets: ['YWxpY2U6SHVudDNyMlNlY3JldA'] },
  {
    label: 'Authorization: AWS4-HMAC-SHA256',
    text: `Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261206/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=${AWS_SIG}`,
    secrets: ['AKIAIOSFODNN7EXAMPLE', AWS_SIG],
  },
  {
    label: 'AWS4 signature without the header name',
    text: `AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261206/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=${AWS_SIG}`,
    secrets: ['AKIAIOSFODNN7EXAMPLE', AWS_SIG],
  },
  {
    label: 'Authorization: Digest',
    text: 'Authorization: Digest username="alice", realm="pay", nonce="dcd98b7102dd2f0e", uri="/charge", response="6629fae49393a05397450978507c4ef1"',
    secrets: ['6629fae49393a05397450978507c4ef1', 'dcd98b7102dd2f0e'],
  },
  { label: 'Digest without the header name', text: 'Digest username="alice", response="7729fae49393a05397450978507c4ef2"', secrets: ['7729fae49393a05397450978507c4ef2'] },
  {
    label: 'WeChat Pay v3 Authorization',
    text: 'Authorization: WECHATPAY2-SHA256-RSA2048 mchid="1900009191",nonce_str="593BEC0C930BF1AFEB40B4A08C8FB242",signature="uOVRnA4qG/MNnYzdQxJanN+zU+lTgIcnU9BxGw5dKjK",timestamp="1554208460",serial_no="1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C"',
    secrets: ['uOVRnA4qG/MNnYzdQxJanN+zU+lTgIcnU9BxGw5dKjK'],
  },
  { label: 'Cookie with several cookies', text: 'Cookie: theme=dark; session=ss4Qw8Lz2Xm6; csrf=cf9Pk3Vn7Bq1', secrets: ['ss4Qw8Lz2Xm6', 'cf9Pk3Vn7Bq1'] },
  { label: 'Set-Cookie', text: 'Set-Cookie: sid=sd2Lm8Qw4Zx7; Path=/; HttpOnly; Secure', secrets: ['sd2Lm8Qw4Zx7'] },
  { label: 'JSON set-cookie array', text: '{"set-cookie":["a=ck1Qz8Wm3Lp5; Path=/","b=ck2Xn4Vb9Kd2"],"status":200}', secrets: ['ck1Qz8Wm3Lp5', 'ck2Xn4Vb9Kd2'], keep: ['"status":200'] },
  { label: 'header dump, several lines', text: 'Host: api\r\nAuthorization: Bearer hd7Kq2Wz8Lm4Xn\r\nCookie: s=hd3Pv9Bn2Qx6\r\nAccept: */*', secrets: ['hd7Kq2Wz8Lm4Xn', 'hd3Pv9Bn2Qx6'], keep: ['Accept: */*', 'Host: api'] },
  { label: 'Stripe secret key', text: '--stripe-key=sk_live_4eC39HqLyjWDarjtT1zdp7dc', secrets: ['4eC39HqLyjWDarjtT1zdp7dc'] },
  { label: 'Stripe test key', text: 'using sk_test_51Hx2bK9Lm3Qw8Zp for the sandbox', secrets: ['51Hx2bK9Lm3Qw8Zp'], keep: ['for the sandbox'] },
  { label: 'Stripe restricted key', text: 'key rk_live_7Yh3Wq9Lm2Xz5Pk', secrets: ['7Yh3Wq9Lm2Xz5Pk'] },
  { label: 'Stripe publishable key', text: 'pk_live_9Tq4Wm2Xz8Lp3Kd', secrets: ['9Tq4Wm2Xz8Lp3Kd'] },
  { label: 'Stripe webhook secret', text: 'whsec_5Wq8Lm2Xz9Kp4Tn', secrets: ['5Wq8Lm2Xz9Kp4Tn'] },
  { label: 'AWS access key id', text: 'creds AKIAZ7Q4XW2LM9PK3TNB in env', secrets: ['AKIAZ7Q4XW2LM9PK3TNB'], keep: ['in env'] },
  { label: 'AWS secret in a config line', text: 'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', secrets: ['wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'] },
  { label: 'JWT alone', text: `token ${JWT} expired`, secrets: [JWT.split('.')[1], JWT.split('.')[2]], keep: ['expired'] },
  { label: 'JWT in a query', text: `/cb?id_token=${JWT}&state=s2`, secrets: [JWT.split('.')[1]], keep: ['state=s2'] },
  { label: 'bearer without a header', text: `calling with Bearer bq8Wz3Lm9Xk2Pt`, secrets: ['bq8Wz3Lm9Xk2Pt'] },
  {
    label: 'PEM private key',
    text: `-----BEGIN PRIVATE KEY-----\n${PEM_BODY}\n-----END PRIVATE KEY-----`,
    secrets: [PEM_BODY.slice(8)],
  },
  { label: 'PEM RSA private key, truncated', text: `key=-----BEGIN RSA PRIVATE KEY-----\\n${PEM_BODY}`, secrets: [PEM_BODY.slice(8)] },
  { label: 'password in a URL', text: 'postgres://app:Pg8Wq2Lz7Xm4@db:5432/pay', secrets: ['Pg8Wq2Lz7Xm4'], keep: ['@db:5432/pay'] },
  { label: 'GitHub token', text: 'ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8', secrets: ['A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8'] },
  { label: 'AWS temporary key id', text: 'ASIAY34FZKBOKMUTVV7A', secrets: ['ASIAY34FZKBOKMUTVV7A'] },
  { label: 'Slack token', text: 'notify with xoxb-2738261-9182736-Qw8Lm2Xz9Kp4', secrets: ['2738261-9182736-Qw8Lm2Xz9Kp4'] },
  { label: 'Square access token', text: 'sq0atp-Zq8Wm2Lx9Kp4Tn7Bv3Cd', secrets: ['Zq8Wm2Lx9Kp4Tn7Bv3Cd'] },
  {
    label: 'Braintree / PayPal access token',
    text: 'gateway access_token$production$x8q4m2lz9kp4tn7b$0f9e8d7c6b5a49382716a5b4c3d2e1f0',
    secrets: ['x8q4m2lz9kp4tn7b', '0f9e8d7c6b5a49382716a5b4c3d2e1f0'],
  },
  { label: 'Google API key', text: 'maps?key=AIzaSyD3x9Lm2Qw8Zk4Pv7Tn1Bq5Wc6Xd0Yf2Rg', secrets: ['SyD3x9Lm2Qw8Zk4Pv7Tn1Bq5Wc6Xd0Yf2Rg'] },
  { label: 'dotted secret key in text', text: 'payment.password=Pp3Wq8Lm2Xz7 payment.channel=card', secrets: ['Pp3Wq8Lm2Xz7'], keep: ['payment.channel=card'] },
  { label: 'card PIN', text: 'pin=4921&cvv2=318', secrets: ['4921', '318'] },
];

/** Attribute keys whose values never leave the process, and keys that must stay. */
export const SECRET_KEYS = [
  'http.request.header.authorization',
  'http.request.header.proxy-authorization',
  'http.request.header.cookie',
  'http.response.header.set-cookie',
  'http.request.header.x-api-key',
  'http.request.header.stripe-signature',
  'http.request.header.x-hub-signature-256',
  'http.request.header.x-amz-security-token',
  'payment.password',
  'db.password',
  'client_secret',
  'oauth.access_token',
  'refresh_token',
  'card.cvv',
  'card.cvv2',
  'cvc',
  'payment.card.pan',
  'card_number',
  'body.cardNumber',
  'aws.secret_access_key',
  'app.private_key',
  'user.pin',
];
export const PLAIN_KEYS = [
  'http.request.method',
  'gen_ai.usage.input_tokens',
  'token_type',
  'japan.region',
  'timespan',
  'messaging.kafka.message.key',
  'idempotency_key',
  'payment.order_id',
  'payment.channel',
  'session.id',
];

/** Values that look numeric or id-like but are no secret: they must survive unchanged. */
export function survivors(): Array<[label: string, text: string]> {
  const luhn = (prefix: string, length: number) => luhnNumber(prefix, length, 99);
  return [
    ['order id', 'ORD-20261206-000123'],
    ['date-first numeric order id, Luhn-valid', luhn('2026120', 16)],
    ['19-digit date-first id, Luhn-valid', luhn('20261206', 19)],
    ['Unix ms, Luhn-valid', luhn('17650', 13)],
    ['Unix µs, Luhn-valid', luhn('17650', 16)],
    ['Unix ns, Luhn-valid', luhn('17650', 19)],
    ['epoch seconds with micros', `${luhn('17650', 10)}.${luhn('5', 6)}`],
    ['trace id holding a Luhn-valid 16-digit run', `ab${luhn('4', 16)}cdef0123456789`.slice(0, 32)],
    ['span id with a hex letter', `${luhn('4', 15)}f`],
    ['UUID of digits holding a Maestro-shaped group', `${luhn('4', 8)}-1234-5678-9012-${luhn('50', 12)}`],
    ['sha256', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    ['ISO timestamp', '2026-12-06T15:44:34.123456789Z'],
    ['amount', '1234567.89'],
    ['amounts and currency', 'charged 12.50 CNY of 100.00'],
    ['IPv4 with port', '192.168.100.200:8080'],
    ['phone number', '+1 415 555 0100'],
    ['20+ digit unbroken id', '12345678901234567890123'],
    ['Alipay trade no', '2026120622001412341234567890'],
    ['route', 'POST /orders/:orderId/pay'],
    ['key=value without secrets', 'channel=alipay&amount=12.50&currency=CNY'],
    ['prose', 'basic plan, bearer bonds, token economy'],
  ];
}
