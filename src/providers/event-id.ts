import { asId } from '../normalizers/fields.ts';

/** An event key must stay short: it names jobs, Redis keys and database rows. */
const MAX_ID_LENGTH = 256;

/** Reads a path of object keys; anything else on the way yields undefined. */
export function pick(value: unknown, path: readonly string[]): unknown {
  let current: unknown = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null || Array.isArray(current)) return undefined;
    current = Object.hasOwn(current, key) ? (current as Record<string, unknown>)[key] : undefined;
  }
  return current;
}

/** The id at `path` usable in an event key: a non-blank string or an integer, of bounded length. */
export function idAt(payload: unknown, path: readonly string[]): string | undefined {
  return boundedId(pick(payload, path));
}

export function boundedId(value: unknown): string | undefined {
  const id = asId(value);
  return id !== undefined && id.length <= MAX_ID_LENGTH ? id : undefined;
}
