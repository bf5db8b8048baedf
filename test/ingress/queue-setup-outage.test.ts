import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createQueueEventStore } from '../../src/ingress/event-store.ts';
import { QueueUnavailableError } from '../../src/shared/errors.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { createIngressRedis } from '../../src/shared/redis.ts';
import { LogCapture } from '../support/harness.ts';
import { KillableRedis } from '../support/killable-redis.ts';
import { freeRestartablePort } from '../support/services.ts';

/**
 * BullMQ sets a queue up once, with a version check against Redis. Redis dying during that check
 * used to leave the ingest queue failed for good (every enqueue refused while PING passed, the
 * spool never draining). Here Redis is held in DEBUG SLEEP while the store is created, then killed.
 */
let redis: KillableRedis;
const clients: Redis[] = [];
afterAll(async () => {
  for (const client of clients) client.disconnect();
  await redis.kill();
});

const event = (id: string) => ({
  provider: 'reachfive' as const,
  key: `reachfive:${id}`,
  receivedAt: new Date().toISOString(),
  body: JSON.stringify({ id }),
  headers: {},
});

describe('an ingest queue whose setup met a Redis outage', () => {
  it('is set up again, and stores events once Redis is back', async () => {
    redis = new KillableRedis(await freeRestartablePort(), ['--enable-debug-command', 'yes']);
    await redis.start();
    const connection = createIngressRedis(redis.url);
    connection.on('error', () => undefined);
    const sleeper = new Redis(redis.url);
    sleeper.on('error', () => undefined);
    clients.push(connection, sleeper);
    await new Promise<void>((resolve) => (connection.status === 'ready' ? resolve() : connection.once('ready', () => resolve())));

    // The server sleeps, so the queue's setup command waits; the kill then fails it.
    void sleeper.call('DEBUG', 'SLEEP', '2').catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const logs = new LogCapture();
    const store = createQueueEventStore({
      redis: connection,
      prefix: 'setup-outage',
      timeoutMs: 500,
      dedupWindowMs: () => 60_000,
      logger: createLogger('debug', logs),
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await redis.kill();
    await expect(store.store(event('down'))).rejects.toBeInstanceOf(QueueUnavailableError);

    await redis.start();
    let outcome: string | undefined;
    for (let attempt = 0; attempt < 40 && !outcome; attempt++) {
      outcome = await store.store(event('back')).catch(() => undefined);
      if (!outcome) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    // An earlier try may have been stored after its 503 (the timeout): then this one is its duplicate.
    expect(['accepted', 'duplicate']).toContain(outcome);
    const check = new Queue('ingest', { connection: new Redis(redis.url), prefix: 'setup-outage' });
    expect((await check.getJobs(['waiting'])).map((job) => job.data.key)).toEqual(['reachfive:back']);
    await check.close();
    await check.disconnect();
    expect(logs.text).toMatch(/ingest queue setup had failed; set up again/);
    await store.close();
  });
});
