/**
 * Credentials in attribute keys and in free text. Every pattern here is either a scan with a
 * bounded look-back or a regex anchored on a literal with no nested quantifiers, so the cost is
 * linear in the text.
 */

export const REDACTED = '[REDACTED]';

/**
 * Key names whose values are secret, matched on the last dot-separated segment of a key, ignoring
 * case, `-`, `_` and trailing digits. A key is sensitive when that segment equals one of
 * {@link SENSITIVE_KEY_NAMES} or ends with one of {@link SENSITIVE_KEY_SUFFIXES}:
 * `http.request.header.x-api-key`, `card.cvv2`, `payment.password`, `client_secret`,
 * `access_token`, `x-hub-signature-256`.
 */
export const SENSITIVE_KEY_NAMES: readonly string[] = Object.freeze([
  'pan', 'cvv', 'cvc', 'cvn', 'csc', 'pin', 'otp', 'auth', 'sid', 'session', 'pwd', 'cardno',
]);
export const SENSITIVE_KEY_SUFFIXES: readonly string[] = Object.freeze([
  'password', 'passwd', 'passphrase', 'secret', 'token', 'apikey', 'secretkey', 'privatekey', 'accesskey',
  'accountkey', 'subscriptionkey', 'signingkey', 'authorization', 'cookie', 'signature', 'credential',
  'credentials', 'sessionid', 'sessid', 'cardnumber', 'securitycode',
]);
// Values of these run to the end of the line: `Cookie: a=1; b=2`, `Authorization: Digest username="…", response="…"`.
const WHOLE_LINE_SUFFIXES = ['authorization', 'cookie'];

function normalizeKeyName(key: string): string {
  const dot = key.lastIndexOf('.');
  const segment = (dot === -1 ? key : key.slice(dot + 1)).toLowerCase();
  let out = '';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i];
    if (c !== '-' && c !== '_') out += c;
  }
  let end = out.length;
  while (end > 0 && out.charCodeAt(end - 1) >= 48 && out.charCodeAt(end - 1) <= 57) end--;
  return end === out.length || end === 0 ? out : out.slice(0, end);
}

export class SensitiveKeys {
  private readonly names: Set<string>;
  private readonly decisions = new Map<string, boolean>();

  constructor(extra: readonly string[] = []) {
    for (const key of extra) {
      if (typeof key !== 'string' || normalizeKeyName(key) === '') {
        throw new TypeError(`redaction.sensitiveKeys: expected non-empty key names, got ${JSON.stringify(key)}`);
      }
    }
    this.names = new Set([...SENSITIVE_KEY_NAMES, ...extra.map(normalizeKeyName)]);
  }

  /** Whether values under this key (attribute key, or key inside text) are secret. */
  has(key: string): boolean {
    let decision = this.decisions.get(key);
    if (decision === undefined) {
      const name = normalizeKeyName(key);
      decision = this.names.has(name) || SENSITIVE_KEY_SUFFIXES.some((suffix) => name.endsWith(suffix));
      // Attribute keys are few; the cap only guards against keys built from data.
      if (this.decisions.size < 10_000) this.decisions.set(key, decision);
    }
    return decision;
  }
}

function isKeyChar(code: number): boolean {
  return (
    (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95 || code === 45 || code === 46
  );
}

const MAX_KEY_LENGTH = 128;
const AUTH_SCHEME_AT = /(?:Bearer|Basic|Digest|Token|Negotiate|NTLM|OAuth|HOBA|Mutual|AWS4-HMAC-SHA256|WECHATPAY2-SHA256-RSA2048)(?:[ \t]|%20|\+)/iy;

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 65 && code <= 70) return code - 55;
  if (code >= 97 && code <= 102) return code - 87;
  return -1;
}

/** The byte a `%XX` escape at `i` stands for, or -1. */
function percentByte(text: string, i: number): number {
  if (text.charCodeAt(i) !== 37) return -1;
  const hi = hexValue(text.charCodeAt(i + 1));
  const lo = hexValue(text.charCodeAt(i + 2));
  return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

/** Length of a space ending at `end` (a space, a tab, `+` or `%20`), else 0. */
function spaceBefore(text: string, end: number): number {
  const c = text.charCodeAt(end - 1);
  if (c === 32 || c === 9 || c === 43) return 1;
  return end >= 3 && percentByte(text, end - 3) === 0x20 ? 3 : 0;
}

/** Length of a space at `i`: a space, a tab, `%20` or `+` (a space in a query), else 0. */
function spaceAt(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c === 32 || c === 9 || c === 43) return 1;
  return percentByte(text, i) === 0x20 ? 3 : 0;
}

