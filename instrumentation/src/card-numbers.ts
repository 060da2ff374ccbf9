/**
 * Card numbers in free text, found by one left-to-right pass (cost linear in the text).
 *
 *   "pay 4111 1111%201111-1111 now"
 *        └┬─┘ └┬─┘   └┬─┘ └┬─┘        digit groups joined by 1–3 separator tokens form a chain;
 *         └────┴──────┴────┘          every window of whole consecutive groups holding 12–19
 *                                     digits with a card prefix and a valid Luhn sum is a card
 *   "pay **** ****%20****-1111 now"   every digit of every card but its last four becomes `*`
 */

/** Luhn checksum over a string of ASCII digits. */
export function isLuhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return digits.length > 0 && sum % 10 === 0;
}

function digitValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 0xff10 && code <= 0xff19) return code - 0xff10; // fullwidth digits (CJK input methods)
  return -1;
}

function isAsciiLetter(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 65 && code <= 70) return code - 55;
  if (code >= 97 && code <= 102) return code - 87;
  return -1;
}

const SEPARATOR_CHARS = new Set([
  0x20, 0x09, 0xa0, 0x2007, 0x2009, 0x202f, 0x3000, // spaces: plain, tab, no-break, figure, thin, narrow, ideographic
  0x2d, 0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2212, // dashes and minus
  0x2e, 0x2b, 0x2f, 0x5f, 0x3d, // . + / _ = (a query re-serialized from `?4111&nbsp;1111` reads `4111=&nbsp;1111=`)
]);
// Bytes that separate groups when percent-encoded: space, tab, - . + / _
const SEPARATOR_BYTES = new Set([0x20, 0x09, 0x2d, 0x2e, 0x2b, 0x2f, 0x5f]);
const MAX_SEPARATOR_TOKENS = 3;

