import { createAdmin, type Admin, type AdminOptions } from '../../src/admin/admin-router.ts';
import type { Config } from '../../src/config/config.ts';
import { createApp } from '../../src/ingress/create-app.ts';
import { serve } from '../../src/shared/http-server.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { LogCapture } from '../support/harness.ts';
import { startTestPipeline, type TestPipeline } from '../support/pipeline.ts';

/** Strong, as loadConfig demands of ADMIN_TOKEN (at least 24 characters of several kinds). */
export const ADMIN_TOKEN = 'hl-Admin-Test-7Qz9xKp2WvL8nR3m';

export type AdminPipeline = TestPipeline & { adminUrl: string; admin: Admin };

export type ServedAdmin = { adminUrl: string; admin: Admin; logs: LogCapture; close(): Promise<void> };

export type ServeAdminOptions = {
  token?: string;
  /** Another install's prefix (its own sessions and login counts); the pipeline's by default. */
  queuePrefix?: string;
  loginLimit?: AdminOptions['loginLimit'];
  trustProxy?: Config['trustProxy'];
  logs?: LogCapture;
};

/** /admin served the way the worker process serves it (createApp with the admin router), on its own port. */
export async function serveAdmin(p: TestPipeline, options: ServeAdminOptions = {}): Promise<ServedAdmin> {
  const logs = options.logs ?? p.logs;
  const logger = createLogger('debug', logs);
  const admin = createAdmin({
    token: options.token ?? ADMIN_TOKEN,
    db: p.db,
    redisUrl: p.config.redisUrl,
    queuePrefix: options.queuePrefix ?? p.config.queuePrefix,
    logger,
    ...(options.loginLimit ? { loginLimit: options.loginLimit } : {}),
  });
  const config: Config = options.trustProxy === undefined ? p.config : { ...p.config, trustProxy: options.trustProxy };
  const app = createApp({ config, logger, metrics: p.metrics, readiness: [], admin: admin.router });
  const server = await serve(app, { port: 0, host: '127.0.0.1', shutdownTimeoutMs: 1_000 });
  return {
    adminUrl: `http://127.0.0.1:${server.port}/admin`,
    admin,
    logs,
    async close() {
      await server.close();
      // Sessions (12 h) and login counts (15 min) would otherwise outlive the test in the shared Redis.
      const keys = await admin.queues.connection.keys(`${options.queuePrefix ?? p.config.queuePrefix}:admin:*`).catch(() => []);
      if (keys.length > 0) await admin.queues.connection.del(...keys).catch(() => undefined);
      await admin.close();
    },
  };
}

/**
 * A test pipeline plus /admin served the way the worker process serves it (createApp with the admin
 * router), on its own port; the webhooks stay on the pipeline's ingress.
 */
export async function startAdminPipeline(env: Record<string, string>, options: ServeAdminOptions = {}): Promise<AdminPipeline> {
  const p = await startTestPipeline({ ADMIN_TOKEN, ...env });
  const served = await serveAdmin(p, options);
  return {
    ...p,
    adminUrl: served.adminUrl,
    admin: served.admin,
    async close() {
      await served.close();
      await p.close();
    },
  };
}
