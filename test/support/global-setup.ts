import type {} from 'vitest';
import type { TestProject } from 'vitest/node';
import { isReachable, startPrivatePostgres, startPrivateRedis, type StartedService } from './services.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
    /** Empty when no PostgreSQL could be reached or started: PostgreSQL-only tests then skip loudly. */
    databaseUrl: string;
  }
}

const started: StartedService[] = [];

function hostPort(url: string, defaultPort: number): [string, number] {
  const parsed = new URL(url);
  return [parsed.hostname || '127.0.0.1', parsed.port ? Number(parsed.port) : defaultPort];
}

export async function setup(project: TestProject): Promise<void> {
  let redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
  if (!(await isReachable(...hostPort(redisUrl, 6379)))) {
    const redis = await startPrivateRedis();
    started.push(redis);
    redisUrl = redis.url;
  }

  let databaseUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  // TEST_DATABASE_URL=none: run as on a machine without PostgreSQL (the embedded database only).
  if (databaseUrl === 'none') {
    databaseUrl = '';
  } else if (!(await isReachable(...hostPort(databaseUrl, 5432)))) {
    const postgres = await startPrivatePostgres();
    if (postgres) {
      started.push(postgres);
      databaseUrl = postgres.url;
    } else {
      console.warn('[hookline tests] no PostgreSQL reachable or startable: PostgreSQL tests are skipped, PGlite tests run');
      databaseUrl = '';
    }
  }

  project.provide('redisUrl', redisUrl);
  project.provide('databaseUrl', databaseUrl);
}

export async function teardown(): Promise<void> {
  await Promise.all(started.map((service) => service.stop()));
}
