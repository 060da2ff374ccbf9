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

export function normalizeKeyName(key: string): string {
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
const AUTH_SCHEME_AT = /(?:Bearer|Basic|Digest|Token|Negotiate|NTLM|OAuth|HOBA|Mutual|AWS4-HMAC-SHA256|WECHATPAY2-SHA256-RSA2048)[ \t]/iy;

function isSpace(code: number): boolean {
  return code === 32 || code === 9;
}

/** End of a quoted value starting after the opening quote at `from`: the next unescaped `quote`. */
function closingQuote(text: string, from: number, quote: number): number {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 92) i++;
    else if (c === quote) return i;
  }
  return text.length;
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
    if (c === 34) i = closingQuote(text, i + 1, 34);
    else if (c === 123 || c === 91) depth++;
    else if ((c === 125 || c === 93) && --depth === 0) return i;
  }
  return text.length;
}

function bareValueEnd(text: string, from: number): number {
  let i = from;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    // whitespace " ' & ; , < > ) } ] | \ and `%26` end a bare value
    if (c <= 32 || c === 34 || c === 39 || c === 38 || c === 59 || c === 44 || c === 60 || c === 62 || c === 41 || c === 125 || c === 93 || c === 124 || c === 92) break;
    if (c === 37 && text.charCodeAt(i + 1) === 50 && text.charCodeAt(i + 2) === 54) break;
    i++;
  }
  return i;
}

/**
 * Masks the values of sensitive keys in text: `?password=…&`, `"client_secret": "…"`,
 * `token%3D…`, `Cookie: a=1; b=2` (every cookie), `Authorization: AWS4-HMAC-SHA256 Credential=…`.
 */
export function maskKeyValues(text: string, keys: SensitiveKeys): string {
  if (text.indexOf('=') === -1 && text.indexOf(':') === -1 && text.indexOf('%3') === -1) return text;
  let out = '';
  let copied = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    let separator = 0;
    if (c === 61 || c === 58) separator = 1;
    else if (c === 37 && text.charCodeAt(i + 1) === 51) {
      const x = text.charCodeAt(i + 2) | 0x20;
      if (x === 100 || x === 97) separator = 3; // %3D %3A
    }
    if (separator === 0) continue;
    // The key: back over spaces and a closing quote (`"key": …`, `\"key\":`), then key characters.
    let keyEnd = i;
    while (keyEnd > copied && i - keyEnd < 4 && isSpace(text.charCodeAt(keyEnd - 1))) keyEnd--;
    const quote = text.charCodeAt(keyEnd - 1);
    if (quote === 34 || quote === 39) {
      keyEnd--;
      if (text.charCodeAt(keyEnd - 1) === 92) keyEnd--;
    }
    let keyStart = keyEnd;
    while (keyStart > copied && keyEnd - keyStart < MAX_KEY_LENGTH && isKeyChar(text.charCodeAt(keyStart - 1))) keyStart--;
    if (keyStart === keyEnd || !keys.has(text.slice(keyStart, keyEnd))) continue;

    let valueStart = i + separator;
    while (valueStart < n && valueStart - i <= 8 && isSpace(text.charCodeAt(valueStart))) valueStart++;
    if (text.startsWith(REDACTED, valueStart)) continue;
    const first = text.charCodeAt(valueStart);
    let valueEnd: number;
    if (first === 34 || first === 39) {
      valueStart++;
      valueEnd = closingQuote(text, valueStart, first);
    } else if (first === 92 && text.charCodeAt(valueStart + 1) === 34) {
      valueStart += 2;
      valueEnd = text.indexOf('\\"', valueStart);
      if (valueEnd === -1) valueEnd = n;
    } else if (first === 123 || first === 91) {
      // `"password": {…}`, `"set-cookie": […]`: all of it
      valueStart++;
      valueEnd = bracketEnd(text, valueStart);
    } else {
      AUTH_SCHEME_AT.lastIndex = valueStart;
      const name = text.slice(keyStart, keyEnd).toLowerCase();
      const wholeLine = WHOLE_LINE_SUFFIXES.some((s) => name.endsWith(s)) || AUTH_SCHEME_AT.test(text);
      valueEnd = wholeLine ? headerValueEnd(text, valueStart, c === 61 || separator === 3) : bareValueEnd(text, valueStart);
    }
    if (valueEnd <= valueStart) continue;
    out += text.slice(copied, valueStart) + REDACTED;
    copied = valueEnd;
    i = valueEnd - 1;
  }
  return copied === 0 ? text : out + text.slice(copied);
}

// Credentials recognised by their shape, wherever they appear. Each alternative starts with a
// literal after a word boundary and has no nested quantifier.
const TOKEN_SHAPES = new RegExp(
  [
    '(?<![A-Za-z0-9_])(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{6,}', // Stripe secret, restricted and publishable keys
    '(?<![A-Za-z0-9_])whsec_[A-Za-z0-9]{6,}', // Stripe webhook signing secret
    '(?<![A-Za-z0-9])(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Za-z0-9])', // AWS key ids
    '(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{2,}(?:\\.[A-Za-z0-9_-]*){2,4}', // JWT / JWS / JWE
    '(?<![A-Za-z0-9_])gh[pousr]_[A-Za-z0-9]{20,}', // GitHub tokens
    '(?<![A-Za-z0-9])xox[abposr]-[A-Za-z0-9-]{10,}', // Slack tokens
    '(?<![A-Za-z0-9])AIza[0-9A-Za-z_-]{35}', // Google API keys
    '(?<![A-Za-z0-9])sq0(?:atp|csp)-[0-9A-Za-z_-]{20,}', // Square
    'access_token\\$(?:production|sandbox)\\$[0-9a-z]{16}\\$[0-9a-f]{32}', // PayPal / Braintree
  ].join('|'),
  'g',
);
// `Bearer <token>` and `Basic <user:password in base64>` without a header name in front.
const BEARER = /(?<![A-Za-z0-9])(Bearer(?:[ \t]{1,8}|%20|\+))([A-Za-z0-9._~+/=-]{8,})/gi;
const BASIC = /(?<![A-Za-z0-9])(Basic(?:[ \t]{1,8}|%20|\+))([A-Za-z0-9+/]{4,}={0,2})/g;
const DIGEST = /(?<![A-Za-z0-9])(Digest[ \t]{1,8})(username=[^\r\n]*)/g;
// Passwords in URLs: scheme://user:password@host
const URL_PASSWORD = /(\/\/[^\s/?#@:]{1,128}:)([^\s/?#@]{1,256})@/g;
const PEM_BEGIN = '-----BEGIN ';
const QUICK_CHECK = /_(?:live|test)_|whsec_|A[KSGIRNBC][A-Z]A|eyJ|gh[pousr]_|xox|AIza|sq0|\$production\$|\$sandbox\$|earer|Basic|Digest|:\/\/|-----BEGIN/i;

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
    if (label.length > 64 || !label.includes('PRIVATE KEY')) {
      at = text.indexOf(PEM_BEGIN, bodyStart);
      continue;
    }
    const end = text.indexOf('-----END ', bodyStart);
    const bodyEnd = end === -1 ? text.length : end;
    out += text.slice(copied, bodyStart) + REDACTED;
    copied = bodyEnd;
    at = end === -1 ? -1 : text.indexOf(PEM_BEGIN, end + 9);
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