// Quotes as they appear in text, JSON inside JSON, and URL-encoded: longest first.
const QUOTES = ['%5C%22', '%5c%22', '\\"', '%22', '%27', '"', "'"];

function quoteAt(text: string, i: number): string | undefined {
  for (const quote of QUOTES) if (text.startsWith(quote, i)) return quote;
  return undefined;
}

function quoteBefore(text: string, end: number): number {
  const last = text.charCodeAt(end - 1);
  if (last !== 34 && last !== 39 && last !== 50 && last !== 55) return 0; // every quote ends in " ' 2 or 7
  for (const quote of QUOTES) if (end >= quote.length && text.startsWith(quote, end - quote.length)) return quote.length;
  return 0;
}

/** End of a value that opened with `quote` just before `from`: the matching close, or the end of the text. */
function closingQuote(text: string, from: number, quote: string): number {
  if (quote === '"' || quote === "'") {
    const code = quote.charCodeAt(0);
    for (let i = from; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 92) i++;
      else if (c === code) return i;
    }
    return text.length;
  }
  const close = text.indexOf(quote, from);
  return close === -1 ? text.length : close;
}

/**
 * End of a header value (`Authorization`, `Cookie`) that starts at `from`: the end of the line, a
 * `&` after `key=`, or a `"` that does not open a `param="…"` (the end of an enclosing string).
 */
function headerValueEnd(text: string, from: number, stopAtAmpersand: boolean): number {
  let i = from;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 13 || c === 10 || (stopAtAmpersand && c === 38)) return i;
    if (c === 92 && (text.charCodeAt(i + 1) === 110 || text.charCodeAt(i + 1) === 114)) return i; // escaped \n, \r
    const escapedQuote = c === 92 && text.charCodeAt(i + 1) === 34;
    if (c === 34 || escapedQuote) {
      if (text.charCodeAt(i - 1) !== 61) return i; // not after `=`
      const open = escapedQuote ? i + 2 : i + 1;
      const close = escapedQuote ? text.indexOf('\\"', open) : text.indexOf('"', open);
      if (close === -1) return text.length;
      i = close + (escapedQuote ? 2 : 1);
      continue;
    }
    i++;
  }
  return text.length;
}

/** The closing bracket matching the one before `from` (strings skipped, no recursion), or the end. */
function bracketEnd(text: string, from: number): number {
  let depth = 1;
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) i = closingQuote(text, i + 1, '"');
    else if (c === 123 || c === 91) depth++;
    else if ((c === 125 || c === 93) && --depth === 0) return i;
  }
  return text.length;
}

/** `bracketEnd` for percent-encoded JSON: `%7B…%7D`, `%5B…%5D`, strings in `%22`. */
function encodedBracketEnd(text: string, from: number): number {
  let depth = 1;
  for (let i = from; i < text.length; i++) {
    const byte = percentByte(text, i);
    if (byte === 0x22) i = closingQuote(text, i + 3, '%22') + 2;
    else if (byte === 0x7b || byte === 0x5b) depth++;
    else if ((byte === 0x7d || byte === 0x5d) && --depth === 0) return i;
  }
  return text.length;
}

// Bytes that end a bare value, literal or percent-encoded: space " ' & ; , < > ) } ] | \
const BARE_VALUE_END = new Set([32, 34, 39, 38, 59, 44, 60, 62, 41, 125, 93, 124, 92]);

function bareValueEnd(text: string, from: number): number {
  let i = from;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c < 32 || BARE_VALUE_END.has(c)) break;
    if (c === 37) {
      const byte = percentByte(text, i);
      if (byte >= 0 && (byte < 32 || BARE_VALUE_END.has(byte))) break;
    }
    i++;
  }
  return i;
}

/**
 * Masks the values of sensitive keys in text: `?password=…&`, `"client_secret": "…"`,
 * `token%3D…`, `%22password%22%3A%22…%22`, `Cookie: a=1; b=2` (every cookie),
 * `Authorization: AWS4-HMAC-SHA256 Credential=…` (to the end of the line).
 */
