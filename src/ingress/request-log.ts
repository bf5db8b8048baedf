import type { RequestHandler } from 'express';
import type { Logger } from '../shared/logger.ts';
import type { Metrics } from '../shared/metrics.ts';
import { webhookAnswerRecorder } from './webhook-metrics.ts';

/**
 * One log line per request, built from an allow-list: no headers, no query string (a provider's
 * token lives there), no body. Provider and event key are enough to follow an event.
 */
export function requestLog(logger: Logger, metrics: Metrics): RequestHandler {
  const recordAnswer = webhookAnswerRecorder(metrics);
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      // The full path as the client sent it: a mounted router (/admin) answers with req.path cut to its own part.
      const path = pathOf(req.originalUrl);
      const provider = typeof req.params?.provider === 'string' ? req.params.provider : pathProvider(path);
      const outcome = typeof res.locals.outcome === 'string' ? res.locals.outcome : String(res.statusCode);
      if (provider !== undefined) recordAnswer(provider, res.statusCode, res.locals.outcome);
      if (path === '/healthz' || path === '/readyz' || path === '/metrics' || path === '/openapi.json') return;
      logger.info(
        {
          method: req.method,
          path,
          provider,
          eventKey: res.locals.eventKey,
          status: res.statusCode,
          outcome,
          durationMs: Number(process.hrtime.bigint() - started) / 1e6,
        },
        'request',
      );
    });
    next();
  };
}

/** The path without its query string (a provider's token may live there). */
function pathOf(url: string): string {
  const end = url.search(/[?#]/);
  return end === -1 ? url : url.slice(0, end);
}

function pathProvider(path: string): string | undefined {
  const match = /^\/webhooks\/([^/]+)/.exec(path);
  return match?.[1];
}
