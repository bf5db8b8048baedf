import type { Worker } from 'bullmq';
import type { Config } from '../config/config.ts';
import type { Db } from '../db/db.ts';
import type { Logger } from '../shared/logger.ts';
import type { Metrics } from '../shared/metrics.ts';
import { createQueueDepthSource } from '../shared/queue-depth.ts';
import { createWorkerRedis } from '../shared/redis.ts';
import { createSinks } from '../sinks/registry.ts';
import type { Sink, SinkId } from '../sinks/sink.ts';
import { createDeliveryWorker } from './delivery-worker.ts';
import { DeliveryRecords } from './delivery-records.ts';
import { createNormalizeWorker } from './normalize-worker.ts';
import { queueNames } from './queues.ts';

export type RunningWorkers = {
  sinks: readonly Sink[];
  ping(): Promise<void>;
  /** Stops taking jobs, lets running ones finish within the shutdown timeout, then closes everything. */
  close(): Promise<void>;
};

export type WorkersOptions = {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  db: Db;
  /** Tests replace the sinks' own defaults (e.g. a Slack rate limit) here. */
  sinkOverrides?: { slackLimiter?: { max: number; duration: number } | null };
};

/** Slack and email cannot deduplicate by themselves: a delivery record stands in for them. */
const RECORDED_SINKS: ReadonlySet<SinkId> = new Set(['slack', 'email']);
const DELIVERY_TIMEOUT_MS = 20_000;
/** Short: a slow database should not hold normalize jobs; its own queue retries with backoff. */
const WRITE_IN_PLACE_TIMEOUT_MS = 5_000;

export async function startWorkers(options: WorkersOptions): Promise<RunningWorkers> {
  const { config, logger, metrics } = options;
  const connection = createWorkerRedis(config.redisUrl);
  connection.on('error', (error) => logger.debug({ err: error }, 'worker redis error'));
  const records = new DeliveryRecords(connection, config.queuePrefix);
  const sinks = createSinks({ database: options.db, slack: config.slack, email: config.email, logger });

  const locks = { lockDuration: config.workerLockDurationMs, stalledInterval: config.workerStalledIntervalMs };
  const normalizer = createNormalizeWorker({
    connection,
    prefix: config.queuePrefix,
    sinks,
    logger,
    metrics,
    concurrency: config.workerConcurrency,
    writeInPlace: sinks.find((sink) => sink.id === 'database'),
    writeTimeoutMs: WRITE_IN_PLACE_TIMEOUT_MS,
    locks,
  });

  const slackLimiter =
    options.sinkOverrides?.slackLimiter === undefined
      ? config.slack && { max: config.slack.maxPerSecond, duration: 1_000 }
      : (options.sinkOverrides.slackLimiter ?? undefined);

  const deliveries = sinks.map((sink) =>
    createDeliveryWorker({
      sink,
      connection,
      prefix: config.queuePrefix,
      records: RECORDED_SINKS.has(sink.id) ? records : undefined,
      recordTtlMs: (job) =>
        1000 * (job.event.provider === 'personaclick' ? config.personaclickDedupWindowSeconds : config.dedupWindowSeconds),
      logger,
      metrics,
      concurrency: sink.id === 'database' ? config.workerConcurrency : sink.id === 'slack' ? 1 : 4,
      timeoutMs: DELIVERY_TIMEOUT_MS,
      locks,
      ...(sink.id === 'slack' && slackLimiter ? { limiter: slackLimiter } : {}),
    }),
  );
  const queueDepth = createQueueDepthSource({ connection, prefix: config.queuePrefix, queueNames: queueNames(config) });
  const stopQueueDepth = metrics.useQueueDepthSource(queueDepth.read);
  logger.info({ sinks: sinks.map((sink) => sink.id) }, 'workers started');

  const workers: Worker[] = [normalizer.worker, ...deliveries.map((d) => d.worker)];
  let closing: Promise<void> | undefined;
  return {
    sinks,
    async ping() {
      await connection.ping();
    },
    close() {
      closing ??= (async () => {
        await Promise.all(workers.map((worker) => closeWorker(worker, config.shutdownTimeoutMs, logger)));
        stopQueueDepth();
        await Promise.allSettled([normalizer.flow.close(), ...deliveries.map((d) => d.queue.close()), queueDepth.close()]);
        await Promise.allSettled(sinks.map((sink) => sink.close()));
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
