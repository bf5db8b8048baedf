import { FlowProducer, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { NormalizedEvent } from '../normalizers/normalized-event.ts';
import { normalize } from '../normalizers/registry.ts';
import { NormalizeError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import type { Metrics } from '../shared/metrics.ts';
import type { Sink } from '../sinks/sink.ts';
import {
  DELIVERY_JOB_OPTIONS,
  INGEST_QUEUE,
  deliveryQueueName,
  type DeliveryJobData,
  type IngestJobData,
} from './queues.ts';

export type NormalizeResult = { eventId: string; status: NormalizedEvent['status']; sinks: string[] };

type Deps = {
  connection: Redis;
  prefix: string;
  sinks: readonly Sink[];
  logger: Logger;
  metrics: Metrics;
  concurrency: number;
};

/** The delivery job id is derived from the ingest job, so a retried ingest job never adds a second one. */
export function deliveryJobId(ingestJobId: string, sink: string): string {
  return `${ingestJobId}-${sink}`;
}

/**
 * Normalizes each ingested event and fans it out: one delivery job per sink that wants it, added in
 * one transaction (FlowProducer leaf jobs) so either every sink gets its job or none does.
 * An event that cannot be normalized fails at once and stays in the failed set with its raw body.
 */
export function createNormalizeWorker(deps: Deps): { worker: Worker<IngestJobData, NormalizeResult>; flow: FlowProducer } {
  const flow = new FlowProducer({ connection: deps.connection, prefix: deps.prefix });
  flow.on('error', (error) => deps.logger.warn({ err: error }, 'fan-out connection error'));

  async function process(job: Job<IngestJobData, NormalizeResult>): Promise<NormalizeResult> {
    const raw = job.data;
    let event: NormalizedEvent;
    try {
      event = normalize(raw);
    } catch (error) {
      if (!(error instanceof NormalizeError)) throw error;
      deps.metrics.normalized.inc({ provider: raw.provider, outcome: 'unnormalizable' });
      deps.logger.warn({ eventKey: raw.key, provider: raw.provider, jobId: job.id, reason: error.message }, 'event kept as unnormalizable');
      throw new UnrecoverableError(error.message);
    }
    const jobId = job.id ?? raw.key;
    const targets = deps.sinks.filter((sink) => sink.accepts(event));
    if (targets.length > 0) {
      await flow.addBulk(
        targets.map((sink) => ({
          name: event.provider,
          queueName: deliveryQueueName(sink.id),
          // Only the database keeps the raw body; the other sinks need not carry it through Redis.
          data: { event, ingestJobId: jobId, ...(sink.id === 'database' ? { raw: raw.body } : {}) } satisfies DeliveryJobData,
          opts: { ...DELIVERY_JOB_OPTIONS, jobId: deliveryJobId(jobId, sink.id) },
        })),
      );
    }
    deps.metrics.normalized.inc({ provider: raw.provider, outcome: 'normalized' });
    deps.logger.debug({ eventKey: event.id, status: event.status, sinks: targets.map((s) => s.id) }, 'event normalized');
    return { eventId: event.id, status: event.status, sinks: targets.map((sink) => sink.id) };
  }

  const worker = new Worker<IngestJobData, NormalizeResult>(INGEST_QUEUE, process, {
    connection: deps.connection,
    prefix: deps.prefix,
    concurrency: deps.concurrency,
    maxStalledCount: 2,
  });
  worker.on('error', (error) => deps.logger.warn({ err: error }, 'normalize worker error'));
  return { worker, flow };
}
