import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { SinkError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import type { Metrics } from '../shared/metrics.ts';
import type { Delivery, Sink } from '../sinks/sink.ts';
import { createBatcher } from './batcher.ts';
import { cappedExponentialBackoff } from './backoff.ts';
import type { DeliveryRecords } from './delivery-records.ts';
import { DELIVERY_JOB_OPTIONS, deliveryQueueName, type DeliveryJobData } from './queues.ts';
import { toBullmqError } from './to-bullmq-error.ts';

const MAX_BATCH = 500;

export type DeliveryResult = { delivered: boolean; reason?: string };

type Deps = {
  sink: Sink;
  connection: Redis;
  prefix: string;
  /** Set for sinks that cannot deduplicate by themselves (Slack, email). */
  records: DeliveryRecords | undefined;
  /** How long a delivery record lasts for an event: the ingress' dedup window for its provider. */
  recordTtlMs: (job: DeliveryJobData) => number;
  logger: Logger;
  metrics: Metrics;
  concurrency: number;
  /** A queue-wide rate limit, shared by every worker process (Slack: ~1 message per second). */
  limiter?: { max: number; duration: number };
  timeoutMs: number;
  /** BullMQ lock and stall check: how soon a killed worker's jobs run elsewhere. */
  locks?: { lockDuration: number; stalledInterval: number };
};

/** One worker per sink queue: a sink's outage, retries and rate limit never touch the other sinks. */
export function createDeliveryWorker(deps: Deps): { worker: Worker<DeliveryJobData, DeliveryResult>; queue: Queue } {
  const { sink } = deps;
  const queueName = deliveryQueueName(sink.id);
  const queue = new Queue(queueName, { connection: deps.connection, prefix: deps.prefix });
  queue.on('error', (error) => deps.logger.warn({ err: error, sink: sink.id }, 'delivery queue connection error'));
  const maxAttempts = DELIVERY_JOB_OPTIONS.attempts ?? 1;
  // A sink that can write many events at once (the database) gets the jobs running concurrently in
  // this process as one batch: one round trip instead of one per event.
  const deliverBatch = sink.deliverBatch?.bind(sink);
  const deliver = deliverBatch
    ? createBatcher<Delivery>((batch) => deliverBatch(batch, AbortSignal.timeout(deps.timeoutMs)), {
        maxBatch: MAX_BATCH,
        maxInFlight: 2,
        splitOnError: (error) => error instanceof SinkError && !error.retryable,
      })
    : (delivery: Delivery) => sink.deliver(delivery, AbortSignal.timeout(deps.timeoutMs));

  async function process(job: Job<DeliveryJobData, DeliveryResult>, token?: string): Promise<DeliveryResult> {
    const { event } = job.data;
    if (deps.records && (await deps.records.wasDelivered(sink.id, event.id))) {
      deps.metrics.deliveries.inc({ sink: sink.id, outcome: 'already_delivered' });
      return { delivered: false, reason: 'already delivered' };
    }
    try {
      await deliver({ event, raw: job.data.raw ?? '' });
    } catch (error) {
      const mapped = await toBullmqError(error, { job, token, queue, rateLimited: deps.limiter !== undefined });
      const outcome = mapped.name === 'RateLimitError' || mapped.name === 'DelayedError' ? 'rate_limited' : 'failed_attempt';
      deps.metrics.deliveries.inc({ sink: sink.id, outcome });
      throw mapped;
    }
    if (deps.records) await deps.records.markDelivered(sink.id, event.id, deps.recordTtlMs(job.data), job.id ?? event.id);
    deps.metrics.deliveries.inc({ sink: sink.id, outcome: 'delivered' });
    deps.metrics.deliveredLatency.observe({ sink: sink.id }, (Date.now() - Date.parse(event.receivedAt)) / 1000);
    return { delivered: true };
  }

  const worker = new Worker<DeliveryJobData, DeliveryResult>(queueName, process, {
    connection: deps.connection,
    prefix: deps.prefix,
    concurrency: deps.concurrency,
    maxStalledCount: 2,
    ...deps.locks,
    // Rate-limited retries do not spend attempts; this bounds how often one job can be started at all.
    maxStartedAttempts: maxAttempts * 5,
    settings: { backoffStrategy: (attemptsMade: number) => cappedExponentialBackoff(attemptsMade) },
    ...(deps.limiter ? { limiter: deps.limiter } : {}),
  });
  worker.on('error', (error) => deps.logger.warn({ err: error, sink: sink.id }, 'delivery worker error'));
  worker.on('failed', (job, error) => {
    if (!job) return;
    const log = { sink: sink.id, eventKey: job.data.event.id, jobId: job.id, attemptsMade: job.attemptsMade, reason: error.message };
    const dead = error instanceof UnrecoverableError || error.name === 'UnrecoverableError' || job.attemptsMade >= maxAttempts;
    if (dead) {
      deps.metrics.deliveries.inc({ sink: sink.id, outcome: 'dead_letter' });
      deps.logger.error(log, 'delivery dead-lettered');
    } else {
      deps.logger.warn(log, 'delivery failed, will retry');
    }
  });
  return { worker, queue };
}
