import { FlowProducer, Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { AlertNotes } from '../alerts/alert-item.ts';
import { SinkError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import type { Metrics } from '../shared/metrics.ts';
import type { DatabaseSink } from '../sinks/database.ts';
import type { AlertSink, Delivery } from '../sinks/sink.ts';
import { alertJobs } from './alert-fan-out.ts';
import { cappedExponentialBackoff } from './backoff.ts';
import { createBatcher } from './batcher.ts';
import { countIncidents, type NormalizeResult } from './normalize-worker.ts';
import { DATABASE_QUEUE, DELIVERY_JOB_OPTIONS, type DatabaseJobData } from '../queue/contract.ts';
import { applyOutcome, isFinalFailure, jobOutcome } from './job-outcome.ts';
import { queueTelemetry } from '../tracing/queue-tracing.ts';
import { traceDatabaseWrite } from '../tracing/sink-tracing.ts';

const MAX_BATCH = 500;

type Deps = {
  database: DatabaseSink;
  alerts: readonly AlertSink[];
  connection: Redis;
  prefix: string;
  logger: Logger;
  metrics: Metrics;
  concurrency: number;
  timeoutMs: number;
  locks?: { lockDuration: number; stalledInterval: number };
};

/**
 * The database's own queue: events whose write in place failed, retried with backoff, batched
 * across the jobs running at once. Their alerts went out plain when the write failed; once the
 * write succeeds, what only the incidents could tell (a recovery, the end of a stuck run) goes to
 * the destinations that want it — a destination that already has the event's job keeps that one.
 */
export function createDatabaseDeliveryWorker(deps: Deps): { worker: Worker<DatabaseJobData, Pick<NormalizeResult, 'notes'>>; queue: Queue; flow: FlowProducer } {
  const queue = new Queue(DATABASE_QUEUE, { connection: deps.connection, prefix: deps.prefix, ...queueTelemetry() });
  queue.on('error', (error) => deps.logger.warn({ err: error, sink: 'database' }, 'delivery queue connection error'));
  const flow = new FlowProducer({ connection: deps.connection, prefix: deps.prefix, ...queueTelemetry() });
  flow.on('error', (error) => deps.logger.warn({ err: error }, 'fan-out connection error'));
  const maxAttempts = DELIVERY_JOB_OPTIONS.attempts ?? 1;
  const write = createBatcher<Delivery, AlertNotes | undefined>(
    async (batch) => {
      const notes = await deps.database.write(batch, AbortSignal.timeout(deps.timeoutMs));
      return batch.map((delivery) => notes.get(delivery.event.id));
    },
    { maxBatch: MAX_BATCH, maxInFlight: 2, splitOnError: (error) => error instanceof SinkError && !error.retryable },
  );

  async function process(job: Job<DatabaseJobData, Pick<NormalizeResult, 'notes'>>, token?: string): Promise<Pick<NormalizeResult, 'notes'>> {
    const { event } = job.data;
    let notes: AlertNotes | undefined;
    try {
      notes = await traceDatabaseWrite(event, 'queue', () => write({ event, raw: job.data.raw ?? '' }));
    } catch (error) {
      const outcome = jobOutcome(error);
      deps.metrics.deliveries.inc({ sink: 'database', outcome: outcome.kind === 'rate_limited' ? 'rate_limited' : 'failed_attempt' });
      throw await applyOutcome(outcome, { job, token });
    }
    deps.metrics.deliveries.inc({ sink: 'database', outcome: 'delivered' });
    deps.metrics.deliveredLatency.observe({ sink: 'database' }, (Date.now() - Date.parse(event.receivedAt)) / 1000);
    countIncidents(deps.metrics, notes);
    if (notes?.recovered || notes?.unstuck) {
      const late = alertJobs({ kind: 'event', event, notes }, deps.alerts, job.data.ingestJobId);
      if (late.length > 0) await flow.addBulk(late);
    }
    return notes ? { notes } : {};
  }

  const worker = new Worker<DatabaseJobData, Pick<NormalizeResult, 'notes'>>(DATABASE_QUEUE, process, {
    connection: deps.connection,
    prefix: deps.prefix,
    ...queueTelemetry(),
    concurrency: deps.concurrency,
    maxStalledCount: 2,
    ...deps.locks,
    maxStartedAttempts: maxAttempts * 5,
    settings: { backoffStrategy: (attemptsMade: number) => cappedExponentialBackoff(attemptsMade) },
  });
  worker.on('error', (error) => deps.logger.warn({ err: error, sink: 'database' }, 'delivery worker error'));
  worker.on('failed', (job, error) => {
    if (!job) return;
    const log = { sink: 'database', eventKey: job.data.event.id, jobId: job.id, attemptsMade: job.attemptsMade, reason: error.message };
    if (isFinalFailure(job, error, maxAttempts)) {
      deps.metrics.deliveries.inc({ sink: 'database', outcome: 'dead_letter' });
      deps.logger.error(log, 'delivery dead-lettered');
    } else {
      deps.logger.warn(log, 'delivery failed, will retry');
    }
  });
  return { worker, queue, flow };
}
