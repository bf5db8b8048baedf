import { Redis, type RedisOptions } from 'ioredis';

/**
 * The ingress must answer 503 quickly while Redis is away, so its commands fail at once instead of
 * waiting in ioredis' offline queue; it keeps reconnecting in the background. Commands in flight when
 * the connection drops fail too rather than being re-sent on reconnect: the ingress retries through
 * its own paths (the provider's retry after a 503, the spool's drain).
 */
export function createIngressRedis(url: string): Redis {
  return new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 3_000,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
    lazyConnect: false,
  } satisfies RedisOptions);
}

/** Workers wait out a Redis outage: BullMQ requires `maxRetriesPerRequest: null` for them. */
export function createWorkerRedis(url: string): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: null,
    connectTimeout: 5_000,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
  } satisfies RedisOptions);
}
