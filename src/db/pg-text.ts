import { displayText } from '../queue/raw-body.ts';

/**
 * PostgreSQL refuses some strings JavaScript accepts: NUL in text ("invalid byte sequence", 22021),
 * `\u0000` and unpaired surrogate escapes in jsonb (22P05, 22P02). One such event must not fail a
 * whole batch, so these are replaced by U+FFFD before they reach the database.
 */
const REPLACEMENT = '\uFFFD';
const NUL = /\u0000/g;
const HAS_NUL = /\u0000/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
/** Escapes PostgreSQL's jsonb rejects (paired surrogate escapes also match; they take the slow path, harmlessly). */
const SUSPECT_JSON_ESCAPE = /\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})/;

export function pgText(value: string): string {
  return value.replace(NUL, REPLACEMENT).replace(LONE_SURROGATE, REPLACEMENT);
}

export function pgTextOrNull(value: string | undefined): string | null {
  return value === undefined ? null : pgText(value);
}

/** JSON text that jsonb accepts, for a value that is valid JSON already. */
export function jsonbText(json: string): string {
  if (!SUSPECT_JSON_ESCAPE.test(json) && !HAS_NUL.test(json)) return json;
  return JSON.stringify(JSON.parse(json, (_key, value: unknown) => cleanKeys(typeof value === 'string' ? pgText(value) : value)));
}

/**
 * The body as received, for the jsonb column `raw`: the JSON itself when jsonb can hold it, else the
 * whole text as one JSON string, so that nothing is lost — a body that is not JSON, or JSON holding a
 * number beyond PostgreSQL's numeric range (`1e999999`, 200,000 digits), which jsonb refuses with
 * 22003 and which would otherwise fail the row for ever. Bytes that are not UTF-8 (escaped in
 * RawEvent.body, see src/normalizers/raw-event.ts) appear as U+FFFD; the exact bytes are in
 * `raw_bytes` (migration 3).
 */
export function rawJsonbText(raw: string): string {
  const text = displayText(raw);
  try {
    JSON.parse(text);
  } catch {
    return JSON.stringify(pgText(text));
  }
  if (!jsonbNumbersFit(text)) return JSON.stringify(pgText(text));
  return jsonbText(text);
}

/*
 * PostgreSQL's numeric, which jsonb numbers are, holds up to 131072 digits before the decimal point
 * and 16383 after it: the leading digit's power of ten at most 131071 (base-10000 weight ≤ 32767),
 * the display scale (digits after the point, trailing zeros included, less the exponent) at most
 * 16383. An exponent of a billion or more is refused whatever the digits (numeric_in bounds it near
 * INT_MAX / 2); that bound is kept a little lower here, which only sends such a body to the string
 * form. test/db/unstorable-bodies.test.ts checks these bounds against both databases.
 */
const NUMERIC_LEAD_MAX = 131_071;
const NUMERIC_DSCALE_MAX = 16_383;
const EXPONENT_MAX = 1_000_000_000;

/**
 * Whether every number of `json` (valid JSON text) fits PostgreSQL's numeric, i.e. whether
 * `json::jsonb` succeeds as far as numbers go. One pass, numbers inside strings skipped. JSON text
 * from JSON.stringify always fits (the normalized event): it writes a finite double in at most 21
 * significant digits with an exponent from -324 to 308, far inside both bounds.
 */
export function jsonbNumbersFit(json: string): boolean {
  const length = json.length;
  let i = 0;
  while (i < length) {
    const c = json.charCodeAt(i);
    if (c === 0x22 /* " */) {
      i += 1;
      while (i < length) {
        const s = json.charCodeAt(i);
        if (s === 0x5c /* \ */) i += 2;
        else if (s === 0x22) break;
        else i += 1;
      }
      i += 1;
    } else if (c === 0x2d /* - */ || isDigit(c)) {
      const end = numberEnd(json, i);
      if (!numberFits(json, c === 0x2d ? i + 1 : i, end)) return false;
      i = end;
    } else {
      i += 1;
    }
  }
  return true;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function digitsEnd(text: string, i: number): number {
  while (i < text.length && isDigit(text.charCodeAt(i))) i += 1;
  return i;
}

function numberEnd(text: string, start: number): number {
  let i = digitsEnd(text, text.charCodeAt(start) === 0x2d ? start + 1 : start);
  if (text.charCodeAt(i) === 0x2e /* . */) i = digitsEnd(text, i + 1);
  const e = text.charCodeAt(i);
  if (e === 0x65 || e === 0x45 /* e E */) {
    i += 1;
    const sign = text.charCodeAt(i);
    if (sign === 0x2b || sign === 0x2d) i += 1;
    i = digitsEnd(text, i);
  }
  return i;
}

/** `text.slice(start, end)` is an unsigned JSON number: int [. frac] [e exp]. */
function numberFits(text: string, start: number, end: number): boolean {
  const intEnd = digitsEnd(text, start);
  let fracStart = intEnd;
  let fracEnd = intEnd;
  if (text.charCodeAt(intEnd) === 0x2e) {
    fracStart = intEnd + 1;
    fracEnd = digitsEnd(text, fracStart);
  }
  let exponent = 0;
  if (fracEnd < end) {
    let at = fracEnd + 1;
    const sign = text.charCodeAt(at);
    if (sign === 0x2b || sign === 0x2d) at += 1;
    while (at < end - 1 && text.charCodeAt(at) === 0x30) at += 1; // leading zeros of the exponent
    if (end - at > 10) return false;
    exponent = Number(text.slice(at, end)) * (sign === 0x2d ? -1 : 1);
    if (Math.abs(exponent) >= EXPONENT_MAX) return false;
  }
  const fracDigits = fracEnd - fracStart;
  if (Math.max(0, fracDigits - exponent) > NUMERIC_DSCALE_MAX) return false;
  // The power of ten of the first non-zero digit; a zero fits whatever its exponent (checked above).
  for (let at = start; at < intEnd; at += 1) {
    if (text.charCodeAt(at) !== 0x30) return intEnd - 1 - at + exponent <= NUMERIC_LEAD_MAX;
  }
  for (let at = fracStart; at < fracEnd; at += 1) {
    if (text.charCodeAt(at) !== 0x30) return fracStart - 1 - at + exponent <= NUMERIC_LEAD_MAX;
  }
  return true;
}

function cleanKeys(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const entries = Object.entries(value);
  if (!entries.some(([key]) => pgText(key) !== key)) return value;
  return Object.fromEntries(entries.map(([key, item]) => [pgText(key), item]));
}
