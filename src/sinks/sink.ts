import type { NormalizedEvent } from '../normalizers/normalized-event.ts';

export const SINK_IDS = ['database', 'slack', 'email'] as const;
export type SinkId = (typeof SINK_IDS)[number];

export type Delivery = {
  event: NormalizedEvent;
  /** The provider's body exactly as received. */
  raw: string;
};

export interface Sink {
  readonly id: SinkId;
  /** Whether this sink wants the event at all (e.g. SLACK_STATUSES). */
  accepts(event: NormalizedEvent): boolean;
  /**
   * Delivers one event. Throws SinkError: retryable (network, 5xx, SMTP 4xx), permanent (other 4xx,
   * SMTP 5xx), or rate limited with `retryAfterMs`. Must give up by itself when `signal` aborts.
   */
  deliver(delivery: Delivery, signal: AbortSignal): Promise<void>;
  /** Optional: delivers many events in one write, all or nothing (the database sink). */
  deliverBatch?(deliveries: readonly Delivery[], signal: AbortSignal): Promise<void>;
  close(): Promise<void>;
}
