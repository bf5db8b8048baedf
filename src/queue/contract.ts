import type { JobsOptions } from 'bullmq';
import type { AlertItem } from '../alerts/alert-item.ts';
import type { DestinationConfig } from '../config/config.ts';
import type { NormalizedEvent } from '../normalizers/normalized-event.ts';
import type { ProviderId } from '../providers/registry.ts';

/*
 * The queue contract: what the ingress writes and the workers read. Both import it; neither imports
 * the other.
 */

/** What the ingress stored for one authenticated request: everything a normalizer may read. */
export type RawEvent = {
  provider: ProviderId;
  /** The event key of SPEC.md section 3, e.g. `persona:evt_123`. */
  key: string;
  /** ISO 8601 UTC, when the ingress accepted the request. */
  receivedAt: string;
  /**
   * The request body exactly as received: its UTF-8 text, with each byte that is not part of valid
   * UTF-8 kept as the lone surrogate U+DC80+byte (src/queue/raw-body.ts; rawBodyBytes gives the
   * bytes back). Normalizers need not care: buildEvent shows such bytes as U+FFFD.
   */
  body: string;
  /** The few request headers worth keeping (lower-cased names), e.g. `x-plextera-event-type`. */
  headers: Record<string, string>;
};

export const INGEST_QUEUE = 'ingest';
/** The stuck-run check, run by a job scheduler: one run per interval across every worker. */
export const MAINTENANCE_QUEUE = 'maintenance';
export const DATABASE_QUEUE = 'deliver-database';

/** Each destination's own queue: `deliver-database`, `deliver-slack`, `deliver-slack-crm`, `deliver-email`… */
export function deliveryQueueName(destinationId: string): string {
  return `deliver-${destinationId}`;
}

/** An ingest job carries the event exactly as authenticated; normalizing happens in the worker. */
export type IngestJobData = RawEvent;

/** The database's fallback queue: an event whose write in place failed, with its raw body. */
export type DatabaseJobData = { event: NormalizedEvent; raw?: string; ingestJobId: string };

/**
 * A Slack or email destination's job: one alert. Jobs queued before alerts had kinds carry
 * `{ event }` alone, and are read as event alerts.
 */
export type AlertJobData = { item: AlertItem; ingestJobId?: string } | { item?: undefined; event: NormalizedEvent; ingestJobId: string };

export type DeliveryJobData = DatabaseJobData | AlertJobData;

export function alertOfJob(data: AlertJobData): AlertItem {
  return data.item ?? { kind: 'event', event: data.event };
}

const DAY_SECONDS = 86_400;

/**
 * Completed jobs are kept for a week: a retried ingest job re-adds its delivery jobs by id, and a
 * delivery job still present is not added twice. Failed jobs are the dead letters, kept for a month.
 */
export const INGEST_JOB_OPTIONS: JobsOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 1_000, jitter: 0.5 },
  removeOnComplete: { age: 7 * DAY_SECONDS, count: 200_000 },
  // Events that could not be normalized stay until someone replays or deletes them.
  removeOnFail: false,
};

export const DELIVERY_JOB_OPTIONS: JobsOptions = {
  attempts: 10,
  backoff: { type: 'capped-exponential' },
  removeOnComplete: { age: 7 * DAY_SECONDS, count: 200_000 },
  removeOnFail: { age: 30 * DAY_SECONDS },
};

/** Every queue an installation uses: ingest, the database's, one per destination, maintenance. */
export function queueNames(config: { destinations: readonly Pick<DestinationConfig, 'id'>[] }): string[] {
  return [INGEST_QUEUE, DATABASE_QUEUE, ...config.destinations.map((d) => deliveryQueueName(d.id)), MAINTENANCE_QUEUE];
}
