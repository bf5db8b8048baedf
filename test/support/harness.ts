import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { inject } from 'vitest';
import type { Config } from '../../src/config/config.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { startIngress, type RunningIngress } from '../../src/ingress/start-ingress.ts';
import { createLogger, type Logger } from '../../src/shared/logger.ts';
import { createMetrics } from '../../src/shared/metrics.ts';
import { INGEST_QUEUE } from '../../src/queue/contract.ts';
import { CREDENTIAL_ENV } from './signing.ts';

/** Every log line a test's processes wrote, for assertions (e.g. that no secret was logged). */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    callback();
  }
  get text(): string {
    return this.lines.join('\n');
  }
}

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({
    REDIS_URL: inject('redisUrl'),
    QUEUE_PREFIX: `t${randomUUID().slice(0, 8)}`,
    PORT: '0',
    HOST: '127.0.0.1',
    SHUTDOWN_TIMEOUT_MS: '2000',
    LOG_LEVEL: 'debug',
    ...CREDENTIAL_ENV,
    ...env,
  });
}

export type TestIngress = {
  config: Config;
  baseUrl: string;
  ingress: RunningIngress;
  logs: LogCapture;
  logger: Logger;
  queue: Queue;
  redis: Redis;
  close(): Promise<void>;
};

/** An ingress on a free port with its own queue prefix, and a handle on its queue for assertions. */
export async function startTestIngress(env: Record<string, string> = {}, now?: () => number): Promise<TestIngress> {
  const config = testConfig(env);
  const logs = new LogCapture();
  const logger = createLogger(config.logLevel, logs);
  const ingress = await startIngress({ config, logger, metrics: createMetrics({ defaultMetrics: false }), ...(now ? { now } : {}) });
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue(INGEST_QUEUE, { connection: redis, prefix: config.queuePrefix });
  return {
    config,
    baseUrl: `http://127.0.0.1:${ingress.port}`,
    ingress,
    logs,
    logger,
    queue,
    redis,
    async close() {
      await ingress.close();
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
      redis.disconnect();
    },
  };
}
