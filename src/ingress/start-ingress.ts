import type { Config } from '../config/config.ts';
import { serve } from '../shared/http-server.ts';
import type { Logger } from '../shared/logger.ts';
import type { Metrics } from '../shared/metrics.ts';
import { createIngressRedis } from '../shared/redis.ts';
import { createApp, type ReadinessCheck } from './create-app.ts';
import { createQueueEventStore } from './event-store.ts';

export type RunningIngress = {
  port: number;
  /** Stops accepting, lets in-flight requests finish (bounded), then closes the queue. */
  close(): Promise<void>;
};

export type IngressOptions = {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  /** Extra readiness checks, e.g. the database in the all-in-one process. */
  readiness?: readonly ReadinessCheck[];
  now?: () => number;
};

export async function startIngress(options: IngressOptions): Promise<RunningIngress> {
  const { config, logger } = options;
  const redis = createIngressRedis(config.redisUrl);
  redis.on('error', (error) => logger.debug({ err: error }, 'ingress redis error'));
  const store = createQueueEventStore({
    redis,
    prefix: config.queuePrefix,
    timeoutMs: config.enqueueTimeoutMs,
    logger,
    dedupWindowMs: (event) =>
      1000 * (event.provider === 'personaclick' ? config.personaclickDedupWindowSeconds : config.dedupWindowSeconds),
  });
  const app = createApp({
    config,
    store,
    logger,
    metrics: options.metrics,
    readiness: [{ name: 'redis', check: async () => void (await redis.ping()) }, ...(options.readiness ?? [])],
    ...(options.now ? { now: options.now } : {}),
  });
  const server = await serve(app, config);
  logger.info({ port: server.port, providers: Object.keys(config.credentials) }, 'ingress listening');

  let closing: Promise<void> | undefined;
  return {
    port: server.port,
    close() {
      closing ??= (async () => {
        await server.close();
        await store.close().catch((error: unknown) => logger.warn({ err: error }, 'closing the queue failed'));
        await redis.quit().catch(() => redis.disconnect());
      })();
      return closing;
    },
  };
}
