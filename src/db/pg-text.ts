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
 * The body as received, for a jsonb column: itself when it is JSON, else the whole text as one JSON
 * string, so that nothing is lost.
 */
export function rawJsonbText(raw: string): string {
  try {
    JSON.parse(raw);
  } catch {
    return JSON.stringify(pgText(raw));
  }
  return jsonbText(raw);
}

function cleanKeys(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const entries = Object.entries(value);
  if (!entries.some(([key]) => pgText(key) !== key)) return value;
  return Object.fromEntries(entries.map(([key, item]) => [pgText(key), item]));
}
