import type { ProviderId } from '../../shared/providers.ts';
import type { AuthScheme } from '../auth/auth-scheme.ts';

/** What the ingress needs to know about one provider; normalizing is the workers' business. */
export interface ProviderIngress {
  readonly id: ProviderId;
  readonly auth: AuthScheme;
  /** The provider's own event id (SPEC.md section 3), or undefined when the payload has none. */
  eventId(payload: unknown): string | undefined;
  /** Request headers worth keeping with the event (lower-case); never credentials. */
  readonly keptHeaders: readonly string[];
  /** A request that only tests the connection: answered 200 and not queued. */
  isConnectionTest?(payload: unknown): boolean;
}

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

/** An id usable in an event key: a non-empty string or an integer, of bounded length. */
export function asId(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed.length > 0 && trimmed.length <= MAX_ID_LENGTH ? trimmed : undefined;
}
