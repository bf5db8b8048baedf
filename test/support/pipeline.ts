import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import { inject } from 'vitest';
import type { Config } from '../../src/config/config.ts';
import type { Db } from '../../src/db/db.ts';
import { openDb } from '../../src/db/open-db.ts';
import { startIngress, type RunningIngress } from '../../src/ingress/start-ingress.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { createMetrics, type Metrics } from '../../src/shared/metrics.ts';
import { INGEST_QUEUE, deliveryQueueName } from '../../src/queue/contract.ts';
import { startWorkers, type RunningWorkers } from '../../src/workers/start-workers.ts';
import { LogCapture, testConfig } from './harness.ts';

export type TestPipeline = {
  config: Config;
  baseUrl: string;
  db: Db;
  logs: LogCapture;
  metrics: Metrics;
  ingress: RunningIngress;
  workers: RunningWorkers;
  queues: { ingest: Queue; database: Queue; slack: Queue; email: Queue };
  redis: Redis;
  close(): Promise<void>;
};

/** A fresh PostgreSQL schema for one test file, dropped by the returned function. */
export async function createTestSchema(): Promise<{ url: string; schema: string; drop: () => Promise<void> }> {
  const url = inject('databaseUrl');
  const schema = `t_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  return {
    url,
    schema,
    async drop() {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query(`drop schema if exists ${schema} cascade`);
      await client.end();
    },
  };
}

/**
 * Where a test's events go: a fresh PostgreSQL schema when PostgreSQL is reachable, else the
 * embedded database in a temporary DATA_DIR, so that pipeline tests run on every machine.
 */
export async function createTestDatabase(): Promise<{ env: Record<string, string>; kind: 'postgres' | 'embedded'; drop: () => Promise<void> }> {
  if (inject('databaseUrl')) {
    const schema = await createTestSchema();
    return { env: { DATABASE_URL: schema.url, DATABASE_SCHEMA: schema.schema }, kind: 'postgres', drop: schema.drop };
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'hookline-test-db-'));
  return { env: { DATA_DIR: dataDir }, kind: 'embedded', drop: () => rm(dataDir, { recursive: true, force: true }) };
}

/**
 * Ingress and workers in this process, on their own queue prefix and database schema (or an
 * in-memory embedded database), with whatever sinks `env` configures.
 */
export async function startTestPipeline(env: Record<string, string>): Promise<TestPipeline> {
  const config = testConfig(env);
  const logs = new LogCapture();
  const logger = createLogger(config.logLevel, logs);
  const metrics = createMetrics({ defaultMetrics: false });
  const db = await openDb(config.database, logger);
  const workers = await startWorkers({ config, logger, metrics, db });
  const ingress = await startIngress({ config, logger, metrics });
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
  const queue = (name: string) => new Queue(name, { connection: redis, prefix: config.queuePrefix });
  const queues = {
    ingest: queue(INGEST_QUEUE),
    database: queue(deliveryQueueName('database')),
    slack: queue(deliveryQueueName('slack')),
    email: queue(deliveryQueueName('email')),
  };
  return {
    config,
    baseUrl: `http://127.0.0.1:${ingress.port}`,
    db,
    logs,
    metrics,
    ingress,
    workers,
    queues,
    redis,
    async close() {
      await ingress.close();
      await workers.close();
      await db.close();
      for (const q of Object.values(queues)) {
        await q.obliterate({ force: true }).catch(() => undefined);
        await q.close();
      }
      redis.disconnect();
    },
  };
}

export async function waitFor<T>(probe: () => Promise<T | undefined | false>, timeoutMs = 15_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
