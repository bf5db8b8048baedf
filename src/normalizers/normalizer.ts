import type { ProviderId } from '../shared/providers.ts';
import type { NormalizedEvent } from './normalized-event.ts';

/** What the ingress stored for one authenticated request: everything a normalizer may read. */
export type RawEvent = {
  provider: ProviderId;
  /** The event key of SPEC.md section 3, e.g. `persona:evt_123`. */
  key: string;
  /** ISO 8601 UTC, when the ingress accepted the request. */
  receivedAt: string;
  /**
   * The request body exactly as received: its UTF-8 text, with each byte that is not part of valid
   * UTF-8 kept as the lone surrogate U+DC80+byte (src/normalizers/raw-event.ts; rawBodyBytes gives
   * the bytes back). Normalizers need not care: buildEvent shows such bytes as U+FFFD.
   */
  body: string;
  /** The few request headers worth keeping (lower-cased names), e.g. `x-plextera-event-type`. */
  headers: Record<string, string>;
};

export interface Normalizer {
  readonly provider: ProviderId;
  /**
   * Pure: turns the parsed body into the normalized event, or throws NormalizeError naming what is
   * missing or unknown. `payload` is the JSON-parsed `raw.body`.
   */
  normalize(payload: unknown, raw: RawEvent): NormalizedEvent;
}
