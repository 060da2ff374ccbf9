/**
 * Card numbers in free text, found by one left-to-right pass (cost linear in the text, no regex).
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

/**
 * Whether 12–19 digits start the way a payment card can. Issuers use every leading digit but 0
 * and 7; a leading 1 is only UATP (15 digits), a leading 2 only Mastercard 2221–2720 and Mir
 * 2200–2204, and 12 digits only Maestro (50, 56–69). So Unix times in ms, µs and ns (1…) and
 * date-first ids (20…) are not cards; any other Luhn-valid 13–19 digit number is, known brand or
 * not: a masked id costs less than a leaked card.
 */
export function hasCardPrefix(digits: string): boolean {
  const length = digits.length;
  if (length < 12 || length > 19) return false;
  const first = digits.charCodeAt(0) - 48;
  const second = digits.charCodeAt(1) - 48;
  if (length === 12) return first === 5 ? second === 0 || second >= 6 : first === 6;
  switch (first) {
    case 0:
    case 7:
      return false;
    case 1:
      return length === 15;
    case 2:
      return second >= 2 && second <= 7;
    default:
      return true;
  }
}

function digitValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 0xff10 && code <= 0xff19) return code - 0xff10; // fullwidth digits (CJK input methods)
  return -1;
}

function isAsciiLetter(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

function isHexLetter(code: number): boolean {
  return (code >= 65 && code <= 70) || (code >= 97 && code <= 102);
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

interface Group {
  start: number;
  end: number;
  digits: string;
}

/**
 * Marks, in `ranges`, the text to mask for the cards in one chain of groups. Every window is
 * tried (not only the longest), and the masks are merged, so a card next to other digits that
 * happen to form a Luhn-valid window with part of it still shows only its own last four digits.
 */
function cardRanges(groups: Group[], ranges: number[]): void {
  for (let i = 0; i < groups.length; i++) {
    let digits = '';
    for (let j = i; j < groups.length; j++) {
      digits += groups[j].digits;
      if (digits.length > 19) break;
      if (!hasCardPrefix(digits) || !isLuhnValid(digits)) continue;
      // Keep the last four digits: find where they start.
      let keep = 4;
      let k = j;
      let keepFrom = groups[k].end;
      while (keep > 0) {
        const inGroup = groups[k].end - groups[k].start;
        if (inGroup >= keep) {
          keepFrom = groups[k].end - keep;
          keep = 0;
        } else {
          keep -= inGroup;
          k--;
        }
      }
      const start = groups[i].start;
      const last = ranges.length - 1;
      if (last > 0 && start <= ranges[last]) ranges[last] = Math.max(ranges[last], keepFrom);
      else ranges.push(start, keepFrom);
    }
  }
}

/**
 * Replaces every digit of each card number in `text` except the last four with `*`, keeping
 * separators: `4111 1111 1111 1111` → `**** **** **** 1111`.
 */
export function maskCardNumbers(text: string): string {
  const n = text.length;
  if (n < 12) return text;
  let digitCount = 0;
  for (let i = 0; i < n && digitCount < 12; i++) if (digitValue(text.charCodeAt(i)) >= 0) digitCount++;
  if (digitCount < 12) return text;

  const ranges: number[] = []; // [start, end) pairs, in order, merged
  let chain: Group[] = [];
  const endChain = (): void => {
    if (chain.length > 0) {
      let total = 0;
      for (const g of chain) total += g.digits.length;
      if (total >= 12) cardRanges(chain, ranges);
      chain = [];
    }
  };

  let i = 0;
  while (i < n) {
    const code = text.charCodeAt(i);
    const isDigit = digitValue(code) >= 0;
    if (!isDigit && !isAsciiLetter(code)) {
      endChain();
      // A `%XX` escape is one character: its hex digits are not digits of a number.
      i += percentByte(text, i) >= 0 ? 3 : 1;
      continue;
    }
    // A word: letters and digits. Hexadecimal ids of the usual lengths with a letter in them (span
    // and trace ids, ObjectIds, machine ids, MD5/SHA hashes) and UUIDs are ids, not cards.
    let end = i;
    let hexOnly = true;
    let hasHexLetter = false;
    while (end < n) {
      const c = text.charCodeAt(end);
      if (digitValue(c) < 0 && !isAsciiLetter(c)) break;
      if (hexValue(c) < 0) hexOnly = false;
      else if (isHexLetter(c)) hasHexLetter = true;
      end++;
    }
    if (end - i === 8 && text.charCodeAt(end) === 45) {
      UUID_AT.lastIndex = i;
      if ((i === 0 || !isAsciiLetter(text.charCodeAt(i - 1))) && UUID_AT.test(text)) {
        endChain();
        i += 36;
        continue;
      }
    }
    if (hexOnly && hasHexLetter && HEX_ID_LENGTHS.has(end - i)) {
      endChain();
      i = end;
      continue;
    }
    // Digit runs in the word are groups; a letter ends a chain.
    let k = i;
    while (k < end) {
      if (digitValue(text.charCodeAt(k)) < 0) {
        endChain();
        k++;
        continue;
      }
      const start = k;
      let digits = '';
      while (k < end) {
        const d = digitValue(text.charCodeAt(k));
        if (d < 0) break;
        digits += String.fromCharCode(48 + d);
        k++;
      }
      chain.push({ start, end: k, digits });
    }
    i = end;
    // Separators after the word's last digit continue the chain if a digit follows them.
    if (chain.length > 0 && chain[chain.length - 1].end === end) {
      let j = end;
      let tokens = 0;
      while (tokens < MAX_SEPARATOR_TOKENS && j < n) {
        const length = separatorAt(text, j);
        if (length === 0) break;
        j += length;
        tokens++;
      }
      if (tokens > 0 && j < n && digitValue(text.charCodeAt(j)) >= 0) i = j;
      else endChain();
    }
  }
  endChain();
  if (ranges.length === 0) return text;

  let out = '';
  let copied = 0;
  for (let r = 0; r < ranges.length; r += 2) {
    out += text.slice(copied, ranges[r]);
    // A range holds group digits and the separator tokens between them (whose own digits, as in
    // `%20`, stay).
    for (let p = ranges[r]; p < ranges[r + 1]; ) {
      if (digitValue(text.charCodeAt(p)) >= 0) {
        out += '*';
        p++;
      } else {
        const length = Math.max(1, separatorAt(text, p));
        out += text.slice(p, p + length);
        p += length;
      }
    }
    copied = ranges[r + 1];
  }
  return out + text.slice(copied);
}
