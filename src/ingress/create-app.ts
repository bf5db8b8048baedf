import express, { type Express, type RequestHandler } from 'express';
import type { Config } from '../config/config.ts';
import type { Logger } from '../shared/logger.ts';
import type { Metrics } from '../shared/metrics.ts';
import type { EventStore } from './event-store.ts';
import { openApiDocument } from './openapi.ts';
import { requestLog } from './request-log.ts';
import { webhookRoute } from './webhook-route.ts';
import { evaluateReadiness, type ReadinessCheck } from './readiness.ts';
import { errorMiddleware, methodNotAllowed, notFound } from '../shared/http-errors.ts';

export type AppDeps = {
  config: Config;
  /** Without a store (the worker process) the app serves only health and metrics. */
  store?: EventStore;
  logger: Logger;
  metrics: Metrics;
  readiness: readonly ReadinessCheck[];
  now?: () => number;
  /** The status page (src/admin), served at /admin where ADMIN_TOKEN is set and a database is at hand. */
  admin?: RequestHandler;
};

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  // TRUST_PROXY: which proxies may name the client (req.ip, req.protocol); none unless configured.
  const trustProxy = deps.config.trustProxy;
  app.set('trust proxy', typeof trustProxy === 'object' ? [...trustProxy] : trustProxy);

  app.use(requestLog(deps.logger, deps.metrics));

  // First after the log: the router tries its layers in order, matching each one's path, and
  // webhooks are nearly all of the traffic. No other route's path overlaps theirs.
  if (deps.store) {
    const webhook = webhookRoute({ ...deps, store: deps.store });
    app.post('/webhooks/:provider', ...webhook.post);
    // Another method on a served provider's path: 405; an unknown or switched-off provider stays 404.
    app.all('/webhooks/:provider', webhook.otherMethods);
  }

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  // The same checks at every scrape: hookline_ready says what /readyz would answer, per check.
  deps.metrics.useReadinessSource(() => evaluateReadiness(deps.readiness));
  app.get('/readyz', async (_req, res) => {
    const { ready, results } = await evaluateReadiness(deps.readiness);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', checks: Object.fromEntries(results.map(({ name, state }) => [name, state])) });
  });

  const GET = ['GET', 'HEAD'] as const;
  app.all(['/healthz', '/readyz'], methodNotAllowed(GET));

  app.get('/metrics', async (_req, res) => {
    res.setHeader('Content-Type', deps.metrics.registry.contentType);
    res.send(await deps.metrics.registry.metrics());
  });

  const openApi = JSON.stringify(openApiDocument());
  app.get('/openapi.json', (_req, res) => {
    res.type('application/json').send(openApi);
  });
  app.all(['/metrics', '/openapi.json'], methodNotAllowed(GET));

  if (deps.admin) app.use('/admin', deps.admin);

  app.use(notFound);
  app.use(errorMiddleware(deps.logger));
  return app;
}
