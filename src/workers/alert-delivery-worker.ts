import { Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { alertKey } from '../alerts/alert-item.ts';
import { createDigestCollector } from '../alerts/digest-collector.ts';
import { Pacer } from '../alerts/pacer.ts';
import type { Logger } from '../shared/logger.ts';
import type { Metrics } from '../shared/metrics.ts';
import type { AlertSink } from '../sinks/sink.ts';
import { cappedExponentialBackoff } from './backoff.ts';
import type { DeliveryRecords } from './delivery-records.ts';
import { DELIVERY_JOB_OPTIONS, alertOfJob, deliveryQueueName, type AlertJobData } from '../queue/contract.ts';
import { applyOutcome, isFinalFailure, jobOutcome } from './job-outcome.ts';
import { queueTelemetry } from '../tracing/queue-tracing.ts';
import { tracedCollector } from '../tracing/sink-tracing.ts';

export type DeliveryResult = { delivered: boolean; reason?: string };

type Deps = {
  sink: AlertSink;
  connection: Redis;
  prefix: string;
  records: DeliveryRecords;
  /** How long a delivery record lasts for an alert: the ingress' dedup window for its provider. */
  recordTtlMs: (data: AlertJobData) => number;
  logger: Logger;
  metrics: Metrics;
  /** Per message sent. */
  sendTimeoutMs: number;
  /** BullMQ lock and stall check: how soon a killed worker's jobs run elsewhere. */
  locks?: { lockDuration: number; stalledInterval: number };
};

/**
 * One worker per destination queue: a destination's outage, retries, pace and 429s never touch
 * another. Each job is one alert; the alerts of the jobs running at once wait in a collector and go
 * out at the destination's pace, alone or as digests (src/alerts/digest-collector.ts).
 */
export function createAlertDeliveryWorker(deps: Deps): { worker: Worker<AlertJobData, DeliveryResult>; queue: Queue; close(): void } {
  const { sink } = deps;
  const queueName = deliveryQueueName(sink.id);
  const queue = new Queue(queueName, { connection: deps.connection, prefix: deps.prefix, ...queueTelemetry() });
  queue.on('error', (error) => deps.logger.warn({ err: error, sink: sink.id }, 'delivery queue connection error'));
  const maxAttempts = DELIVERY_JOB_OPTIONS.attempts ?? 1;
  const pace = sink.policy.pace ?? { intervalMs: 0, digestMax: 1 };
  // Each message sent is a span: a child of its alert's job span, or a digest linking to each (src/tracing).
  const collector = tracedCollector(sink, (tracedSink) => createDigestCollector({
    sink: tracedSink,
    pacer: new Pacer(deps.connection, `${deps.prefix}:pace:${sink.id}`, pace.intervalMs),
    digestMax: pace.digestMax,
    sendTimeoutMs: deps.sendTimeoutMs,
    logger: deps.logger,
    metrics: deps.metrics,
  }));

  async function process(job: Job<AlertJobData, DeliveryResult>, token?: string): Promise<DeliveryResult> {
    const item = alertOfJob(job.data);
    const key = alertKey(item);
    if (sink.policy.recordDeliveries && (await deps.records.wasDelivered(sink.id, key))) {
      deps.metrics.deliveries.inc({ sink: sink.id, outcome: 'already_delivered' });
      return { delivered: false, reason: 'already delivered' };
    }
    try {
      await collector.deliver(item);
    } catch (error) {
      const outcome = jobOutcome(error);
      deps.metrics.deliveries.inc({ sink: sink.id, outcome: outcome.kind === 'rate_limited' ? 'rate_limited' : 'failed_attempt' });
      throw await applyOutcome(outcome, { job, token });
    }
    if (sink.policy.recordDeliveries) await deps.records.markDelivered(sink.id, key, deps.recordTtlMs(job.data), job.id ?? key);
    deps.metrics.deliveries.inc({ sink: sink.id, outcome: 'delivered' });
    if (item.kind === 'event') {
      deps.metrics.deliveredLatency.observe({ sink: sink.id }, (Date.now() - Date.parse(item.event.receivedAt)) / 1000);
    }
    return { delivered: true };
  }

  const worker = new Worker<AlertJobData, DeliveryResult>(queueName, process, {
    connection: deps.connection,
    prefix: deps.prefix,
    ...queueTelemetry(),
    concurrency: sink.policy.concurrency,
    maxStalledCount: 2,
    ...deps.locks,
    maxStartedAttempts: maxAttempts * 5,
    settings: { backoffStrategy: (attemptsMade: number) => cappedExponentialBackoff(attemptsMade) },
  });
  worker.on('error', (error) => deps.logger.warn({ err: error, sink: sink.id }, 'delivery worker error'));
  worker.on('failed', (job, error) => {
    if (!job) return;
    const log = { sink: sink.id, eventKey: alertKey(alertOfJob(job.data)), jobId: job.id, attemptsMade: job.attemptsMade, reason: error.message };
    if (isFinalFailure(job, error, maxAttempts)) {
      deps.metrics.deliveries.inc({ sink: sink.id, outcome: 'dead_letter' });
      deps.logger.error(log, 'delivery dead-lettered');
    } else {
      deps.logger.warn(log, 'delivery failed, will retry');
    }
  });
  return { worker, queue, close: () => collector.close() };
}