export function maskKeyValues(text: string, keys: SensitiveKeys): string {
  if (text.indexOf('=') === -1 && text.indexOf(':') === -1 && text.indexOf('%3') === -1) return text;
  let out = '';
  let copied = 0;
  const n = text.length;
  // Next `=`, `:` and `%` at or after `from`, each found by a native search and kept until passed.
  let nextEquals = -2;
  let nextColon = -2;
  let nextPercent = -2;
  for (let from = 0; ; ) {
    if (nextEquals !== -1 && nextEquals < from) nextEquals = text.indexOf('=', from);
    if (nextColon !== -1 && nextColon < from) nextColon = text.indexOf(':', from);
    if (nextPercent !== -1 && nextPercent < from) nextPercent = text.indexOf('%', from);
    let i = n;
    if (nextEquals !== -1) i = nextEquals;
    if (nextColon !== -1 && nextColon < i) i = nextColon;
    if (nextPercent !== -1 && nextPercent < i) i = nextPercent;
    if (i === n) break;
    from = i + 1;
    const c = text.charCodeAt(i);
    let separator = 0;
    if (c === 61 || c === 58) separator = 1;
    else if (c === 37 && text.charCodeAt(i + 1) === 51) {
      const x = text.charCodeAt(i + 2) | 0x20;
      if (x === 100 || x === 97) separator = 3; // %3D %3A
    }
    if (separator === 0) continue;
    // The key: back over spaces and a closing quote (`"key": …`, `\"key\":`, `%22key%22%3A`), then key characters.
    let keyEnd = i;
    for (let spaces = 0; spaces < 4 && keyEnd > copied; spaces++) {
      const length = spaceBefore(text, keyEnd);
      if (length === 0) break;
      keyEnd -= length;
    }
    keyEnd -= quoteBefore(text, keyEnd);
    let keyStart = keyEnd;
    while (keyStart > copied && keyEnd - keyStart < MAX_KEY_LENGTH && isKeyChar(text.charCodeAt(keyStart - 1))) keyStart--;
    // `%22key`: the escape's hex digits are not part of the key.
    if (keyStart > 0 && text.charCodeAt(keyStart - 1) === 37 && percentByte(text, keyStart - 1) >= 0) keyStart += 2;
    if (keyStart >= keyEnd || !keys.has(text.slice(keyStart, keyEnd))) continue;

    let valueStart = i + separator;
    for (let spaces = 0; spaces < 8; spaces++) {
      const length = spaceAt(text, valueStart);
      if (length === 0) break;
      valueStart += length;
    }
    if (valueStart >= n || text.startsWith(REDACTED, valueStart)) continue;
    const first = text.charCodeAt(valueStart);
    const quote = quoteAt(text, valueStart);
    let valueEnd: number;
    if (quote !== undefined) {
      valueStart += quote.length;
      valueEnd = closingQuote(text, valueStart, quote);
    } else if (first === 123 || first === 91) {
      // `"password": {…}`, `"set-cookie": […]`: all of it
      valueStart++;
      valueEnd = bracketEnd(text, valueStart);
    } else if (percentByte(text, valueStart) === 0x7b || percentByte(text, valueStart) === 0x5b) {
      valueStart += 3;
      valueEnd = encodedBracketEnd(text, valueStart);
    } else {
      AUTH_SCHEME_AT.lastIndex = valueStart;
      const name = text.slice(keyStart, keyEnd).toLowerCase();
      const wholeLine = WHOLE_LINE_SUFFIXES.some((suffix) => name.endsWith(suffix)) || AUTH_SCHEME_AT.test(text);
      valueEnd = wholeLine ? headerValueEnd(text, valueStart, c === 61 || separator === 3) : bareValueEnd(text, valueStart);
    }
    if (valueEnd <= valueStart) continue;
    out += text.slice(copied, valueStart) + REDACTED;
    copied = valueEnd;
    from = valueEnd;
  }
  return copied === 0 ? text : out + text.slice(copied);
}

