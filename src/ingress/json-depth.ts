/**
 * Nesting deeper than this is no provider's payload. It is refused before parsing, because deep
 * JSON parses fine here but fails later where recursion is bounded: PostgreSQL's jsonb input stops
 * at "stack depth limit exceeded" (54001) near 10,000 levels, which would retry and dead-letter an
 * accepted event, and fail every event written in the same batch with it.
 */
export const MAX_JSON_DEPTH = 64;

/** Whether the JSON text nests arrays/objects deeper than `max`; one pass over the bytes, strings skipped. */
export function jsonDepthExceeds(body: Buffer, max: number = MAX_JSON_DEPTH): boolean {
  // Nesting deeper than `max` needs more than `max` opening brackets; typical payloads have a few
  // dozen, counted with native searches far faster than walking every byte.
  if (!hasMoreThan(body, max, 0x7b, 0x5b)) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const byte = body[i];
    if (inString) {
      if (byte === 0x5c) i++; // backslash: the next byte is escaped
      else if (byte === 0x22) inString = false;
    } else if (byte === 0x22) inString = true;
    else if (byte === 0x5b || byte === 0x7b) {
      if (++depth > max) return true;
    } else if (byte === 0x5d || byte === 0x7d) depth--;
  }
  return false;
}

function hasMoreThan(body: Buffer, limit: number, ...bytes: number[]): boolean {
  let count = 0;
  for (const byte of bytes) {
    for (let at = body.indexOf(byte); at !== -1; at = body.indexOf(byte, at + 1)) {
      if (++count > limit) return true;
    }
  }
  return false;
}
