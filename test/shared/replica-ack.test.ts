import { afterAll, describe, expect, it } from 'vitest';
import { createQueueEventStore } from '../../src/ingress/event-store.ts';
import { QueueUnavailableError } from '../../src/shared/errors.ts';
import { startRedisServer, type RedisServer } from '../../src/shared/local-redis.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { createIngressRedis } from '../../src/shared/redis.ts';

/** REDIS_MIN_REPLICAS_ACK at the store: stored means "the replicas said so", else 503 (or the spool). */
const servers: RedisServer[] = [];
afterAll(async () => {
  await Promise.allSettled(servers.map((server) => server.kill()));
});

const event = (id: string) => ({ provider: 'reachfive' as const, key: `reachfive:${id}`, receivedAt: new Date().toISOString(), body: JSON.stringify({ id }), headers: {} });

describe('the ingest store with REDIS_MIN_REPLICAS_ACK', () => {
  it('accepts once a replica holds the event, refuses (QueueUnavailableError) when none acknowledges in time', async () => {
    const primary = await startRedisServer();
    servers.push(primary);
    const replica = await startRedisServer({ args: ['--replicaof', '127.0.0.1', String(primary.port)] });
    servers.push(replica);
    const probe = createIngressRedis(replica.url);
    for (let i = 0; i < 100 && !/master_link_status:up/.test(await probe.info('replication').catch(() => '')); i++) await new Promise((r) => setTimeout(r, 100));
    probe.disconnect();

    const connection = createIngressRedis(primary.url);
    connection.on('error', () => undefined);
    await new Promise((resolve) => (connection.status === 'ready' ? resolve(undefined) : connection.once('ready', resolve)));
    const store = createQueueEventStore({
      redis: connection,
      prefix: 'replica-ack',
      timeoutMs: 2_000,
      logger: createLogger('silent'),
      dedupWindowMs: () => 60_000,
      replicaAck: { replicas: 1, timeoutMs: 300 },
    });
    try {
      expect(await store.store(event('a'))).toBe('accepted');
      expect(await store.store(event('a'))).toBe('duplicate');
      // Two replicas asked of one: never enough.
      const strict = createQueueEventStore({
        redis: connection, prefix: 'replica-ack', timeoutMs: 2_000, logger: createLogger('silent'), dedupWindowMs: () => 60_000, replicaAck: { replicas: 2, timeoutMs: 200 },
      });
      const refused = await strict.store(event('b')).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(QueueUnavailableError);
      expect((refused as Error).message).toBe('only 1 of 2 Redis replicas acknowledged the event within 200 ms');
      await strict.close();

      await replica.kill();
      const started = Date.now();
      const lost = await store.store(event('c')).catch((error: unknown) => error);
      expect(lost).toBeInstanceOf(QueueUnavailableError);
      expect((lost as QueueUnavailableError).message).toMatch(/^only 0 of 1 Redis replicas acknowledged/);
      expect(Date.now() - started).toBeLessThan(1_500);
    } finally {
      await store.close();
      connection.disconnect();
    }
  });
});
