import type { JobsOptions } from 'bullmq';
import type { RawEvent } from '../normalizers/normalizer.ts';
import type { Delivery, SinkId } from '../sinks/sink.ts';

export const INGEST_QUEUE = 'ingest';

export function deliveryQueueName(sink: SinkId): string {
  return `deliver-${sink}`;
}

/** An ingest job carries the event exactly as authenticated; normalizing happens in the worker. */
export type IngestJobData = RawEvent;

/** A delivery job carries the normalized event to one sink; only the database's carries the raw body. */
export type DeliveryJobData = { event: Delivery['event']; raw?: string; ingestJobId: string };

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

/** Every queue an installation uses: ingest, and one delivery queue per configured sink. */
export function queueNames(config: { slack: unknown; email: unknown }): string[] {
  const sinks: SinkId[] = ['database'];
  if (config.slack) sinks.push('slack');
  if (config.email) sinks.push('email');
  return [INGEST_QUEUE, ...sinks.map(deliveryQueueName)];
}
