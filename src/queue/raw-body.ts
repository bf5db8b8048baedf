import { isUtf8 } from 'node:buffer';

/*
 * RawEvent.body is a string, because the ingest job (BullMQ job data) and the spool are JSON. A body
 * that is valid UTF-8 is simply its text. A body that is not — invalid bytes inside an otherwise valid
 * JSON string are accepted, like any other authenticated body — would lose those bytes to U+FFFD on
 * decoding, and the body stored would no longer be the body signed. So each byte that is not part of
 * a well-formed UTF-8 sequence is kept as the lone surrogate U+DC80–U+DCFF of its value (the
 * "surrogateescape" of Python's PEP 383). No valid UTF-8 decodes to a lone surrogate, so the mapping
 * is lossless: rawBodyBytes() gives back the exact bytes, and JSON.stringify (BullMQ, the spool)
 * writes lone surrogates as `\udcXX` escapes, which JSON.parse restores.
 */

const ESCAPE_BASE = 0xdc00;
/** A lone low surrogate in the range a raw byte 0x80–0xFF escapes to (not the second half of a pair). */
const ESCAPED_BYTE = /(?<![\uD800-\uDBFF])[\uDC80-\uDCFF]/;
const ESCAPED_BYTES = new RegExp(ESCAPED_BYTE.source, 'g');

/** The body as RawEvent.body carries it: its UTF-8 text, each byte of an invalid sequence escaped. */
export function decodeRawBody(bytes: Uint8Array): string {
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (isUtf8(buffer)) return buffer.toString('utf8');
  const parts: string[] = [];
  let runStart = 0;
  let i = 0;
  while (i < buffer.length) {
    if (buffer[i]! < 0x80) {
      i += 1;
      continue;
    }
    const length = sequenceLength(buffer, i);
    if (length > 0) {
      i += length;
      continue;
    }
    if (i > runStart) parts.push(buffer.toString('utf8', runStart, i));
    parts.push(String.fromCharCode(ESCAPE_BASE + buffer[i]!));
    i += 1;
    runStart = i;
  }
  if (runStart < buffer.length) parts.push(buffer.toString('utf8', runStart));
  return parts.join('');
}

/** The exact bytes of a body decoded by decodeRawBody (any other lone surrogate becomes U+FFFD's bytes). */
export function rawBodyBytes(body: string): Buffer {
  if (!ESCAPED_BYTE.test(body)) return Buffer.from(body, 'utf8');
  const parts: Buffer[] = [];
  let last = 0;
  for (const match of body.matchAll(ESCAPED_BYTES)) {
    if (match.index > last) parts.push(Buffer.from(body.slice(last, match.index), 'utf8'));
    parts.push(Buffer.of(match[0].charCodeAt(0) - ESCAPE_BASE));
    last = match.index + 1;
  }
  if (last < body.length) parts.push(Buffer.from(body.slice(last), 'utf8'));
  return Buffer.concat(parts);
}

/** Whether `text` holds escaped bytes, i.e. stands for bytes that are not valid UTF-8. */
export function hasEscapedBytes(text: string): boolean {
  return ESCAPED_BYTE.test(text);
}

/**
 * A value read from such a body (a name, a message) as readers should see it: the bytes it stands for
 * decoded as UTF-8, with U+FFFD for what is not — exactly what decoding the body as UTF-8 gave before
 * bytes were kept. Text without escaped bytes is returned as it is.
 */
export function displayText(text: string): string {
  return hasEscapedBytes(text) ? rawBodyBytes(text).toString('utf8') : text;
}

/** The length of the well-formed UTF-8 sequence at `i` (Unicode table 3-7), or 0 when there is none. */
function sequenceLength(bytes: Buffer, i: number): number {
  const b0 = bytes[i]!;
  if (b0 < 0x80) return 1;
  if (b0 >= 0xc2 && b0 <= 0xdf) return inRange(bytes[i + 1], 0x80, 0xbf) ? 2 : 0;
  if (b0 >= 0xe0 && b0 <= 0xef) {
    const low = b0 === 0xe0 ? 0xa0 : 0x80;
    const high = b0 === 0xed ? 0x9f : 0xbf;
    return inRange(bytes[i + 1], low, high) && inRange(bytes[i + 2], 0x80, 0xbf) ? 3 : 0;
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    const low = b0 === 0xf0 ? 0x90 : 0x80;
    const high = b0 === 0xf4 ? 0x8f : 0xbf;
    return inRange(bytes[i + 1], low, high) && inRange(bytes[i + 2], 0x80, 0xbf) && inRange(bytes[i + 3], 0x80, 0xbf) ? 4 : 0;
  }
  return 0;
}

function inRange(byte: number | undefined, low: number, high: number): boolean {
  return byte !== undefined && byte >= low && byte <= high;
}
