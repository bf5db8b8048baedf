import type { AlertItem } from '../alerts/alert-item.ts';
import type { NormalizedEvent } from '../normalizers/normalized-event.ts';

export const SINK_KINDS = ['database', 'slack', 'email'] as const;
export type SinkKind = (typeof SINK_KINDS)[number];

export type Delivery = {
  event: NormalizedEvent;
  /** The provider's body exactly as received. */
  raw: string;
};

/**
 * How the workers treat a destination. It lives on the destination, so that the workers never
 * branch on sink kinds: a new sink states its policy and gets queues, records and pacing for it.
 */
export type SinkPolicy = {
  /** Jobs one process runs at once for this destination. */
  concurrency: number;
  /** It cannot deduplicate by itself (Slack, email): a delivery record per alert stands in for it. */
  recordDeliveries: boolean;
  /**
   * A pace shared by every process: at most one message per `intervalMs`. Alerts waiting longer
   * than that go out together, up to `digestMax` in one message.
   */
  pace?: { intervalMs: number; digestMax: number } | undefined;
};

/**
 * A Slack channel or an email list: one destination with its own queue (`deliver-<id>`), pace,
 * retries, delivery records and dead letters.
 */
export interface AlertSink {
  /** Unique and URL-free: names the queue and the delivery records. */
  readonly id: string;
  readonly kind: Exclude<SinkKind, 'database'>;
  readonly policy: SinkPolicy;
  /** Whether this destination's route wants the alert (providers, categories, statuses, incidents). */
  accepts(item: AlertItem): boolean;
  /** How many of the leading `items` one message can carry (at least 1). */
  capacity(items: readonly AlertItem[]): number;
  /**
   * Sends one message: the alert alone, or a digest of several. Throws SinkError: retryable
   * (network, 5xx, SMTP 4xx), permanent (other 4xx, SMTP 5xx), or rate limited with `retryAfterMs`.
   * Must give up by itself when `signal` aborts.
   */
  send(items: readonly AlertItem[], signal: AbortSignal): Promise<void>;
  close(): Promise<void>;
}
