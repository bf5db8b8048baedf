import { createAdmin, type Admin } from '../../src/admin/admin-router.ts';
import { createApp } from '../../src/ingress/create-app.ts';
import { serve } from '../../src/shared/http-server.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { startTestPipeline, type TestPipeline } from '../support/pipeline.ts';

export const ADMIN_TOKEN = 'admin-test-token-0123456789abcdef';

export type AdminPipeline = TestPipeline & { adminUrl: string; admin: Admin };

/**
 * A test pipeline plus /admin served the way the worker process serves it (createApp with the admin
 * router), on its own port; the webhooks stay on the pipeline's ingress.
 */
export async function startAdminPipeline(env: Record<string, string>): Promise<AdminPipeline> {
  const p = await startTestPipeline({ ADMIN_TOKEN, ...env });
  const logger = createLogger('debug', p.logs);
  const admin = createAdmin({ token: ADMIN_TOKEN, db: p.db, redisUrl: p.config.redisUrl, queuePrefix: p.config.queuePrefix, logger });
  const app = createApp({ config: p.config, logger, metrics: p.metrics, readiness: [], admin: admin.router });
  const server = await serve(app, { port: 0, host: '127.0.0.1', shutdownTimeoutMs: 1_000 });
  return {
    ...p,
    adminUrl: `http://127.0.0.1:${server.port}/admin`,
    admin,
    async close() {
      await server.close();
      await admin.close();
      await p.close();
    },
  };
}
