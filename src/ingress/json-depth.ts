/**
 * Nesting deeper than this is no provider's payload. It is refused before parsing, because deep
 * JSON parses fine here but fails later where recursion is bounded: PostgreSQL's jsonb input stops
 * at "stack depth limit exceeded" (54001) near 10,000 levels, which would retry and dead-letter an
 * accepted event, and fail every event written in the same batch with it.
 */
export const MAX_JSON_DEPTH = 64;

/** Whether the JSON text nests arrays/objects deeper than `max`; one pass over the bytes, strings skipped. */
export function jsonDepthExceeds(body: Buffer, max: number = MAX_JSON_DEPTH): boolean {
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
