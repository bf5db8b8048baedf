import type { Job, Queue } from 'bullmq';
import type { ProviderId } from '../providers/registry.ts';
import { isProviderId } from '../providers/registry.ts';

/**
 * A failed job kept for replay: a delivery that ran out of attempts or was refused for good
 * (`deliver-<sink>`), or an event the ingest worker could not normalize (`ingest`).
 */
export type DeadLetter = {
  kind: 'delivery' | 'ingest';
  /** The queue it sits in: `ingest` or `deliver-<destination>`. */
  queue: string;
  /** The destination: `database`, `slack`, `email`, or a route's id (`slack-crm`, `email-…`). */
  sink: string | undefined;
  jobId: string;
  eventKey: string;
  provider: ProviderId | undefined;
  /** The normalized event's status (deliveries only). */
  status: string | undefined;
  summary: string | undefined;
  error: string;
  attemptsMade: number;
  /** ISO 8601: when it failed for the last time. */
  failedAt: string;
  /** ISO 8601: when the ingress accepted the event. */
  receivedAt: string | undefined;
  /** The body as received (ingest dead letters only). */
  rawBody: string | undefined;
};

export type DeadLetterFilter = {
  /** One event key, e.g. `persona:evt_123`. */
  key?: string | undefined;
  provider?: ProviderId | undefined;
  /** Only these delivery queues; `ingest` stands for events that could not be normalized. */
  sinks?: readonly string[] | undefined;
  /** A window on the time of failure. */
  since?: Date | undefined;
  until?: Date | undefined;
  /** Most dead letters returned, newest failures first. */
  limit?: number | undefined;
};

export type ReplayQueues = {
  ingest: Queue;
  deliveries: ReadonlyMap<string, Queue>;
};

const PAGE = 200;
/** A bound on how many failed jobs one listing reads per queue, so that a flood cannot stall /admin. */
const MAX_SCANNED_PER_QUEUE = 20_000;
const DEFAULT_LIMIT = 500;

export function sinkOfQueue(queueName: string): string | undefined {
  return queueName.startsWith('deliver-') ? queueName.slice('deliver-'.length) : undefined;
}

/** Dead letters matching the filter, newest failures first. */
export async function findDeadLetters(queues: ReplayQueues, filter: DeadLetterFilter = {}): Promise<Array<DeadLetter & { job: Job }>> {
  const limit = filter.limit ?? DEFAULT_LIMIT;
  const wanted = (name: string) => !filter.sinks || filter.sinks.includes(name);
  const sources: Array<[string, Queue]> = [];
  if (wanted('ingest')) sources.push(['ingest', queues.ingest]);
  for (const [sink, queue] of queues.deliveries) if (wanted(sink)) sources.push([sink, queue]);

  const perQueue = await Promise.all(sources.map(([, queue]) => scanQueue(queue, filter, limit)));
  return perQueue
    .flat()
    .sort((a, b) => b.failedAt.localeCompare(a.failedAt))
    .slice(0, limit);
}

/** The failed set is ordered by failure time, newest first: pages stop at `since` or at the limit. */
async function scanQueue(queue: Queue, filter: DeadLetterFilter, limit: number): Promise<Array<DeadLetter & { job: Job }>> {
  const found: Array<DeadLetter & { job: Job }> = [];
  for (let start = 0; start < MAX_SCANNED_PER_QUEUE; start += PAGE) {
    const jobs = await queue.getFailed(start, start + PAGE - 1);
    for (const job of jobs) {
      if (!job) continue; // removed between the listing and the read
      const letter = describeJob(queue.name, job);
      if (filter.since && letter.failedAt < filter.since.toISOString()) return found;
      if (matches(letter, filter)) found.push({ ...letter, job });
      if (found.length >= limit) return found;
    }
    if (jobs.length < PAGE) return found;
  }
  return found;
}

function matches(letter: DeadLetter, filter: DeadLetterFilter): boolean {
  if (filter.key !== undefined && letter.eventKey !== filter.key) return false;
  if (filter.provider !== undefined && letter.provider !== filter.provider) return false;
  if (filter.until && letter.failedAt > filter.until.toISOString()) return false;
  return true;
}

export function describeJob(queueName: string, job: Job): DeadLetter {
  const sink = sinkOfQueue(queueName);
  const data: unknown = job.data;
  const failedAt = new Date(job.finishedOn ?? job.processedOn ?? job.timestamp).toISOString();
  const common = {
    queue: queueName,
    sink,
    jobId: job.id ?? '',
    error: job.failedReason || 'unknown error',
    attemptsMade: job.attemptsMade,
    failedAt,
  };
  if (sink) {
    const item = record(record(data).item);
    if (item.kind === 'stuck') {
      const report = record(item.report);
      return {
        ...common,
        kind: 'delivery',
        eventKey: text(report.lastEventId) ?? '',
        provider: provider(report.provider),
        status: 'stuck',
        summary: `stuck run ${text(record(report.subject).id) ?? ''}`,
        receivedAt: text(report.detectedAt),
        rawBody: undefined,
      };
    }
    const event = record(item.kind === 'event' ? item.event : record(data).event);
    return {
      ...common,
      kind: 'delivery',
      eventKey: text(event.id) ?? '',
      provider: provider(event.provider),
      status: text(event.status),
      summary: text(event.summary),
      receivedAt: text(event.receivedAt),
      rawBody: undefined,
    };
  }
  const raw = record(data);
  return {
    ...common,
    kind: 'ingest',
    eventKey: text(raw.key) ?? '',
    provider: provider(raw.provider),
    status: undefined,
    summary: undefined,
    receivedAt: text(raw.receivedAt),
    rawBody: text(raw.body),
  };
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function provider(value: unknown): ProviderId | undefined {
  return typeof value === 'string' && isProviderId(value) ? value : undefined;
}
