import type { RequestHandler } from 'express';
import { dedupWindowMs, type Config } from '../config/config.ts';
import { PROVIDERS } from '../providers/registry.ts';
import { serve } from '../shared/http-server.ts';
import type { Logger } from '../shared/logger.ts';
import type { Metrics } from '../shared/metrics.ts';
import { createQueueDepthSource } from '../shared/queue-depth.ts';
import { createIngressRedis } from '../shared/redis.ts';
import { queueNames } from '../queue/contract.ts';
import { traceEventStore, traceWebhookRequests } from '../tracing/ingress-tracing.ts';
import { createApp } from './create-app.ts';
import type { ReadinessCheck } from './readiness.ts';
import { createQueueEventStore, type EventStore } from './event-store.ts';
import { openSpoolingEventStore } from './spool/open-spooling-event-store.ts';
import { checkReplicaAck } from './replica-ack-check.ts';

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
  /** Whether the local spool is on when SPOOL_ENABLED is unset: yes for the all-in-one process. */
  spoolByDefault?: boolean;
  /** The status page, mounted at /admin (the all-in-one process, when ADMIN_TOKEN is set). */
  admin?: RequestHandler;
};

export async function startIngress(options: IngressOptions): Promise<RunningIngress> {
  const { config, logger } = options;
  const redis = createIngressRedis(config.redis);
  redis.on('error', (error) => logger.debug({ err: error }, 'ingress redis error'));
  // WAIT blocks the connection it is sent on: with REDIS_MIN_REPLICAS_ACK the store writes (and
  // waits) on a connection of its own, so that readiness probes and queue depth do not queue behind it.
  const storeRedis = config.redisReplicaAck ? createIngressRedis(config.redis) : redis;
  if (storeRedis !== redis) storeRedis.on('error', (error) => logger.debug({ err: error }, 'ingress redis error'));
  await checkReplicaAck(storeRedis, config, logger).catch((error: unknown) => {
    storeRedis.disconnect();
    redis.disconnect();
    throw error;
  });
  const queueStore = createQueueEventStore({
    redis: storeRedis,
    prefix: config.queuePrefix,
    timeoutMs: config.enqueueTimeoutMs,
    logger,
    dedupWindowMs: (event) => dedupWindowMs(config, event.provider),
    replicaAck: config.redisReplicaAck,
  });
  const spooling = (config.spool.enabled ?? options.spoolByDefault ?? false)
    ? await openSpoolingEventStore({ inner: queueStore, config: config.spool, probe: () => redis.ping(), logger, metrics: options.metrics })
    : undefined;
  const store: EventStore = traceEventStore(spooling ?? queueStore);
  // Room for one more body of the largest size: the spool can still take whatever comes next.
  const spoolHasRoom = () => spooling !== undefined && spooling.stats().bytes + 2 * config.maxBodyBytes <= config.spool.maxBytes;
  const queueDepth = createQueueDepthSource({ connection: redis, prefix: config.queuePrefix, queueNames: queueNames(config) });
  const stopQueueDepth = options.metrics.useQueueDepthSource(queueDepth.read);
  const app = createApp({
    config,
    store,
    logger,
    metrics: options.metrics,
    readiness: [
      { name: 'redis', check: async () => void (await redis.ping()), standIn: () => (spoolHasRoom() ? 'spooling' : undefined) },
      ...(options.readiness ?? []),
    ],
    ...(options.now ? { now: options.now } : {}),
    ...(options.admin ? { admin: options.admin } : {}),
  });
  const server = await serve(traceWebhookRequests(app), config);
  const on = PROVIDERS.filter((provider) => config.credentials[provider.id]);
  const off = PROVIDERS.filter((provider) => !config.credentials[provider.id]);
  const endpoints = on.map((provider) => `POST /webhooks/${provider.id}`);
  logger.info({ port: server.port, endpoints, off: off.map((provider) => provider.id) }, `ingress listening on port ${server.port}: ${endpoints.length > 0 ? endpoints.join(', ') : 'no webhook endpoint'}`);
  if (on.length === 0) {
    logger.warn(
      { variables: off.map((provider) => provider.credential.variable) },
      `no provider is configured, so every webhook endpoint answers 404: set one of ${off.map((provider) => provider.credential.variable).join(', ')}`,
    );
  }

  let closing: Promise<void> | undefined;
  return {
    port: server.port,
    close() {
      closing ??= (async () => {
        await server.close();
        stopQueueDepth();
        await queueDepth.close();
        await store.close().catch((error: unknown) => logger.warn({ err: error }, 'closing the queue failed'));
        if (storeRedis !== redis) await storeRedis.quit().catch(() => storeRedis.disconnect());
        await redis.quit().catch(() => redis.disconnect());
      })();
      return closing;
    },
  };
}
