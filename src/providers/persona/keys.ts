/*
 * Persona sends keys kebab-, camel- or snake-cased depending on the webhook's api-key-inflection
 * setting ("run-data", "runData", "run_data"). Everything is read camel-cased.
 */

// Deep enough for every field Persona's normalizer reads (8 levels); bounded so that a hostile,
// deeply nested body cannot exhaust the stack.
const MAX_DEPTH = 12;

/** "run-data" and "run_data" → "runData"; a leading "_" or "-" is kept. */
export function camelCase(key: string): string {
  return key.replace(/(?<=[A-Za-z0-9])[-_]+([A-Za-z0-9])/g, (_, letter: string) => letter.toUpperCase());
}

/** Every object key camel-cased, down to MAX_DEPTH; values are left as they are. */
export function camelCaseKeys(value: unknown, depth = 0): unknown {
  if (depth >= MAX_DEPTH || typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((item) => camelCaseKeys(item, depth + 1));
  // fromEntries defines own properties, so a "__proto__" key can never reach a prototype.
  return Object.fromEntries(
    Object.entries(value).map(([key, entry]) => [camelCase(key), camelCaseKeys(entry, depth + 1)]),
  );
}