// Credentials recognised by their shape, wherever they appear. Each alternative starts with a
// literal after a word boundary and has no nested quantifier.
// A word boundary before a token: not after a word character, or right after a `%XX` escape.
const after = (word: string): string => `(?:(?<![${word}])|(?<=%[0-9A-Fa-f]{2}))`;
const TOKEN_SHAPES = new RegExp(
  [
    `${after('A-Za-z0-9_')}(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{6,}`, // Stripe secret, restricted and publishable keys
    `${after('A-Za-z0-9_')}whsec_[A-Za-z0-9]{6,}`, // Stripe webhook signing secret
    `${after('A-Za-z0-9')}(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Za-z0-9])`, // AWS key ids
    `${after('A-Za-z0-9_-')}eyJ[A-Za-z0-9_-]{2,}(?:\\.[A-Za-z0-9_-]*){2,4}`, // JWT / JWS / JWE
    `${after('A-Za-z0-9_')}gh[pousr]_[A-Za-z0-9]{20,}`, // GitHub tokens
    `${after('A-Za-z0-9')}xox[abposr]-[A-Za-z0-9-]{10,}`, // Slack tokens
    `${after('A-Za-z0-9')}AIza[0-9A-Za-z_-]{35}`, // Google API keys
    `${after('A-Za-z0-9')}sq0(?:atp|csp)-[0-9A-Za-z_-]{20,}`, // Square
    'access_token\\$(?:production|sandbox)\\$[0-9a-z]{16}\\$[0-9a-f]{32}', // PayPal / Braintree
  ].join('|'),
  'g',
);
// `Bearer <token>` and `Basic <user:password in base64>` without a header name in front.
const BEARER = new RegExp(`${after('A-Za-z0-9')}(Bearer(?:[ \\t]{1,8}|%20|\\+))([A-Za-z0-9._~+/=-]{8,})`, 'gi');
const BASIC = new RegExp(`${after('A-Za-z0-9')}(Basic(?:[ \\t]{1,8}|%20|\\+))([A-Za-z0-9+/]{4,}={0,2})`, 'g');
const DIGEST = new RegExp(`${after('A-Za-z0-9')}(Digest(?:[ \\t]{1,8}|%20|\\+))(username(?:=|%3D)[^\\r\\n]*)`, 'gi');
// Passwords in URLs: scheme://user:password@host
const URL_PASSWORD = /(\/\/[^\s/?#@:]{1,128}:)([^\s/?#@]{1,256})@/g;
const PEM_BEGIN = '-----BEGIN';
const QUICK_CHECK = /_(?:live|test)_|whsec_|A(?:KIA|SIA|GPA|IDA|ROA|IPA|NPA|NVA|BIA|CCA|Iza)|eyJ|gh[pousr]_|xox[abposr]-|sq0|\$(?:production|sandbox)\$|[Bb]earer|BEARER|Basic|[Dd]igest|DIGEST|@|-----BEGIN/;

function isBasicCredential(base64: string): boolean {
  return Buffer.from(base64, 'base64').toString('latin1').includes(':');
}

/** Masks PEM private keys (to the END line, or to the end of a truncated text). */
function maskPrivateKeys(text: string): string {
  let out = '';
  let copied = 0;
  let at = text.indexOf(PEM_BEGIN);
  while (at !== -1) {
    const headerEnd = text.indexOf('-----', at + PEM_BEGIN.length);
    if (headerEnd === -1) break;
    const label = text.slice(at + PEM_BEGIN.length, headerEnd);
    const bodyStart = headerEnd + 5;
    if (label.length > 64 || !label.includes('PRIVATE')) {
      at = text.indexOf(PEM_BEGIN, bodyStart);
      continue;
    }
    const end = text.indexOf('-----END', bodyStart);
    const bodyEnd = end === -1 ? text.length : end;
    out += text.slice(copied, bodyStart) + REDACTED;
    copied = bodyEnd;
    at = end === -1 ? -1 : text.indexOf(PEM_BEGIN, end + 8);
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/** Masks credentials recognised by their shape: API keys, JWTs, bearer and basic credentials, private keys, URL passwords. */
export function maskTokenShapes(text: string): string {
  if (!QUICK_CHECK.test(text)) return text;
  let out = text.includes(PEM_BEGIN) ? maskPrivateKeys(text) : text;
  out = out.replace(TOKEN_SHAPES, REDACTED);
  out = out.replace(BEARER, (_m, scheme: string) => `${scheme}${REDACTED}`);
  out = out.replace(BASIC, (m, scheme: string, credential: string) => (isBasicCredential(credential) ? `${scheme}${REDACTED}` : m));
  out = out.replace(DIGEST, (_m, scheme: string) => `${scheme}${REDACTED}`);
  out = out.replace(URL_PASSWORD, (_m, user: string) => `${user}${REDACTED}@`);
  return out;
}
