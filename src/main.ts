import type { Admin } from './admin/admin-router.ts';
import { loadConfig } from './config/load-config.ts';
import type { Config } from './config/config.ts';
import { join } from 'node:path';
import type { Db } from './db/db.ts';
import { createApp } from './ingress/create-app.ts';
import type { ReadinessCheck } from './ingress/readiness.ts';
import { startIngress } from './ingress/start-ingress.ts';
import { serve } from './shared/http-server.ts';
import { ConfigError, NoRedisError } from './shared/errors.ts';
import { createLogger, type Logger } from './shared/logger.ts';
import { defaultOrLocalRedis, isReachable } from './shared/local-redis.ts';
import { createMetrics } from './shared/metrics.ts';
import { RedisOutageReporter, reportRedisOutages } from './shared/redis.ts';
import { initTracing } from './tracing/tracing.ts';

const ROLES = ['all', 'ingress', 'worker'] as const;
type Role = (typeof ROLES)[number];

function parseRole(argument: string | undefined): Role {
  const role = argument ?? 'all';
  if ((ROLES as readonly string[]).includes(role)) return role as Role;
  process.stderr.write(`hookline: unknown process role "${role}"; expected one of ${ROLES.join(', ')}\n`);
  process.exit(2);
}

function readConfig(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`hookline: invalid configuration: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

/**
 * The status page needs the database, so the ingress process never serves it. It, the database and
 * the workers are imported only by the roles that run them: an ingress process never loads PGlite,
 * bull-board or the sinks.
 */
async function startAdmin(role: Role, config: Config, logger: Logger, db: Db | undefined): Promise<Admin | undefined> {
  if (!config.adminToken) return undefined;
  if (!db) {
    logger.warn({ role }, 'ADMIN_TOKEN is set but this process has no database: /admin is served by the worker and all-in-one processes');
    return undefined;
  }
  logger.info({ path: '/admin' }, 'status page on');
  const { createAdmin } = await import('./admin/admin-router.ts');
  return createAdmin({
    token: config.adminToken,
    db,
    redisUrl: config.redis,
    queuePrefix: config.queuePrefix,
    destinationIds: config.destinations.map((d) => d.id),
    logger,
  });
}

/**
 * `npm start` on a laptop with nothing running: the all-in-one process, with REDIS_URL unset and no
 * Redis at the default address, starts a persistent redis-server of its own under DATA_DIR, and when
 * none is installed it stops at once with one line saying so (see main's catch) rather than retrying
 * forever. Processes that run apart (ingress, worker) must share one Redis, so they never start one.
 */
async function withRedis(role: Role, config: Config, logger: Logger): Promise<{ config: Config; stop?: () => Promise<void> }> {
  if (!config.redisUrlIsDefault) return { config };
  if (role !== 'all') {
    const { hostname, port } = new URL(config.redisUrl);
    if (!(await isReachable(hostname, Number(port) || 6379))) {
      logger.warn({ redis: config.redisUrl, role }, `no Redis answers at ${config.redisUrl} (REDIS_URL unset); only the all-in-one process starts one of its own: start Redis there or set REDIS_URL`);
    }
    return { config };
  }
  const dir = join(config.dataDir, 'redis');
  const local = await defaultOrLocalRedis(config.redisUrl, dir);
  if (!local) return { config };
  logger.info({ redis: local.url, dir }, `no Redis at ${config.redisUrl} (REDIS_URL unset): started a redis-server of our own on ${local.url}, data in ${dir}`);
  return { config: Object.freeze({ ...config, redisUrl: local.url, redis: { kind: 'single', url: local.url } as const }), stop: local.stop };
}

async function main(): Promise<void> {
  const role = parseRole(process.argv[2]);
  const configured = readConfig();
  const logger = createLogger(configured.logLevel);
  // One account of Redis outages for all of this process' connections, instead of each one's errors.
  const outages = new RedisOutageReporter({ logger });
  reportRedisOutages(outages);
  const metrics = createMetrics();
  const closers: Array<() => Promise<void>> = [];
  const { config, stop: stopRedis } = await withRedis(role, configured, logger);
  closers.push(async () => outages.close());
  // Closed last: everything else still talks to it while closing.
  if (stopRedis) closers.push(stopRedis);
  // Before any queue or worker exists (BullMQ gets its telemetry option only when tracing is on);
  // flushed after everything else closed, so the last jobs' spans go out too.
  const tracing = await initTracing({ role });
  closers.push(() => tracing.shutdown());
  if (tracing.endpoint) logger.info({ endpoint: tracing.endpoint }, 'tracing on: spans go to OTLP/HTTP');

  let db: Db | undefined;
  const workerReadiness: ReadinessCheck[] = [];
  if (role !== 'ingress') {
    const [{ openDb }, { startWorkers }] = await Promise.all([import('./db/open-db.ts'), import('./workers/start-workers.ts')]);
    db = await openDb(config.database, logger);
    const opened = db;
    closers.unshift(() => opened.close());
    const workers = await startWorkers({ config, logger, metrics, db: opened });
    closers.unshift(() => workers.close());
    workerReadiness.push({ name: 'redis', check: () => workers.ping() });
  }
  const admin = await startAdmin(role, config, logger, db);
  if (admin) closers.unshift(() => admin.close());
  const database = db;
  const dbReadiness = database ? [{ name: 'database', check: async () => void (await database.query('select 1')) }] : [];
  if (role === 'worker') {
    // The worker serves only /healthz, /readyz and /metrics, for its container's probes.
    const app = createApp({ config, logger, metrics, readiness: [...workerReadiness, ...dbReadiness], admin: admin?.router });
    const server = await serve(app, config);
    closers.unshift(() => server.close());
  } else {
    const ingress = await startIngress({ config, logger, metrics, readiness: dbReadiness, spoolByDefault: role === 'all', admin: admin?.router });
    closers.unshift(() => ingress.close());
  }
  logger.info({ role }, 'hookline started');

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    // A last resort: whatever still hangs after the graceful bound is abandoned.
    setTimeout(() => process.exit(1), config.shutdownTimeoutMs + 5_000).unref();
    void (async () => {
      for (const close of closers) await close().catch((error: unknown) => logger.error({ err: error }, 'error while closing'));
      process.exit(0);
    })();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: unknown) => {
  if (error instanceof NoRedisError) {
    process.stderr.write(`hookline: ${error.message}\n`);
    process.exit(1);
  }
  process.stderr.write(`hookline: failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