function percentByte(text: string, i: number): number {
  if (text.charCodeAt(i) !== 37 || i + 2 >= text.length) return -1;
  const hi = hexValue(text.charCodeAt(i + 1));
  const lo = hexValue(text.charCodeAt(i + 2));
  return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

/** Length of one separator token at `i` (a character, `%20`-style escape, `\t`, `\u00a0`, `&nbsp;`), or 0. */
function separatorAt(text: string, i: number): number {
  const code = text.charCodeAt(i);
  if (SEPARATOR_CHARS.has(code)) return 1;
  if (code === 37) {
    const byte = percentByte(text, i);
    if (SEPARATOR_BYTES.has(byte)) return 3;
    if (byte === 0xc2 && percentByte(text, i + 3) === 0xa0) return 6; // UTF-8 no-break space
    if (byte === 0x5c) return backslashEscapeAt(text, i + 3, 3); // an encoded JSON escape
    if (byte === 0x26 && text.startsWith('nbsp%3B', i + 3)) return 10; // an encoded &nbsp;
    return 0;
  }
  if (code === 92) return backslashEscapeAt(text, i + 1, 1);
  if (code === 38 && text.startsWith('&nbsp;', i)) return 6;
  if (code === 38 && text.startsWith('&#160;', i)) return 6;
  return 0;
}

/** A JSON / JS escape (`\t`, `\/`, `\u00a0`, …) whose backslash, `backslashLength` long, ends at `i`. */
function backslashEscapeAt(text: string, i: number, backslashLength: number): number {
  const next = text.charCodeAt(i);
  if (next === 116 || next === 47) return backslashLength + 1;
  if (next === 117 && i + 4 < text.length) {
    const hex = text.slice(i + 1, i + 5);
    return /^[0-9a-fA-F]{4}$/.test(hex) && SEPARATOR_CHARS.has(parseInt(hex, 16)) ? backslashLength + 5 : 0;
  }
  return 0;
}

const HEX_ID_LENGTHS = new Set([16, 24, 32, 40, 64]);
// A UUID is an id, whatever digits it holds: 8-4-4-4-12 hex digits.
const UUID_AT = /[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(?![0-9A-Za-z])/y;

/** Luhn over `length` digit values of `digits` from `from`. */
function luhnAt(digits: number[], from: number, length: number): boolean {
  let sum = 0;
  for (let i = 0; i < length; i++) {
    let d = digits[from + length - 1 - i];
    if ((i & 1) === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/**
 * Whether `length` digit values of `digits` from `from` (12–19 of them) start the way a payment
 * card can. Issuers use every leading digit but 0 and 7; a leading 1 is only UATP (15 digits), a
 * leading 2 only Mastercard 2221–2720 and Mir 2200–2204, and 12 digits only Maestro (50, 56–69).
 * So Unix times in ms, µs and ns (1…) and date-first ids (20…) are not cards; any other Luhn-valid
 * 13–19 digit number is, known brand or not: a masked id costs less than a leaked card.
 */
function cardPrefixAt(digits: number[], from: number, length: number): boolean {
  if (length < 12 || length > 19) return false;
  const first = digits[from];
  const second = digits[from + 1];
  if (length === 12) return first === 5 ? second === 0 || second >= 6 : first === 6;
  if (first === 0 || first === 7) return false;
  if (first === 1) return length === 15;
  if (first === 2) return second >= 2 && second <= 7;
  return true;
}

/**
 * One chain of digit groups: group g spans text[start[g], end[g]) and its digit values are
 * digits[first[g] …]. Flat arrays, reused from chain to chain: a long text of digits allocates
 * nothing per digit.
 */
class Chain {
  readonly start: number[] = [];
  readonly end: number[] = [];
  readonly first: number[] = [];
  readonly digits: number[] = [];
  groups = 0;

  clear(): void {
    this.groups = 0;
    if (this.digits.length > 0) this.digits.length = 0;
  }

  /** Appends the digit run text[start, end). */
  add(text: string, start: number, end: number): void {
    this.start[this.groups] = start;
    this.end[this.groups] = end;
    this.first[this.groups] = this.digits.length;
    this.groups++;
    for (let p = start; p < end; p++) this.digits.push(digitValue(text.charCodeAt(p)));
  }

  /** Marks this chain's cards in `ranges` and starts a new chain. */
  flush(ranges: number[]): void {
    if (this.groups === 0) return;
    this.cardRanges(ranges);
    this.clear();
  }

  length(g: number): number {
    return (g + 1 < this.groups ? this.first[g + 1] : this.digits.length) - this.first[g];
  }

  /**
   * Marks, in `ranges`, the text to mask for the cards in this chain. Every window of whole
   * groups is tried (not only the longest), and the masks are merged, so a card next to other
   * digits that happen to form a Luhn-valid window with part of it still shows only its own last
   * four digits.
   */
  cardRanges(ranges: number[]): void {
    if (this.digits.length < 12) return;
    for (let i = 0; i < this.groups; i++) {
      let total = 0;
      for (let j = i; j < this.groups; j++) {
        total += this.length(j);
        if (total > 19) break;
        if (!cardPrefixAt(this.digits, this.first[i], total) || !luhnAt(this.digits, this.first[i], total)) continue;
        // Keep the last four digits: find where they start.
        let keep = 4;
        let k = j;
        let keepFrom = this.end[k];
        while (keep > 0) {
          const inGroup = this.end[k] - this.start[k];
          if (inGroup >= keep) {
            keepFrom = this.end[k] - keep;
            keep = 0;
          } else {
            keep -= inGroup;
            k--;
          }
        }
        const start = this.start[i];
        const last = ranges.length - 1;
        if (last > 0 && start <= ranges[last]) ranges[last] = Math.max(ranges[last], keepFrom);
        else ranges.push(start, keepFrom);
      }
    }
  }
}

const OTHER = 0;
const DIGIT = 1;
const HEX_LETTER = 2;
const LETTER = 3;
const FULLWIDTH_DIGIT = 4;
const ASCII_KIND = new Uint8Array(128);
for (let c = 48; c <= 57; c++) ASCII_KIND[c] = DIGIT;
for (let c = 65; c <= 90; c++) ASCII_KIND[c] = c <= 70 ? HEX_LETTER : LETTER;
for (let c = 97; c <= 122; c++) ASCII_KIND[c] = c <= 102 ? HEX_LETTER : LETTER;

// Reused by every call (redaction runs synchronously, one text at a time).
const chain = new Chain();

/**
 * Replaces every digit of each card number in `text` except the last four with `*`, keeping
 * separators: `4111 1111 1111 1111` → `**** **** **** 1111`.
 */
export function maskCardNumbers(text: string): string {
  const n = text.length;
  if (n < 12) return text;
  let digitCount = 0;
  for (let i = 0; i < n && digitCount < 12; i++) {
    const c = text.charCodeAt(i);
    if ((c >= 48 && c <= 57) || (c >= 0xff10 && c <= 0xff19)) digitCount++;
  }
  if (digitCount < 12) return text;

  const ranges: number[] = []; // [start, end) pairs, in order, merged
  chain.clear();

  let i = 0;
  while (i < n) {
    const code = text.charCodeAt(i);
    const isDigit = digitValue(code) >= 0;
    if (!isDigit && !isAsciiLetter(code)) {
      chain.flush(ranges);
      // A `%XX` escape is one character: its hex digits are not digits of a number.
      i += code === 37 && percentByte(text, i) >= 0 ? 3 : 1;
      continue;
    }
    // A word: letters and digits. Hexadecimal ids of the usual lengths with a letter in them (span
    // and trace ids, ObjectIds, machine ids, MD5/SHA hashes) and UUIDs are ids, not cards.
    let end = i;
    let hexOnly = true;
    let hasHexLetter = false;
    let hasDigit = false;
    while (end < n) {
      const c = text.charCodeAt(end);
      const kind = c < 128 ? ASCII_KIND[c] : c >= 0xff10 && c <= 0xff19 ? FULLWIDTH_DIGIT : OTHER;
      if (kind === OTHER) break;
      if (kind === DIGIT) hasDigit = true;
      else if (kind === HEX_LETTER) hasHexLetter = true;
      else {
        hexOnly = false;
        if (kind === FULLWIDTH_DIGIT) hasDigit = true;
      }
      end++;
    }
    if (!hasDigit) {
      chain.flush(ranges);
      i = end;
      continue;
    }
    if (end - i === 8 && text.charCodeAt(end) === 45) {
      UUID_AT.lastIndex = i;
      if ((i === 0 || !isAsciiLetter(text.charCodeAt(i - 1))) && UUID_AT.test(text)) {
        chain.flush(ranges);
        i += 36;
        continue;
      }
    }
    if (hexOnly && hasHexLetter && HEX_ID_LENGTHS.has(end - i)) {
      chain.flush(ranges);
      i = end;
      continue;
    }
    // Digit runs in the word are groups; a letter ends a chain.
    let k = i;
    let endsWithDigit = false;
    while (k < end) {
      if (digitValue(text.charCodeAt(k)) < 0) {
        chain.flush(ranges);
        k++;
        endsWithDigit = false;
        continue;
      }
      const start = k;
      while (k < end && digitValue(text.charCodeAt(k)) >= 0) k++;
      chain.add(text, start, k);
      endsWithDigit = true;
    }
    i = end;
    // Separators after the word's last digit continue the chain if a digit follows them.
    if (endsWithDigit) {
      let j = end;
      let tokens = 0;
      while (tokens < MAX_SEPARATOR_TOKENS && j < n) {
        const length = separatorAt(text, j);
        if (length === 0) break;
        j += length;
        tokens++;
      }
      if (tokens > 0 && j < n && digitValue(text.charCodeAt(j)) >= 0) i = j;
      else chain.flush(ranges);
    }
  }
  chain.flush(ranges);
  if (ranges.length === 0) return text;

  const out: string[] = [];
  let copied = 0;
  for (let r = 0; r < ranges.length; r += 2) {
    out.push(text.slice(copied, ranges[r]));
    // A range holds group digits and the separator tokens between them (whose own digits, as in
    // `%20`, stay).
    for (let p = ranges[r]; p < ranges[r + 1]; ) {
      if (digitValue(text.charCodeAt(p)) >= 0) {
        const run = p;
        while (p < ranges[r + 1] && digitValue(text.charCodeAt(p)) >= 0) p++;
        out.push('*'.repeat(p - run));
      } else {
        const length = Math.max(1, separatorAt(text, p));
        out.push(text.slice(p, p + length));
        p += length;
      }
    }
    copied = ranges[r + 1];
  }
  out.push(text.slice(copied));
  return out.join('');
}
