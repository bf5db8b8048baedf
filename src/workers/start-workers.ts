import type { Worker } from 'bullmq';
import { dedupWindowMs, type Config } from '../config/config.ts';
import type { Db } from '../db/db.ts';
import type { Logger } from '../shared/logger.ts';
import type { Metrics } from '../shared/metrics.ts';
import { createQueueDepthSource } from '../shared/queue-depth.ts';
import { createWorkerRedis } from '../shared/redis.ts';
import { createSinks } from '../sinks/registry.ts';
import type { AlertSink } from '../sinks/sink.ts';
import type { AlertJobData } from '../queue/contract.ts';
import { alertOfJob, queueNames } from '../queue/contract.ts';
import { createAlertDeliveryWorker } from './alert-delivery-worker.ts';
import { createDatabaseDeliveryWorker } from './database-delivery-worker.ts';
import { DeliveryRecords } from './delivery-records.ts';
import { createNormalizeWorker } from './normalize-worker.ts';
import { watchEventLoop } from './event-loop-watch.ts';
import { createStuckCheckWorker } from './stuck-check-worker.ts';

export type RunningWorkers = {
  alerts: readonly AlertSink[];
  ping(): Promise<void>;
  /** Stops taking jobs, lets running ones finish within the shutdown timeout, then closes everything. */
  close(): Promise<void>;
};

export type WorkersOptions = {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  db: Db;
};

/** Per message or write: Slack and SMTP have their own, shorter bounds inside it. */
const DELIVERY_TIMEOUT_MS = 20_000;
/** Short: a slow database should not hold normalize jobs; its own queue retries with backoff. */
const WRITE_IN_PLACE_TIMEOUT_MS = 5_000;

export async function startWorkers(options: WorkersOptions): Promise<RunningWorkers> {
  const { config, logger, metrics } = options;
  const connection = createWorkerRedis(config.redis);
  connection.on('error', (error) => logger.debug({ err: error }, 'worker redis error'));
  const records = new DeliveryRecords(connection, config.queuePrefix);
  const { database, alerts } = createSinks({
    database: options.db,
    destinations: config.destinations,
    message: { publicUrl: config.alerts.publicUrl },
    logger,
  });

  const locks = { lockDuration: config.workerLockDurationMs, stalledInterval: config.workerStalledIntervalMs };
  const common = { connection, prefix: config.queuePrefix, logger, metrics, locks };
  const normalizer = createNormalizeWorker({
    ...common,
    database,
    alerts,
    concurrency: config.workerConcurrency,
    writeTimeoutMs: WRITE_IN_PLACE_TIMEOUT_MS,
  });
  const databaseQueue = createDatabaseDeliveryWorker({
    ...common,
    database,
    alerts,
    concurrency: config.workerConcurrency,
    timeoutMs: DELIVERY_TIMEOUT_MS,
  });
  const recordTtlMs = (data: AlertJobData) => {
    const item = alertOfJob(data);
    const provider = item.kind === 'event' ? item.event.provider : item.report.provider;
    return dedupWindowMs(config, provider);
  };
  const deliveries = alerts.map((sink) =>
    createAlertDeliveryWorker({ ...common, sink, records, recordTtlMs, sendTimeoutMs: DELIVERY_TIMEOUT_MS }),
  );
  const stuck = createStuckCheckWorker({
    ...common,
    db: options.db,
    alerts,
    thresholds: config.alerts.stuckAfterSeconds,
    intervalMs: config.alerts.stuckCheckIntervalMs,
  });
  const queueDepth = createQueueDepthSource({ connection, prefix: config.queuePrefix, queueNames: queueNames(config) });
  const stopQueueDepth = metrics.useQueueDepthSource(queueDepth.read);
  logger.info(
    {
      destinations: alerts.map((sink) => ({ id: sink.id, kind: sink.kind, perMessageMs: sink.policy.pace?.intervalMs, digestMax: sink.policy.pace?.digestMax })),
      stuckAfterSeconds: config.alerts.stuckAfterSeconds,
    },
    'workers started',
  );

  const workers: Worker[] = [normalizer.worker, databaseQueue.worker, ...deliveries.map((d) => d.worker), stuck.worker];
  // This process' stall check found a job whose lock lapsed (its worker killed, or not renewing it).
  for (const worker of workers) {
    worker.on('stalled', (jobId) => logger.warn({ queue: worker.name, jobId }, 'job stalled (its lock lapsed): back in its queue, to run again'));
  }
  const eventLoop = watchEventLoop({ lockDurationMs: config.workerLockDurationMs, logger });
  let closing: Promise<void> | undefined;
  return {
    alerts,
    async ping() {
      await connection.ping();
    },
    close() {
      closing ??= (async () => {
        await Promise.all(workers.map((worker) => closeWorker(worker, config.shutdownTimeoutMs, logger)));
        eventLoop.stop();
        for (const delivery of deliveries) delivery.close();
        stopQueueDepth();
        await Promise.allSettled([
          normalizer.flow.close(),
          databaseQueue.queue.close(),
          databaseQueue.flow.close(),
          ...deliveries.map((d) => d.queue.close()),
          stuck.ready.catch(() => undefined).then(() => Promise.all([stuck.queue.close(), stuck.flow.close()])),
          queueDepth.close(),
        ]);
        await Promise.allSettled(alerts.map((sink) => sink.close()));
        await connection.quit().catch(() => connection.disconnect());
      })();
      return closing;
    },
  };
}

/** close() waits for running jobs without a limit of its own; a hung job must not hold the process. */
async function closeWorker(worker: Worker, timeoutMs: number, logger: Logger): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const result = await Promise.race([worker.close().then(() => 'closed' as const), timedOut]);
  clearTimeout(timer);
  if (result === 'timeout') {
    logger.warn({ queue: worker.name }, 'jobs still running at shutdown; they will be picked up again as stalled');
    await worker.close(true);
  }
}
